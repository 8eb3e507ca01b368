/**
 * The Python runtime against `mlflow models serve` (issue 18 target): the same
 * scikit-learn logistic regression (saved with MLflow 2.10's own client,
 * answering predict_proba), single-row `dataframe_split` requests at 64
 * connections with `wrk`:
 * - `mlflow models serve --env-manager local --workers 1` (gunicorn, one worker process);
 * - `ciclo models serve --python /usr/bin/python3` (Python runtime, `--workers` processes);
 * - the ONNX fast path: the same coefficients as an ONNX graph (MatMul + Add + Softmax), in-process.
 * Target: ciclo's Python runtime ≥ 10× MLflow's requests/s, p99 ≤ 50 ms. The mean batch
 * the scheduler formed (from ciclo's /metrics) is reported beside each ciclo figure.
 *
 * Usage: npm run bench:python-serving [-- --seconds 10 --workers 1]
 * Needs wrk and the real MLflow (the shared oracle; see src/testing/mlflow-python.ts).
 * Results: printed, and written to bench/results/python-serving.json.
 * @module
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { saveModel } from "../src/models/model-package-writer.js";
import { findMlflowPython, saveTestModels, startMlflowServe } from "../src/testing/mlflow-python.js";
import { runWrk, wrkAvailable, type WrkResult } from "./lib/wrk.js";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "10" }, workers: { type: "string", default: "1" }, connections: { type: "string", default: "64" } } });
const BIN = fileURLToPath(new URL("../bin/ciclo.js", import.meta.url));
const TO_ONNX = fileURLToPath(new URL("./tools/sklearn_logreg_to_onnx.py", import.meta.url));
const seconds = Number(values.seconds);
const connections = Number(values.connections);

async function cicloServe(modelDir: string, args: string[], env: Record<string, string>): Promise<{ url: string; stop(): Promise<void> }> {
  const proc = spawn(process.execPath, [BIN, "models", "serve", "-m", modelDir, "-p", "0", "--workers", values.workers!, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, ...env },
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on("line", (l) => {
      const j = JSON.parse(l) as { msg: string; url?: string };
      if (j.msg === "ciclo scoring server ready") resolve(j.url!);
    });
    proc.once("exit", (c) => reject(new Error(`ciclo models serve exited (${c})`)));
  });
  return {
    url,
    stop: () =>
      new Promise<void>((r) => {
        proc.once("exit", () => r());
        proc.kill("SIGTERM");
      }),
  };
}

async function metricSum(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`));
  return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : NaN;
}

async function load(url: string, script: string, ciclo: boolean): Promise<WrkResult & { meanBatch?: number }> {
  await runWrk({ url: `${url}/invocations`, script, threads: 1, connections, seconds: 2 }); // warm-up
  const before = ciclo ? [await metricSum(url, "ciclo_serving_batch_size_sum"), await metricSum(url, "ciclo_serving_batch_size_count")] : [];
  const r = await runWrk({ url: `${url}/invocations`, script, threads: 1, connections, seconds });
  if (!ciclo) return r;
  const [s1, c1] = [await metricSum(url, "ciclo_serving_batch_size_sum"), await metricSum(url, "ciclo_serving_batch_size_count")];
  return { ...r, meanBatch: Math.round(((s1 - before[0]) / (c1 - before[1])) * 10) / 10 };
}

const show = (what: string, r: WrkResult & { meanBatch?: number }) =>
  console.log(`${what}: ${Math.round(r.requestsPerSec)} req/s, p99 ${r.latencyP99Ms} ms, errors ${r.errors}${r.meanBatch !== undefined ? `, mean batch ${r.meanBatch}` : ""}`);

const work = mkdtempSync(join(tmpdir(), "ciclo-bench-pyserving-"));
const results: Record<string, unknown> = { date: new Date().toISOString(), connections, seconds, workers: values.workers };
try {
  const mp = await findMlflowPython("2.10", work);
  if (!wrkAvailable() || !mp) throw new Error("needs wrk (apt-get install wrk) and the real MLflow (the shared oracle)");
  await saveTestModels(mp, work);
  const model = join(work, "classifier");

  const mlflow = await startMlflowServe(mp, model);
  try {
    results.mlflow = await load(mlflow.url, "serving-sklearn-one-row.lua", false);
    show("mlflow models serve (1 gunicorn worker)", results.mlflow as WrkResult);
  } finally {
    await mlflow.stop();
  }

  const py = await cicloServe(model, ["--python", mp.python], mp.env);
  try {
    results.cicloPython = await load(py.url, "serving-sklearn-one-row.lua", true);
    show(`ciclo models serve, Python runtime (${values.workers} worker process)`, results.cicloPython as WrkResult);
  } finally {
    await py.stop();
  }

  const onnxFile = join(work, "logreg.onnx");
  execFileSync(mp.python, [TO_ONNX, model, onnxFile], { env: { ...process.env, ...mp.env } });
  const onnxDir = join(work, "logreg-onnx");
  await saveModel(onnxDir, onnxFile);
  const fast = await cicloServe(onnxDir, [], {});
  try {
    results.cicloOnnx = await load(fast.url, "serving-onnx-logreg-one-row.lua", true);
    show(`ciclo models serve, ONNX in-process (${values.workers} thread)`, results.cicloOnnx as WrkResult);
  } finally {
    await fast.stop();
  }
  const ratio = (results.cicloPython as WrkResult).requestsPerSec / (results.mlflow as WrkResult).requestsPerSec;
  results.ratio = Math.round(ratio * 10) / 10;
  console.log(`ciclo Python runtime / mlflow models serve: ${results.ratio}× requests/s (target ≥ 10×)`);
  const dir = fileURLToPath(new URL("./results", import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "python-serving.json"), `${JSON.stringify(results, null, 2)}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
