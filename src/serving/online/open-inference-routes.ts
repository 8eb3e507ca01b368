/**
 * Routing of the Open Inference Protocol v2 REST paths (KServe
 * `required_api.md`): health, server and model metadata, model readiness
 * (all answered on the HTTP thread), and `.../infer` (handed to scoring).
 *
 * | path | |
 * |---|---|
 * | `GET /v2` | server metadata `{name, version, extensions}` |
 * | `GET /v2/health/live`, `/v2/health/ready` | liveness (always 200 while the process answers), readiness |
 * | `GET /v2/models/{name}[/versions/{v}]` | model metadata `{name, versions, platform, inputs, outputs}` |
 * | `GET /v2/models/{name}[/versions/{v}]/ready` | model readiness |
 * | `POST /v2/models/{name}[/versions/{v}]/infer` | inference |
 *
 * Errors are `{"error": "..."}`; a model or version not served here is 404,
 * not-ready is 503 (any 4xx/5xx reads as "false" to a probe).
 * @module
 */
import { CICLO_VERSION } from "../../shared/node/version.js";
import { schemaMetadata } from "./open-inference-codec.js";
import type { ServedModelInfo } from "./scoring-job.js";

export interface V2RouteContext {
  modelName: string;
  modelVersion: string;
  ready: boolean;
  info: ServedModelInfo | undefined;
}

export type V2Route = { kind: "answer"; status: number; body: string } | { kind: "infer" };

const answer = (status: number, body: unknown): V2Route => ({ kind: "answer", status, body: JSON.stringify(body) });
const error = (status: number, message: string): V2Route => answer(status, { error: message });

const PLATFORMS: Record<string, string> = { onnx: "onnx_onnxv1", js_function: "ciclo_js_function" };

function modelMetadata(ctx: V2RouteContext): unknown {
  const info = ctx.info;
  const native = info?.nativeSchema;
  if (native) {
    // The model file's tensors, not the signature: the same file gives the same interface whether or not an input example was logged.
    return { name: ctx.modelName, versions: [ctx.modelVersion], platform: PLATFORMS[info.flavor] ?? info.flavor, inputs: schemaMetadata(native.inputs), outputs: schemaMetadata(native.outputs) };
  }
  const outputs = info?.signature?.outputs ? schemaMetadata(info.signature.outputs) : (info?.outputNames ?? []).map((name) => ({ name, datatype: "BYTES", shape: [-1] }));
  return {
    name: ctx.modelName,
    versions: [ctx.modelVersion],
    platform: info ? (PLATFORMS[info.flavor] ?? info.flavor) : "",
    inputs: schemaMetadata(info?.inputSchema),
    outputs,
  };
}

function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

function methodIs(method: string, want: string, then: () => V2Route): V2Route {
  return method === want ? then() : error(405, `Use ${want} on this path.`);
}

export function routeV2(method: string, path: string, ctx: V2RouteContext): V2Route {
  if (path === "/v2" || path === "/v2/") return methodIs(method, "GET", () => answer(200, { name: "ciclo", version: CICLO_VERSION, extensions: [] }));
  if (path === "/v2/health/live") return methodIs(method, "GET", () => answer(200, { live: true }));
  if (path === "/v2/health/ready") return methodIs(method, "GET", () => answer(ctx.ready ? 200 : 503, { ready: ctx.ready }));
  const seg = path.split("/").slice(2); // ["models", name, ...]
  if (seg[0] !== "models" || seg.length < 2 || seg[1] === "") return error(404, `No route ${method} ${path}.`);
  const name = safeDecode(seg[1]);
  if (name !== ctx.modelName) return error(404, `Model '${name ?? seg[1]}' is not served here (this server serves '${ctx.modelName}').`);
  let rest = seg.slice(2);
  if (rest[0] === "versions") {
    const version = rest.length > 1 ? safeDecode(rest[1]) : undefined;
    if (version !== ctx.modelVersion) {
      return error(404, `Version '${version ?? ""}' of model '${ctx.modelName}' is not served here (this server serves version '${ctx.modelVersion}').`);
    }
    rest = rest.slice(2);
  }
  if (rest.length === 0) {
    return methodIs(method, "GET", () => (ctx.info ? answer(200, modelMetadata(ctx)) : error(503, `Model '${ctx.modelName}' is still loading.`)));
  }
  if (rest.length === 1 && rest[0] === "ready") return methodIs(method, "GET", () => answer(ctx.ready ? 200 : 503, { name: ctx.modelName, ready: ctx.ready }));
  if (rest.length === 1 && rest[0] === "infer") return methodIs(method, "POST", () => ({ kind: "infer" }));
  return error(404, `No route ${method} ${path}.`);
}
