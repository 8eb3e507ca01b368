/**
 * Seeds a live server's model registry through its REST API for UI tests,
 * screenshots and benchmarks: a registered model with versions registered
 * from runs (whose `model/MLmodel` is uploaded first), stages, aliases, tags
 * and descriptions — each change also lands in the audit history.
 * @module
 */
import { uploadArtifact } from "./ui-seed.js";

/** Calls `/api/2.0/mlflow<path>` with MLflow's methods (PATCH/DELETE carry JSON bodies); throws on non-2xx. */
export async function registryCall<T = any>(baseUrl: string, method: "GET" | "POST" | "PATCH" | "DELETE", path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${baseUrl}/api/2.0/mlflow${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : ({} as T);
}

/** An MLflow MLmodel with an ONNX flavor and a tensor signature (`inputs` named as given). */
export function mlmodelYaml(runId: string, inputs: Array<{ name: string; shape: number[] }>, outputs: Array<{ name: string; shape: number[] }>): string {
  const spec = (xs: Array<{ name: string; shape: number[] }>) =>
    JSON.stringify(xs.map((x) => ({ type: "tensor", "tensor-spec": { dtype: "float32", shape: x.shape }, name: x.name })));
  return `artifact_path: model
flavors:
  onnx:
    onnx_version: 1.16.0
  python_function:
    loader_module: mlflow.onnx
run_id: ${runId}
signature:
  inputs: '${spec(inputs)}'
  outputs: '${spec(outputs)}'
model_uuid: 5f0c2b8e9a7d4c1e
utc_time_created: '2026-11-24 18:02:11'
`;
}

export interface SeedVersion {
  runId: string;
  experimentId: string;
  /** Uploads `model/MLmodel` (+ a model file) to the run first. */
  mlmodel?: string;
  description?: string;
  tags?: Record<string, string>;
  stage?: "Staging" | "Production" | "Archived";
}

/** Creates the model (when absent) and one version per spec, in order; returns the version numbers. */
export async function seedRegisteredModel(
  baseUrl: string,
  name: string,
  opts: { description?: string; tags?: Record<string, string>; versions: SeedVersion[]; aliases?: Record<string, number> },
): Promise<string[]> {
  await registryCall(baseUrl, "POST", "/registered-models/create", {
    name,
    description: opts.description,
    tags: Object.entries(opts.tags ?? {}).map(([key, value]) => ({ key, value })),
  });
  const numbers: string[] = [];
  for (const v of opts.versions) {
    if (v.mlmodel) {
      await uploadArtifact(baseUrl, v.experimentId, v.runId, "model/MLmodel", v.mlmodel);
      await uploadArtifact(baseUrl, v.experimentId, v.runId, "model/model.onnx", new Uint8Array(256));
    }
    const mv = await registryCall(baseUrl, "POST", "/model-versions/create", {
      name,
      source: `runs:/${v.runId}/model`,
      run_id: v.runId,
      description: v.description,
      tags: Object.entries(v.tags ?? {}).map(([key, value]) => ({ key, value })),
    });
    const n: string = mv.model_version.version;
    numbers.push(n);
    if (v.stage) await registryCall(baseUrl, "POST", "/model-versions/transition-stage", { name, version: n, stage: v.stage, archive_existing_versions: false });
  }
  for (const [alias, index] of Object.entries(opts.aliases ?? {})) {
    await registryCall(baseUrl, "POST", "/registered-models/alias", { name, alias, version: numbers[index] });
  }
  return numbers;
}
