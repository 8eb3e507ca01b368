/**
 * Scoring-server and batch-scoring benchmarks (issue 5 targets):
 * - single-row requests over HTTP at 64 connections with `wrk` (MLflow protocol and v2):
 *   target ≥ 15,000 req/s with p99 ≤ 10 ms on the 2-core machine;
 * - batched throughput: 100-row requests, rows/s;
 * - batch scoring (`ciclo models predict`): 1,000,000 rows CSV → CSV and Parquet → Parquet, rows/s.
 *
 * The server is `ciclo models serve` in its own process (from source through
 * tsx: the same JIT-compiled JS as a build), on the linear-regressor ONNX fixture.
 * Usage: npm run bench:serving [-- --seconds 10 --workers 1 --rows 1000000]
 * Results: printed, and written to bench/results/serving.json.
 * @module
 */
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { saveModel } from "../src/models/model-package-writer.js";
import { predictFile } from "../src/serving/batch/batch-predict.js";
import { scoringPhase, startModelServer } from "./lib/scoring-driver.js";
import { runWrk, wrkAvailable } from "./lib/wrk.js";

const { values } = parseArgs({
  options: { seconds: { type: "string", default: "10" }, workers: { type: "string", default: "1" }, rows: { type: "string", default: "1000000" }, connections: { type: "string", default: "64" } },
});
const FIXTURE = fileURLToPath(new URL("../src/models/fixtures/linear-regressor.onnx", import.meta.url));
const seconds = Number(values.seconds);
const connections = Number(values.connections);

async function writeCsv(path: string, rows: number): Promise<void> {
  const ws = createWriteStream(path);
  ws.write("a,b,c\n");
  for (let i = 0; i < rows; i += 10_000) {
    let s = "";
    for (let j = i; j < Math.min(rows, i + 10_000); j++) s += `${(j % 1000) / 100},${(j % 777) / 777},${-(j % 313) / 7}\n`;
    if (!ws.write(s)) await new Promise<void>((r) => ws.once("drain", () => r()));
  }
  await new Promise<void>((r) => ws.end(() => r()));
}

const work = mkdtempSync(join(tmpdir(), "ciclo-bench-serving-"));
const results: Record<string, unknown> = { date: new Date().toISOString(), connections, seconds, workers: values.workers };
try {
  const modelDir = join(work, "linear");
  await saveModel(modelDir, FIXTURE);
  if (!wrkAvailable()) console.log("wrk not found (apt-get install wrk): skipping the HTTP benchmarks");
  else {
    const server = await startModelServer(modelDir, values.workers!, ["--model-name", "linear"], { CICLO_FROM_SOURCE: "1" });
    try {
      const one = await scoringPhase(server.url, { script: "serving-one-row.lua", connections, seconds, ciclo: true });
      console.log(`single-row MLflow /invocations, ${connections} connections: ${Math.round(one.requestsPerSec)} req/s, p99 ${one.latencyP99Ms} ms, mean batch ${one.meanBatch}, errors ${one.errors}`);
      const v2 = await runWrk({ url: `${server.url}/v2/models/linear/infer`, script: "serving-v2-one-row.lua", threads: 1, connections, seconds, env: { MODEL: "linear" } });
      console.log(`single-row v2 infer, ${connections} connections: ${Math.round(v2.requestsPerSec)} req/s, p99 ${v2.latencyP99Ms} ms, errors ${v2.errors}`);
      const batch = await scoringPhase(server.url, { script: "serving-batch.lua", connections, seconds, env: { ROWS: "100" }, ciclo: true });
      console.log(`100-row requests, ${connections} connections: ${Math.round(batch.requestsPerSec)} req/s = ${Math.round(batch.requestsPerSec * 100)} rows/s, p99 ${batch.latencyP99Ms} ms`);
      Object.assign(results, { singleRow: one, singleRowV2: v2, batched100: { ...batch, rowsPerSec: batch.requestsPerSec * 100 } });
    } finally {
      await server.stop();
    }
  }
  const rows = Number(values.rows);
  const csv = join(work, "in.csv");
  await writeCsv(csv, rows);
  const toCsv = await predictFile({ modelPath: modelDir, input: csv, output: join(work, "out.csv") });
  console.log(`batch scoring ${rows} rows CSV → CSV: ${(toCsv.ms / 1000).toFixed(2)} s = ${Math.round((toCsv.rows / toCsv.ms) * 1000)} rows/s`);
  const toPq = await predictFile({ modelPath: modelDir, input: csv, output: join(work, "out-from-csv.parquet") });
  const { parquetWriteFile } = await import("hyparquet-writer");
  const n = rows;
  const col = (f: (j: number) => number) => Float64Array.from({ length: n }, (_, j) => f(j));
  parquetWriteFile({ filename: join(work, "in3.parquet"), columnData: [
    { name: "a", data: col((j) => (j % 1000) / 100), type: "DOUBLE" },
    { name: "b", data: col((j) => (j % 777) / 777), type: "DOUBLE" },
    { name: "c", data: col((j) => -(j % 313) / 7), type: "DOUBLE" },
  ] });
  const pq = await predictFile({ modelPath: modelDir, input: join(work, "in3.parquet"), output: join(work, "out.parquet") });
  console.log(`batch scoring ${rows} rows Parquet → Parquet: ${(pq.ms / 1000).toFixed(2)} s = ${Math.round((pq.rows / pq.ms) * 1000)} rows/s (CSV → Parquet ${Math.round((toPq.rows / toPq.ms) * 1000)} rows/s)`);
  Object.assign(results, { batchCsv: { rows, rowsPerSec: (toCsv.rows / toCsv.ms) * 1000 }, batchParquet: { rows, rowsPerSec: (pq.rows / pq.ms) * 1000 } });
  const dir = fileURLToPath(new URL("./results", import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "serving.json"), `${JSON.stringify(results, null, 2)}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
