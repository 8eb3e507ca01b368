/**
 * Admission control with the Python runtime: what a Python worker holds for
 * a batch — its frame from the moment it is written until the reply is read
 * — is charged to the server's memory budget and given back on the reply or
 * when the worker dies; and the overload of issue 18 part 2 (many
 * connections posting 5,000-row bodies) against `ciclo models serve` of a
 * scikit-learn model saved with the real MLflow client: the server and its
 * worker stay within the budget above idle, the excess gets 503 +
 * Retry-After, no client times out, and the worker buffers were counted.
 * The in-process runtime's half is scoring-overload.test.ts.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { ColumnsInput } from "../../models/index.js";
import { findMlflowPython, type MlflowPython } from "../../testing/mlflow-python.js";
import { assertRefusedCleanly, dataframeSplitBody, driveOverload, saveAbcRegressor, startServeProcess, statusField } from "../../testing/scoring-overload.js";
import { tempDir } from "../../testing/temp-dir.js";
import { preparePythonEnvironment } from "../python/python-environment.js";
import { loadPythonModel } from "../python/python-model.js";
import { WORKER_BYTES_PER_FRAME_BYTE } from "../python/python-worker-process.js";
import { AdmissionControl } from "./admission-control.js";

const MB = 1024 * 1024;
const BUDGET_MB = 256;
const tmp = tempDir("ciclo-pyoverload-");
let mp: MlflowPython | undefined;
let modelDir: string;

before(async () => {
  mp = await findMlflowPython("2.10", tmp.path);
  if (!mp) return;
  modelDir = join(tmp.path, "abc-regressor");
  await saveAbcRegressor(mp, modelDir);
});
after(() => tmp.remove());

function rows(n: number): ColumnsInput {
  const col = (f: (i: number) => number) => Float64Array.from({ length: n }, (_, i) => f(i));
  return {
    kind: "columns",
    rowCount: n,
    columns: [
      { name: "a", type: "double", values: col((i) => i / n) },
      { name: "b", type: "double", values: col((i) => 1 - i / n) },
      { name: "c", type: "double", values: col((i) => (i % 7) - 3) },
    ],
  };
}

test("a Python worker's batch is charged to the budget from the write until the reply, and released when the worker dies", async (t) => {
  if (!mp) return t.skip("MLflow 2.10 not available");
  Object.assign(process.env, mp.env); // the worker inherits it: this MLflow on PYTHONPATH
  const admission = new AdmissionControl({ maxInflightBytes: 1024 * MB, retryAfterSeconds: 1 });
  const env = await preparePythonEnvironment(modelDir, { python: mp.python });
  const model = await loadPythonModel(modelDir, env, { memory: admission });
  try {
    assert.equal(admission.stats().heldBytes, 0, "nothing held before a batch");
    const answer = model.predict(rows(1000), undefined);
    // 3 columns × 1,000 doubles in the frame's body (plus its header), × what each frame byte stands for.
    const held = admission.stats().heldBytes;
    assert.ok(held >= 3 * 1000 * 8 * WORKER_BYTES_PER_FRAME_BYTE, `held ${held} bytes for the batch`);
    assert.equal(admission.stats().inflightBytes, held, "the holds are in the same budget as requests");
    const out = await answer;
    assert.equal(out.kind === "rows" ? out.rows.length : -1, 1000);
    assert.equal(admission.stats().heldBytes, 0, "released once the reply is read");
    assert.ok(admission.stats().peakHeldBytes >= held);

    // A worker that dies with a batch in it: stopped first, so it cannot answer before the kill.
    model.worker.kill("SIGSTOP");
    const lost = model.predict(rows(500), undefined);
    assert.ok(admission.stats().heldBytes > 0);
    model.worker.kill("SIGKILL");
    await assert.rejects(lost, /killed by SIGKILL/);
    assert.equal(admission.stats().heldBytes, 0, "released when the worker died");
    assert.equal(admission.stats().inflightBytes, 0);
  } finally {
    await model.close();
  }
});

test(`Python runtime, 128 connections × 5,000-row bodies: server + worker RSS within --max-inflight-mb ${BUDGET_MB} above idle, 503 + Retry-After beyond, worker buffers counted`, async (t) => {
  if (!mp) return t.skip("MLflow 2.10 not available");
  if (!existsSync("/proc/self/task")) {
    if (process.env.CICLO_REQUIRE_ALL === "1") throw new Error("/proc/<pid>/status and /proc/<pid>/task are needed to read the server's and its worker's peak RSS");
    return t.skip("no /proc here to read the server's and its worker's peak RSS");
  }
  const body = dataframeSplitBody(5000);
  const server = await startServeProcess(modelDir, ["--python", mp.python, "--workers", "1", "--model-name", "abc", "--max-inflight-mb", String(BUDGET_MB)], mp.env);
  try {
    const url = `${server.url}/invocations`;
    const warm = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
    assert.equal(warm.status, 200, await warm.text());
    const children = server.children();
    const workers = children.filter((c) => c.cmdline.includes("pyfunc_worker.py")).map((c) => c.pid);
    assert.equal(workers.length, 1, `one Python worker process among ${JSON.stringify(children)}`);
    const [worker] = workers;
    const idle = server.rss() + statusField(worker, "VmRSS");
    const r = await driveOverload({ url: server.url, body, connections: 128, seconds: 3, timeoutMs: 10_000 });
    const peak = server.peakRss() + statusField(worker, "VmHWM");
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const gauge = (name: string) => Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)`, "m").exec(metrics)?.[1] ?? NaN);
    const summary = `${JSON.stringify(r.statuses)}, timeouts ${r.timeouts}, errors ${r.errors}, idle ${Math.round(idle / MB)} MB, peak ${Math.round(peak / MB)} MB (server + worker), worker buffers peak ${Math.round(gauge("ciclo_serving_runtime_held_peak_bytes") / MB)} MB`;
    t.diagnostic(summary);
    assertRefusedCleanly(r, summary);
    // The worker's buffers were in the budget while batches were out, and nothing is left held now.
    assert.ok(gauge("ciclo_serving_runtime_held_peak_bytes") >= 5000 * 3 * 8 * WORKER_BYTES_PER_FRAME_BYTE, summary);
    assert.equal(gauge("ciclo_serving_runtime_held_bytes"), 0, "worker buffers released");
    assert.equal(gauge("ciclo_serving_inflight_bytes"), 0, "nothing in flight after the load");
    // As scoring-overload.test.ts: within the budget above idle (each process's own peak, summed: an upper bound).
    assert.ok(peak - idle <= BUDGET_MB * MB, `peak RSS ${Math.round((peak - idle) / MB)} MB above idle, budget ${BUDGET_MB} MB (${summary})`);
    const again = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
    assert.equal(again.status, 200);
    await again.arrayBuffer();
  } finally {
    assert.equal(await server.stop(), 0, "drained cleanly");
  }
});
