/**
 * MLflow 3 tracing with the real MLflow 3.3 client (the shared oracle) against
 * a real ciclo server on loopback (mlflow3-traces.py, beside this file):
 * `@mlflow.trace` on nested functions, a span with inputs, outputs and
 * attributes, a failing function (state ERROR), a trace inside a run, then
 * get_trace, search_traces (filters on status, tags, metadata and times;
 * order_by; pages; run_id), set/delete tag and delete_traces by id and by
 * time; a trace under the active logged model found by `model_id`. Skips with the reason when the oracle cannot run (fails under
 * CICLO_REQUIRE_ALL=1).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { startLiveTrackingServer, type LiveTrackingServer } from "../testing/live-tracking-server.js";
import { findMlflowPython } from "../testing/mlflow-python.js";

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL("./mlflow3-traces.py", import.meta.url));

describe("the real MLflow 3.3 client's traces against ciclo server", () => {
  let server: LiveTrackingServer;
  before(async () => {
    server = await startLiveTrackingServer();
  });
  after(async () => {
    await server.close();
  });

  test("trace, get, search, tag and delete round trip", { timeout: 300_000 }, async (t) => {
    const mp = await findMlflowPython("3.3", join(server.dir, "py"));
    if (!mp) return t.skip("MLflow 3.3 cannot run here");
    const { stdout } = await run(mp.python, [SCRIPT, server.url], {
      env: { ...process.env, ...mp.env, MLFLOW_TRACKING_URI: server.url },
      cwd: server.dir,
      maxBuffer: 16 * 1024 * 1024,
      timeout: 240_000,
    }).catch((err: { stderr?: string; message: string }) => {
      throw new Error(`the MLflow 3.3 traces script failed: ${err.message.split("\n")[0]}\n${(err.stderr ?? "").slice(-6000)}`);
    });
    const r = JSON.parse(stdout.trim().split("\n").pop()!);
    assert.ok(String(r.mlflow).startsWith("3.3"), r.mlflow);
    assert.deepEqual(r.ok, {
      state: "OK",
      spans: ["add", "pipeline", "retrieve"],
      retrieve: { inputs: { query: 41 }, outputs: { docs: ["a", "b"] }, top_k: 2, type: "RETRIEVER" },
      root: { inputs: { x: 41 }, outputs: 42, team: "tour" },
      request_preview: { x: 41 },
      artifact_location_ok: true,
    });
    assert.deepEqual(r.error, { state: "ERROR", span_status: "ERROR", exception: "bad input 7" });
    assert.deepEqual(r.run, { source_run: true });
    assert.deepEqual(r.search, {
      by_status: true,
      oldest_first: true,
      by_name: true,
      of_run: true,
      by_metadata: true,
      all_match: 3,
      has_spans_column: true,
      pages: [true, true, null],
    });
    assert.deepEqual(r.tags, { tagged: true, untagged: 0, missing_tag: "RESOURCE_DOES_NOT_EXIST" });
    assert.deepEqual(r.model, { metadata: true, search: true });
    assert.deepEqual(r.delete, { by_id: 1, by_time: 1, left: true, gone: "RESOURCE_DOES_NOT_EXIST" });
  });
});
