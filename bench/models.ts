/**
 * `npm run bench:models`: the in-process cost of the model package's hot path —
 * what a scoring server or batch job pays on top of HTTP:
 *
 * 1. one request, end to end in-process: a parsed JSON body → parseJsonRequest →
 *    validateInput → ONNX predict → toPredictions, for the linear and tree-ensemble
 *    fixtures, single row (sequential calls: latency percentiles and calls/s) and
 *    1,000-row bodies (rows/s);
 * 2. CSV input: CsvParser + csvToInput + validateInput over 200,000 generated rows (MB/s, rows/s);
 * 3. evaluation metrics over 1,000,000 rows (regressor, and 3-class classifier with probabilities).
 *
 * Results print and go to bench/results/models.json.
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CsvParser, csvToInput } from "../src/models/csv-input.js";
import { classifierMetrics } from "../src/models/metrics/classification-metrics.js";
import { regressorMetrics } from "../src/models/metrics/regression-metrics.js";
import { parseJsonRequest } from "../src/models/input-parser.js";
import { validateInput } from "../src/models/input-validator.js";
import type { LoadedModel } from "../src/models/loaded-model.js";
import { loadLocalModel } from "../src/models/model-loader.js";
import { toPredictions } from "../src/models/model-output.js";
import { saveModel } from "../src/models/model-package-writer.js";
import { tempDir } from "../src/testing/temp-dir.js";

const FIXTURES = new URL("../src/models/fixtures/", import.meta.url).pathname;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const round = (v: number, d = 1) => Math.round(v * 10 ** d) / 10 ** d;

async function requestLoop(model: LoadedModel, body: unknown, n: number) {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const parsed = parseJsonRequest(JSON.parse(JSON.stringify(body)), model.inputSchema);
    const out = await model.predict(validateInput(parsed.input, model.inputSchema));
    JSON.stringify({ predictions: toPredictions(out) });
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  const total = times.reduce((s, t) => s + t, 0);
  return { calls: n, p50_us: round(pct(times, 50)), p99_us: round(pct(times, 99)), calls_per_s: Math.round((n / total) * 1e6) };
}

async function main(): Promise<void> {
  const tmp = tempDir("ciclo-bench-models-");
  const results: Record<string, unknown> = { node: process.version, date: new Date().toISOString() };
  try {
    for (const name of ["linear-regressor", "tree-regressor"]) {
      const dir = join(tmp.path, name);
      await saveModel(dir, join(FIXTURES, `${name}.onnx`), { inputExample: [{ x1: 0.1, x2: 0.2, x3: 0.3 }] });
      const model = await loadLocalModel(dir);
      const one = { dataframe_split: { columns: ["x1", "x2", "x3"], data: [[0.5, -1.2, 2.0]] } };
      await requestLoop(model, one, 2000); // warm-up
      const single = await requestLoop(model, one, 20_000);
      const rows = Array.from({ length: 1000 }, (_, i) => [i / 1000, -i / 500, (i % 7) / 3]);
      const batch = await requestLoop(model, { dataframe_split: { columns: ["x1", "x2", "x3"], data: rows } }, 300);
      results[name] = { single_row: single, rows_1000: { ...batch, rows_per_s: batch.calls_per_s * 1000 } };
      console.log(`${name}: single row p50 ${single.p50_us} µs, p99 ${single.p99_us} µs, ${single.calls_per_s} calls/s; 1000-row bodies ${batch.calls_per_s * 1000} rows/s`);
      await model.close();
    }

    const N = 200_000;
    const lines = ["x1,x2,x3,label"];
    for (let i = 0; i < N; i++) lines.push(`${(i % 1000) / 7},${-i / 3},${i % 13},"c${i % 3}"`);
    const text = `${lines.join("\n")}\n`;
    const schema = { kind: "columns" as const, columns: ["x1", "x2", "x3"].map((name) => ({ name, type: "double" as const, required: true })) };
    const t0 = performance.now();
    const parser = new CsvParser();
    let header: string[] | undefined;
    let rowsSeen = 0;
    let pending: string[][] = [];
    const flush = () => {
      if (pending.length === 0) return;
      validateInput(csvToInput(header!, pending, schema), schema);
      rowsSeen += pending.length;
      pending = [];
    };
    for (let o = 0; o < text.length; o += 65536) {
      for (const rec of parser.push(text.slice(o, o + 65536))) {
        if (!header) header = rec;
        else pending.push(rec);
        if (pending.length >= 8192) flush();
      }
    }
    for (const rec of parser.end()) pending.push(rec);
    flush();
    const s = (performance.now() - t0) / 1000;
    results.csv = { rows: rowsSeen, mb: round(text.length / 1e6, 1), seconds: round(s, 3), mb_per_s: round(text.length / 1e6 / s), rows_per_s: Math.round(rowsSeen / s) };
    console.log(`csv: ${rowsSeen} rows, ${round(text.length / 1e6 / s)} MB/s, ${Math.round(rowsSeen / s)} rows/s`);

    const M = 1_000_000;
    const y = new Float64Array(M).map((_, i) => Math.sin(i));
    const yhat = y.map((v, i) => v + ((i % 17) - 8) / 100);
    let t = performance.now();
    regressorMetrics(y, yhat);
    const regMs = performance.now() - t;
    const labels = Array.from({ length: M }, (_, i) => i % 3);
    const preds = labels.map((l, i) => (i % 10 === 0 ? (l + 1) % 3 : l));
    const proba = new Float64Array(M * 3);
    for (let i = 0; i < M; i++) {
      const p = 0.6 + ((i % 7) - 3) / 20;
      proba[i * 3 + preds[i]] = p;
      proba[i * 3 + ((preds[i] + 1) % 3)] = (1 - p) / 2;
      proba[i * 3 + ((preds[i] + 2) % 3)] = (1 - p) / 2;
    }
    t = performance.now();
    classifierMetrics({ yTrue: labels, yPred: preds, proba, classes: [0, 1, 2] });
    const clsMs = performance.now() - t;
    results.metrics_1m_rows = { regressor_ms: Math.round(regMs), classifier_ms: Math.round(clsMs) };
    console.log(`metrics over 1M rows: regressor ${Math.round(regMs)} ms, 3-class classifier with log loss + ROC AUC ${Math.round(clsMs)} ms`);
  } finally {
    tmp.remove();
  }
  const out = new URL("./results/", import.meta.url).pathname;
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "models.json"), `${JSON.stringify(results, null, 2)}\n`);
}

await main();
