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
 * Usage: npm run bench:python-serving [-- --seconds 10 --workers 1 --batches-per-worker 1] [--skip-mlflow] [--skip-onnx]
 * CPU per request (server process, Python workers) comes from /proc during the measured run.
 * Needs wrk and the real MLflow (the shared oracle; see src/testing/mlflow-python.ts).
 * Results: printed, and written to bench/results/python-serving.json.
 * @module
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { saveModel } from "../src/models/model-package-writer.js";
import { findMlflowPython, saveTestModels, startMlflowServe } from "../src/testing/mlflow-python.js";
import { scoringPhase, startModelServer, type PhaseResult } from "./lib/scoring-driver.js";
import { wrkAvailable, type WrkResult } from "./lib/wrk.js";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "10" },
    workers: { type: "string", default: "1" },
    connections: { type: "string", default: "64" },
    // Quicker before/after runs of one part (the results file then lacks the others).
    "skip-mlflow": { type: "boolean", default: false },
    "skip-onnx": { type: "boolean", default: false },
    "batches-per-worker": { type: "string", default: "1" },
  },
});
const TO_ONNX = fileURLToPath(new URL("./tools/sklearn_logreg_to_onnx.py", import.meta.url));
const seconds = Number(values.seconds);
const connections = Number(values.connections);

const show = (what: string, r: PhaseResult) =>
  console.log(
    `${what}: ${Math.round(r.requestsPerSec)} req/s, p99 ${r.latencyP99Ms} ms, errors ${r.errors}${r.meanBatch !== undefined ? `, mean batch ${r.meanBatch}` : ""}` +
      (r.cpuMsPerRequest ? `, CPU per request ${r.cpuMsPerRequest.server} ms server + ${r.cpuMsPerRequest.workers} ms workers` : ""),
  );

const work = mkdtempSync(join(tmpdir(), "ciclo-bench-pyserving-"));
const results: Record<string, unknown> = { date: new Date().toISOString(), connections, seconds, workers: values.workers, batchesPerWorker: values["batches-per-worker"], loadAverageAtStart: loadavg().map((l) => Math.round(l * 10) / 10) };
try {
  const mp = await findMlflowPython("2.10", work);
  if (!wrkAvailable() || !mp) throw new Error("needs wrk (apt-get install wrk) and the real MLflow (the shared oracle)");
  await saveTestModels(mp, work);
  const model = join(work, "classifier");

  if (!values["skip-mlflow"]) {
    const mlflow = await startMlflowServe(mp, model);
    try {
      results.mlflow = await scoringPhase(mlflow.url, { script: "serving-sklearn-one-row.lua", connections, seconds });
      show("mlflow models serve (1 gunicorn worker)", results.mlflow as WrkResult);
    } finally {
      await mlflow.stop();
    }
  }

  const py = await startModelServer(model, values.workers!, ["--python", mp.python, "--batches-per-worker", values["batches-per-worker"]!], mp.env);
  try {
    results.cicloPython = await scoringPhase(py.url, { script: "serving-sklearn-one-row.lua", connections, seconds, ciclo: true, pid: py.pid });
    show(`ciclo models serve, Python runtime (${values.workers} worker process)`, results.cicloPython as WrkResult);
  } finally {
    await py.stop();
  }

  if (!values["skip-onnx"]) {
    const onnxFile = join(work, "logreg.onnx");
    execFileSync(mp.python, [TO_ONNX, model, onnxFile], { env: { ...process.env, ...mp.env } });
    const onnxDir = join(work, "logreg-onnx");
    await saveModel(onnxDir, onnxFile);
    const fast = await startModelServer(onnxDir, values.workers!);
    try {
      results.cicloOnnx = await scoringPhase(fast.url, { script: "serving-onnx-logreg-one-row.lua", connections, seconds, ciclo: true, pid: fast.pid });
      show(`ciclo models serve, ONNX in-process (${values.workers} thread)`, results.cicloOnnx as WrkResult);
    } finally {
      await fast.stop();
    }
  }
  if (results.mlflow) {
    const ratio = (results.cicloPython as WrkResult).requestsPerSec / (results.mlflow as WrkResult).requestsPerSec;
    results.ratio = Math.round(ratio * 10) / 10;
    console.log(`ciclo Python runtime / mlflow models serve: ${results.ratio}× requests/s (target ≥ 10×)`);
  }
  results.loadAverageAtEnd = loadavg().map((l) => Math.round(l * 10) / 10);
  console.log(`load average: ${(results.loadAverageAtStart as number[]).join(" ")} at the start, ${(results.loadAverageAtEnd as number[]).join(" ")} at the end`);
  if (values["skip-mlflow"] || values["skip-onnx"]) console.log(JSON.stringify(results, null, 2)); // a partial run leaves the results file alone
  else {
    const dir = fileURLToPath(new URL("./results", import.meta.url));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "python-serving.json"), `${JSON.stringify(results, null, 2)}\n`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
