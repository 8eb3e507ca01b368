/**
 * CPU per logged request on the server's side of the router's inference log
 * (issue 14): the router's feed (`RouterInferenceFeed`, bodies as the buffers
 * the router holds) → monitoring's recorder → Parquet segments in a local
 * artifact folder, indexed in a migrated SQLite database, for one-row
 * requests like `bench:deployments`' (random UUID request ids), drained every
 * 64 requests as the router's `setImmediate` would; the recorder's buffer is
 * unbounded here, so every request is filed. The figure is the
 * process's CPU (user + system, all threads: GC helpers too) per request,
 * net of the same loop feeding a sink that keeps nothing; three runs. No
 * HTTP, no replica, no load generator: the shared machine's noise on the
 * routed benchmark's CPU per request is larger than this difference.
 * Usage: node --import tsx bench/inference-log-cpu.ts [--requests 200000]
 * @module
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { LocalArtifactRepository } from "../src/artifacts/local-artifact-repository.js";
import { RouterInferenceFeed, type FeedSink } from "../src/deployments/router/inference-feed.js";
import { serverModules } from "../src/modules.js";
import { InferenceRecorder } from "../src/monitoring/inference/inference-recorder.js";
import { migrationSequence } from "../src/store/migrations/migrator.js";
import { openStores } from "../src/store/open-stores.js";
import { SqlMonitoringStore } from "../src/store/sql/monitoring/sql-monitoring-store.js";

const { values } = parseArgs({ options: { requests: { type: "string", default: "200000" } } });
const N = Number(values.requests);
const REQUEST = Buffer.from('{"inputs": [[1.323, -1.364, 1.921]]}');
const RESPONSES = Array.from({ length: 10 }, (_, i) => Buffer.from(`{"predictions": [[0.123${i}]]}`));

async function feedRequests(sink: FeedSink, n: number): Promise<void> {
  const feed = new RouterInferenceFeed(sink);
  for (let i = 0; i < n; i++) {
    feed.push({ requestId: randomUUID(), time: Date.now(), modelName: "linear", modelVersion: "1", endpoint: "bench", deployment: "main", status: 200, latencyMs: 0.41, request: REQUEST, response: RESPONSES[i % 10] });
    if (i % 64 === 63) {
      feed.drain();
      await new Promise((r) => setImmediate(r));
    }
  }
  feed.drain();
}

async function cpuPerRequestUs(run: () => Promise<void>): Promise<number> {
  const c0 = process.cpuUsage();
  await run();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / N;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "ciclo-bench-inference-log-"));
  const stores = await openStores(`sqlite:///${join(dir, "ciclo.db")}`, { defaultArtifactRoot: "mlflow-artifacts:/", migrations: migrationSequence(serverModules()) });
  try {
    const store = new SqlMonitoringStore(stores.connection);
    const repo = new LocalArtifactRepository(join(dir, "artifacts"));
    let dropped = 0;
    const logged = async (n: number) => {
      // Nothing dropped: a recorder that falls behind this loop (faster than any router) still files every request.
      const recorder = new InferenceRecorder(store, repo, { flushIntervalMs: 3_600_000, maxBuffered: 10_000_000 });
      await feedRequests(recorder, n);
      await recorder.close();
      dropped += recorder.dropped;
    };
    const unlogged = (n: number) => feedRequests({ record() {} }, n);
    await logged(20_000); // warm-up
    await unlogged(20_000);
    const runs: number[] = [];
    for (let k = 0; k < 3; k++) {
      const base = await cpuPerRequestUs(() => unlogged(N));
      const withLog = await cpuPerRequestUs(() => logged(N));
      runs.push(Number((withLog - base).toFixed(2)));
    }
    const segments = (await store.listSegments({ limit: 100_000 })).length;
    console.log(JSON.stringify({ requests: N, cpuUsPerLoggedRequest: runs, segments, dropped, loadAverage1m: Number(loadavg()[0].toFixed(2)) }));
  } finally {
    await stores.tracking.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
