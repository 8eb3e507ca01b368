/**
 * CPU per logged request of `ciclo gateway`'s inference log (issue 14), the
 * two wire formats side by side in one process, alternated:
 * - `json`: the router's feed (bodies to strings) → the scoring server's
 *   buffered log writing JSON lines (bodies as text) → the `{"records": [...]}`
 *   body its monitoring sink posts; on the server, `POST
 *   /monitoring/inference` (JSON parse, TypeBox validation, `eventOf`) into
 *   monitoring's recorder;
 * - `binary`: the gateway's batch log (references, bodies as the router's
 *   buffers) → one binary batch; on the server, `POST
 *   /monitoring/inference/batch` (decoded and checked) into the recorder.
 * One-row requests like `bench:deployments`' (random UUID request ids), in
 * batches of 5,000 (what the gateway posts every 250 ms at 20,000 req/s).
 * Gateway side: the process's CPU per record to build the bodies. Server
 * side: Fastify's `inject` (no socket) of the same bodies into an app on
 * SQLite, CPU per record including the recorder's filing of each event into
 * its segment's columns and the segments it writes (flushed at the end of
 * each run). Both: user + system, all threads, so GC helpers count. The
 * formats take turns going first.
 * Usage: node --import tsx bench/gateway-log-cpu.ts [--requests 100000 --runs 3]
 * Results: printed, and written to bench/results/gateway-log-cpu.json.
 * @module
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gatewayInferenceLog } from "../src/cli/commands/gateway-inference-log.js";
import { RouterInferenceFeed, type RoutedInference } from "../src/deployments/router/inference-feed.js";
import { BufferedInferenceLog } from "../src/serving/online/inference-log.js";
import { INFERENCE_BATCH_TYPE } from "../src/shared/node/inference-batch.js";
import { openTestApp } from "../src/testing/test-app.js";

const { values } = parseArgs({ options: { requests: { type: "string", default: "100000" }, runs: { type: "string", default: "3" } } });
const N = Number(values.requests);
const BATCH = 5000;
const REQUEST = Buffer.from('{"inputs": [[1.323, -1.364, 1.921]]}');
const RESPONSES = Array.from({ length: 10 }, (_, i) => Buffer.from(`{"predictions": [[0.123${i}]]}`));

function routed(i: number): RoutedInference {
  return { requestId: randomUUID(), time: Date.now(), modelName: "linear", modelVersion: "1", endpoint: "bench", deployment: "main", status: 200, latencyMs: 0.41, request: REQUEST, response: RESPONSES[i % 10] };
}

const records = Array.from({ length: N }, (_, i) => routed(i));

function cpuUs(): number {
  const c = process.cpuUsage();
  return c.user + c.system;
}

/** The JSON bodies the gateway posted before the binary batch (the feed, the buffered log, the monitoring sink's wrapping). */
async function jsonBodies(): Promise<string[]> {
  const bodies: string[] = [];
  const log = new BufferedInferenceLog(
    { write: async (lines) => void bodies.push(`{"records":[${lines.trimEnd().replaceAll("\n", ",")}]}`), close: async () => undefined },
    { name: "", version: "" },
    { embedBodies: false, flushIntervalMs: 3_600_000, maxBuffered: BATCH },
  );
  const feed = new RouterInferenceFeed({
    record: (e) => log.record({ status: e.status, latencyMs: e.latencyMs, request: e.request, response: e.response, requestId: e.requestId, time: e.time, source: { model: e.modelName, version: e.modelVersion, endpoint: e.endpoint, deployment: e.deployment } }),
  });
  for (let i = 0; i < N; i++) {
    feed.push(records[i]);
    if (i % 64 === 63) feed.drain();
    if (i % BATCH === BATCH - 1) {
      feed.drain();
      await log.flush();
    }
  }
  feed.drain();
  await log.close();
  return bodies;
}

async function binaryBodies(): Promise<Buffer[]> {
  const bodies: Buffer[] = [];
  const log = gatewayInferenceLog({ trackingUri: "http://127.0.0.1:1", flushIntervalMs: 3_600_000, sink: { write: async (b) => void bodies.push(b) } });
  const feed = log.feed as RouterInferenceFeed & { flush(): Promise<void> };
  for (let i = 0; i < N; i++) {
    feed.push(records[i]);
    if (i % BATCH === BATCH - 1) await feed.flush();
  }
  await log.close();
  return bodies;
}

async function main(): Promise<void> {
  const fx = await openTestApp();
  const post = async (url: string, type: string, body: string | Buffer) => {
    const r = await fx.app.inject({ method: "POST", url: `/api/ciclo/v1${url}`, headers: { "content-type": type }, payload: body });
    if (r.statusCode !== 200) throw new Error(`${url}: ${r.statusCode} ${r.body.slice(0, 200)}`);
  };
  const flush = () => post("/monitoring/inference/flush", "application/json", "{}");
  const rows: Array<Record<string, number | string>> = [];
  try {
    // Warm-up of both paths.
    for (const b of (await jsonBodies()).slice(0, 2)) await post("/monitoring/inference", "application/json", b);
    for (const b of (await binaryBodies()).slice(0, 2)) await post("/monitoring/inference/batch", INFERENCE_BATCH_TYPE, b);
    await flush();
    for (let run = 0; run < Number(values.runs); run++) {
      // The order alternates: what one format leaves to the collector lands in whichever runs next.
      for (const format of run % 2 === 0 ? (["json", "binary"] as const) : (["binary", "json"] as const)) {
        const load = loadavg()[0];
        let t = cpuUs();
        const bodies = format === "json" ? await jsonBodies() : await binaryBodies();
        const gateway = (cpuUs() - t) / N;
        t = cpuUs();
        for (const b of bodies) await post(format === "json" ? "/monitoring/inference" : "/monitoring/inference/batch", format === "json" ? "application/json" : INFERENCE_BATCH_TYPE, b);
        await flush();
        const server = (cpuUs() - t) / N;
        const bytes = bodies.reduce((n, b) => n + Buffer.byteLength(b), 0) / N;
        rows.push({ run: run + 1, format, gatewayUsPerRecord: Number(gateway.toFixed(2)), serverUsPerRecord: Number(server.toFixed(2)), bytesPerRecord: Math.round(bytes), load: Number(load.toFixed(2)) });
        console.error(`[bench] run ${run + 1} ${format}: gateway ${gateway.toFixed(2)} µs, server ${server.toFixed(2)} µs per record, ${Math.round(bytes)} bytes per record (load ${load.toFixed(2)})`);
      }
    }
  } finally {
    await fx.close();
  }
  const result = JSON.stringify({ date: new Date().toISOString(), requests: N, batch: BATCH, rows }, null, 2);
  console.log(result);
  mkdirSync(fileURLToPath(new URL("./results/", import.meta.url)), { recursive: true });
  writeFileSync(fileURLToPath(new URL("./results/gateway-log-cpu.json", import.meta.url)), `${result}\n`);
}

await main();
