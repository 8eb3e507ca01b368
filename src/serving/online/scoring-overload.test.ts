/**
 * The overload of issue 18 part 2, scaled to run in a few seconds: many
 * keep-alive connections, each posting a 5,000-row `dataframe_split` body
 * (~150 KB) in a loop without backing off, at `ciclo models serve` of the
 * small ONNX fixture in its own process. Admission control (the estimate
 * and the guard on measured memory) must keep the server's peak RSS (VmHWM)
 * within its memory budget above idle, refuse the excess with 503 +
 * Retry-After, and answer every request before the client's 10 s timeout. (The full 512-connection figure:
 * `npm run bench:serving-overload`, docs/benchmarks.md.)
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, test } from "node:test";
import { linearModel } from "../../testing/model-fixtures.js";
import { assertRefusedCleanly, dataframeSplitBody, driveOverload, startServeProcess } from "../../testing/scoring-overload.js";
import { tempDir } from "../../testing/temp-dir.js";
import { measuredCeiling } from "./measured-memory.js";

const MB = 1024 * 1024;
const BUDGET_MB = 256;
const tmp = tempDir("ciclo-overload-");
let modelDir: string;

before(async () => {
  modelDir = await linearModel(tmp.path);
});
after(() => tmp.remove());

test(`256 connections × 5,000-row bodies: RSS stays within --max-inflight-mb ${BUDGET_MB} above idle, the excess gets 503 + Retry-After, no client times out`, async (t) => {
  if (!existsSync("/proc/self/status")) {
    if (process.env.CICLO_REQUIRE_ALL === "1") throw new Error("/proc/<pid>/status is needed to read the server's peak RSS");
    t.skip("no /proc/<pid>/status here to read the server's peak RSS");
    return;
  }
  const body = dataframeSplitBody(5000);
  assert.ok(body.length > 140_000 && body.length < 160_000, `body is ${body.length} bytes`);
  const server = await startServeProcess(modelDir, ["--workers", "1", "--model-name", "linear", "--max-inflight-mb", String(BUDGET_MB)]);
  try {
    const warm = await fetch(`${server.url}/invocations`, { method: "POST", headers: { "content-type": "application/json" }, body });
    assert.equal(warm.status, 200);
    await warm.arrayBuffer();
    const idle = server.rss();
    const r = await driveOverload({ url: server.url, body, connections: 256, seconds: 4, timeoutMs: 10_000 });
    const peak = server.peakRss();
    const summary = `${JSON.stringify(r.statuses)}, timeouts ${r.timeouts}, errors ${r.errors}, idle ${Math.round(idle / MB)} MB, peak ${Math.round(peak / MB)} MB`;
    t.diagnostic(summary);
    assertRefusedCleanly(r, summary);
    // The stated ceiling: the budget above idle, as the kernel counts it (the estimate and the measured guard together).
    assert.ok(peak - idle <= BUDGET_MB * MB, `peak RSS ${Math.round((peak - idle) / MB)} MB above idle, budget ${BUDGET_MB} MB (${summary})`);
    // The guard on measured memory was there, at its share of the budget, and saw the load.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const gauge = (name: string) => Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)`, "m").exec(metrics)?.[1] ?? NaN);
    assert.equal(gauge("ciclo_serving_memory_ceiling_bytes"), measuredCeiling(BUDGET_MB * MB));
    assert.ok(gauge("ciclo_serving_memory_above_idle_peak_bytes") > 0, summary);
    // The server is still well: it scores once the load is gone.
    const after = await fetch(`${server.url}/invocations`, { method: "POST", headers: { "content-type": "application/json" }, body });
    assert.equal(after.status, 200);
    await after.arrayBuffer();
  } finally {
    assert.equal(await server.stop(), 0, "drained cleanly");
  }
});
