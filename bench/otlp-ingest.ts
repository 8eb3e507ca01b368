/**
 * `npm run bench:otlp`: what OTLP ingestion (`POST /v1/traces`) costs on a real ciclo server (SQLite, or a new
 * PostgreSQL test database with `--postgres`; local artifact store) in this process, sent by OpenTelemetry's own protobuf exporter over loopback:
 *  - batches: requests of 512 spans spread over 32 traces (what a BatchSpanProcessor sends), each trace new;
 *  - one growing trace: one span a request (a SimpleSpanProcessor), N requests into the same trace, so each request
 *    merges into a traces.json that grows — the cost per request as the trace reaches N spans.
 * Reports wall time and this process's CPU per request (client serialization included) and the load average.
 *
 *   npm run bench:otlp [-- --batches 40 --growing 1000 --postgres]
 * @module
 */
import { loadavg } from "node:os";
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { context, trace } from "@opentelemetry/api";
import { startLiveTrackingServer } from "../src/testing/live-tracking-server.js";
import { createTestDatabase, postgresUnavailable } from "../src/testing/postgres-fixture.js";

const args = process.argv.slice(2);
const opt = (name: string, d: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : d);
const BATCHES = Number(opt("--batches", "40"));
const GROWING = Number(opt("--growing", "1000"));
const load = () => loadavg().map((l) => l.toFixed(2)).join(" ");

/** Real SDK spans: `traces` traces of `perTrace` spans each (a root and its children), with LLM-sized attributes. */
function makeSpans(traces: number, perTrace: number): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer("bench");
  for (let t = 0; t < traces; t++) {
    const root = tracer.startSpan("agent", { attributes: { "mlflow.spanInputs": JSON.stringify({ q: "x".repeat(200) }) } });
    const ctx = trace.setSpan(context.active(), root);
    for (let i = 1; i < perTrace; i++) tracer.startSpan(`step-${i}`, { attributes: { "gen_ai.prompt": "p".repeat(300), tokens: i } }, ctx).end();
    root.end();
  }
  return memory.getFinishedSpans();
}

if (args.includes("--postgres")) {
  const why = await postgresUnavailable();
  if (why) throw new Error(why);
}
const pgdb = args.includes("--postgres") ? await createTestDatabase() : undefined;
const server = await startLiveTrackingServer({ backendStoreUri: pgdb?.uri });
console.log(`backend: ${pgdb ? "postgresql" : "sqlite"}`);
const res = await fetch(`${server.url}/api/2.0/mlflow/experiments/create`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "otlp-bench" }) });
const exp = String(((await res.json()) as { experiment_id: string }).experiment_id);
const exporter = new OTLPTraceExporter({ url: `${server.url}/v1/traces`, headers: { "x-mlflow-experiment-id": exp } });
const send = async (spans: ReadableSpan[]) => {
  const r = await new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));
  if (r.code !== ExportResultCode.SUCCESS) throw r.error ?? new Error("export failed");
};

async function measure(label: string, bodies: ReadableSpan[][], spansPer: number): Promise<void> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const each: number[] = [];
  for (const b of bodies) {
    const s = performance.now();
    await send(b);
    each.push(performance.now() - s);
  }
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const q = (p: number, xs: number[]) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!.toFixed(2);
  console.log(
    `${label}: ${bodies.length} requests × ${spansPer} spans; ` +
      `wall ${(wall / bodies.length).toFixed(2)} ms/request (first ${q(0, each)}, last ${each.at(-1)!.toFixed(2)}), ` +
      `CPU ${(cpuMs / bodies.length).toFixed(2)} ms/request, ${((cpuMs * 1000) / (bodies.length * spansPer)).toFixed(1)} µs/span; load ${load()}`,
  );
}

try {
  const batches = Array.from({ length: BATCHES }, () => makeSpans(32, 16));
  await measure("batches (32 new traces a request)", batches, 512);
  const growing = makeSpans(1, GROWING).map((s) => [s]);
  const half = Math.floor(growing.length / 2);
  await measure(`one trace, spans 1–${half}`, growing.slice(0, half), 1);
  await measure(`one trace, spans ${half + 1}–${growing.length}`, growing.slice(half), 1);
} finally {
  await exporter.shutdown();
  await server.close();
  await pgdb?.drop();
}
