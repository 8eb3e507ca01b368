/**
 * `npm run bench:sdk`: what `logMetric` costs the training code that calls it,
 * with the SDK's background flusher sending to a live server (a child
 * process), and the log-batch sizes that went over the wire.
 *
 *   npm run bench:sdk                 # 20,000 steps × 10 metrics
 *   npm run bench:sdk -- --steps 5000
 *
 * Two loops: a "training loop" (10 logMetric calls per step, then an await —
 * where a real loop awaits its model — so the flusher runs between steps), and
 * a tight loop of 1,000,000 calls (the pure cost of buffering). Time is taken
 * around the logMetric calls only, in blocks (hrtime per block of 10 calls),
 * so the figure is what the caller pays, not the flusher. The goal: < 5 µs per
 * call, batches of 1,000 on the wire. Results print and go to
 * bench/results/sdk-overhead.json.
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Ciclo } from "../src/sdk/fluent-session.js";
import { TrackingClient } from "../src/sdk/tracking-client.js";
import { startChildServer } from "../src/testing/child-server.js";
import { tempDir } from "../src/testing/temp-dir.js";

const args = process.argv.slice(2);
const arg = (name: string, dflt: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const STEPS = arg("--steps", 20_000);
const PER_STEP = 10;
const TIGHT = arg("--tight", 1_000_000);
const KEYS = Array.from({ length: PER_STEP }, (_, i) => `metric_${i}`);

function log(msg: string): void {
  process.stderr.write(`[bench:sdk] ${msg}\n`);
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function batchSummary(sizes: number[]) {
  const sorted = [...sizes].sort((a, b) => a - b);
  return {
    calls: sizes.length,
    min: sorted[0] ?? 0,
    median: pct(sorted, 50) ?? 0,
    max: sorted.at(-1) ?? 0,
    full: sizes.filter((s) => s === 1000).length,
  };
}

async function main(): Promise<void> {
  const dir = tempDir("ciclo-bench-sdk-");
  const server = await startChildServer(`sqlite:///${join(dir.path, "bench.db")}`, join(dir.path, "artifacts"));
  log(`server ${server.url} (pid ${server.proc.pid})`);
  const sizes: number[] = [];
  const errors: string[] = [];
  const ciclo = new Ciclo({
    trackingUri: server.url,
    env: {},
    offlineFallback: false,
    onError: (e) => errors.push(e.message),
    onBatchSent: (s) => void (s.metrics > 0 && sizes.push(s.metrics)),
  });
  try {
    await ciclo.setExperiment("bench-sdk");
    const run = await ciclo.startRun({ runName: "overhead" });

    // ── training loop: 10 calls per step, then an await ──
    for (let s = 0; s < 200; s++) ciclo.logMetric("warmup", s, s); // JIT warm-up, not measured
    const blockNs: number[] = [];
    const t0 = performance.now();
    for (let step = 0; step < STEPS; step++) {
      const a = process.hrtime.bigint();
      for (let k = 0; k < PER_STEP; k++) ciclo.logMetric(KEYS[k], Math.sin(step + k), step);
      blockNs.push(Number(process.hrtime.bigint() - a) / PER_STEP);
      await new Promise<void>((r) => setImmediate(r));
    }
    const loopMs = performance.now() - t0;
    const tf = performance.now();
    const report = await ciclo.flush();
    const flushMs = performance.now() - tf;
    const sorted = [...blockNs].sort((a, b) => a - b);
    const meanNs = blockNs.reduce((a, b) => a + b, 0) / blockNs.length;
    const trainingBatches = batchSummary(sizes);

    // ── tight loop: nothing but logMetric ──
    sizes.length = 0;
    const tt = process.hrtime.bigint();
    for (let i = 0; i < TIGHT; i++) ciclo.logMetric("tight", i, i);
    const tightNs = Number(process.hrtime.bigint() - tt) / TIGHT;
    const tflush = performance.now();
    await ciclo.endRun();
    const tightFlushMs = performance.now() - tflush;
    const tightBatches = batchSummary(sizes);

    const client = new TrackingClient({ trackingUri: server.url, env: {} });
    const stored = (await client.getAllMetricHistory(run.runId, KEYS[0])).length;
    const storedTight = (await client.getAllMetricHistory(run.runId, "tight")).length;
    const result = {
      date: new Date().toISOString(),
      node: process.version,
      training: {
        calls: STEPS * PER_STEP,
        nsPerCall: { mean: Math.round(meanNs), p50: Math.round(pct(sorted, 50)), p99: Math.round(pct(sorted, 99)), max: Math.round(sorted.at(-1)!) },
        loopMs: Math.round(loopMs),
        flushAfterLoopMs: Math.round(flushMs),
        batches: trainingBatches,
        storedPerKey: stored,
        flushErrors: report.errors.length,
      },
      tight: { calls: TIGHT, nsPerCall: Math.round(tightNs), flushMs: Math.round(tightFlushMs), batches: tightBatches, stored: storedTight },
      errors,
    };
    console.log(`
SDK logging overhead (${result.node}, server: child process, SQLite)
  training loop: ${result.training.calls.toLocaleString()} logMetric calls (${STEPS} steps × ${PER_STEP}, await between steps)
    ns per call in the caller: mean ${result.training.nsPerCall.mean}, p50 ${result.training.nsPerCall.p50}, p99 ${result.training.nsPerCall.p99}, max ${result.training.nsPerCall.max}   (goal < 5,000)
    log-batch calls: ${trainingBatches.calls} — metrics per call min ${trainingBatches.min} / median ${trainingBatches.median} / max ${trainingBatches.max}; ${trainingBatches.full} of 1,000
    loop ${result.training.loopMs} ms; flush after the loop ${result.training.flushAfterLoopMs} ms; stored ${stored} points per key (expected ${STEPS})
  tight loop: ${TIGHT.toLocaleString()} calls, no awaits
    ns per call: ${result.tight.nsPerCall}; then ${tightBatches.calls} log-batch calls (median ${tightBatches.median} metrics) in ${result.tight.flushMs} ms; stored ${storedTight}
  errors: ${errors.length}`);
    mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
    writeFileSync(new URL("./results/sdk-overhead.json", import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
    if (stored !== STEPS || storedTight !== TIGHT || errors.length > 0) process.exitCode = 1;
  } finally {
    server.proc.kill("SIGTERM");
    await server.exited;
    dir.remove();
  }
}

await main();
