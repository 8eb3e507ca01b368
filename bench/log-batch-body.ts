/**
 * Reading a 1,000-point log-batch body (the wrk script's shape), in process: the existing path (`parseJsonBody`, the
 * route's schema compiled with the app's options, `toMetric`) against the direct route's scanner
 * (`tracking/http/log-batch-scan.ts`). Alternated rounds; CPU µs per body of this process.
 *
 *   node --import tsx bench/log-batch-body.ts [--bodies 3000] [--rounds 3]
 * @module
 */
import { Ajv } from "ajv";
import { parseJsonBody } from "../src/server/http/json-body.js";
import { scanLogBatch } from "../src/tracking/http/log-batch-scan.js";
import { toMetric, type MetricIn } from "../src/tracking/http/runs.js";
import { LogBatchBody } from "../src/tracking/http/runs.schema.js";

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const N = opt("--bodies", 3000);
const ROUNDS = opt("--rounds", 3);

// As server/app.ts compiles body schemas.
const validate = new Ajv({ coerceTypes: false, useDefaults: true, allErrors: false, verbose: true, strict: false }).compile(LogBatchBody);

// 50 distinct bodies as bench/wrk/log-batch.lua writes them, decoded from bytes as the server decodes them.
const bodies: string[] = [];
for (let b = 0; b < 50; b++) {
  const parts: string[] = [];
  for (let i = 0; i < 1000; i++) parts.push(`{"key":"m${i % 10}","value":${Math.random().toFixed(6)},"timestamp":${1700000000000 + b},"step":${40_000_000 + b * 1000 + i}}`);
  bodies.push(Buffer.from(`{"run_id":"0123456789abcdef0123456789abcdef","metrics":[${parts.join(",")}]}`).toString("utf8"));
}

const existing = (text: string) => {
  const body = parseJsonBody(text) as { metrics: MetricIn[] };
  if (!validate(body)) throw new Error("invalid body");
  return body.metrics.map(toMetric).length;
};
const scanned = (text: string) => scanLogBatch(text)!.metrics.length;

let sink = 0;
const run = (name: string, fn: (text: string) => number) => {
  const t0 = process.cpuUsage();
  for (let i = 0; i < N; i++) sink += fn(bodies[i % bodies.length]);
  const used = process.cpuUsage(t0);
  return `${name} ${((used.user + used.system) / N).toFixed(0)} µs`;
};
for (let r = 0; r < ROUNDS; r++) {
  // Each round in the other order, so neither side always runs second.
  const pair = r % 2 === 0 ? [run("existing", existing), run("scanner", scanned)] : [run("scanner", scanned), run("existing", existing)];
  console.log(`round ${r + 1}: ${pair.join(", ")} per body`);
}
if (sink !== 2 * ROUNDS * N * 1000) throw new Error("a body lost points");
