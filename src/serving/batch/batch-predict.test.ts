/**
 * Batch scoring: every input/output format pair on the fixture's rows
 * (values equal to the model's own predictions), quoted CSV cut into many
 * small chunks, failures leave no output file, and — through the CLI, in a
 * child process whose heap is smaller than the file — a generated file of
 * 2,000,000 rows streams through with row count, order and values checked
 * against direct predictions.
 */
import assert from "node:assert/strict";
import { createReadStream, createWriteStream, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";
import { parquetReadObjects, asyncBufferFromFile } from "hyparquet";
import { loadLocalModel } from "../../models/model-loader.js";
import { validateInput } from "../../models/input-validator.js";
import { runCiclo } from "../../testing/child-server.js";
import { FIXTURE_EXPECTED, linearModel, slowModel } from "../../testing/model-fixtures.js";
import { tempDir } from "../../testing/temp-dir.js";
import { predictFile } from "./batch-predict.js";

const expected = JSON.parse(readFileSync(FIXTURE_EXPECTED, "utf8"))["linear-regressor"] as { X: number[][]; variable: number[] };
const tmp = tempDir("ciclo-batch-predict-");
let linear: string;
let slow: string;

before(async () => {
  linear = await linearModel(tmp.path);
  slow = await slowModel(tmp.path);
});
after(() => tmp.remove());

const close = (a: number, b: number) => Math.abs(a - b) < 1e-4;

async function readOutput(path: string): Promise<number[]> {
  if (path.endsWith(".parquet")) {
    const rows = (await parquetReadObjects({ file: await asyncBufferFromFile(path) })) as Array<Record<string, number>>;
    return rows.map((r) => Object.values(r)[0]);
  }
  const lines = readFileSync(path, "utf8").trimEnd().split("\n");
  if (path.endsWith(".csv")) return lines.slice(1).map(Number);
  return lines.map((l) => Object.values(JSON.parse(l) as Record<string, number>)[0]);
}

test("CSV, JSON lines and Parquet in and out give the model's predictions in input order", async () => {
  const { X, variable } = expected;
  const csv = join(tmp.path, "in.csv");
  writeFileSync(csv, `a,b,c\r\n${X.map((r) => r.join(",")).join("\r\n")}\r\n`);
  const jsonl = join(tmp.path, "in.jsonl");
  writeFileSync(jsonl, X.map(([a, b, c]) => JSON.stringify({ a, b, c })).join("\n"));
  const parquet = join(tmp.path, "in.parquet");
  const { parquetWriteFile } = await import("hyparquet-writer");
  parquetWriteFile({ filename: parquet, columnData: ["a", "b", "c"].map((name, j) => ({ name, data: Float64Array.from(X, (r) => r[j]), type: "DOUBLE" as const })) });
  for (const input of [csv, jsonl, parquet]) {
    for (const ext of ["csv", "jsonl", "parquet"]) {
      const output = join(tmp.path, `out-${input.split(".").pop()}.${ext}`);
      const r = await predictFile({ modelPath: linear, input, output, workers: 0 }); // threads are covered below
      assert.equal(r.rows, 5);
      const got = await readOutput(output);
      assert.equal(got.length, 5, output);
      got.forEach((v, i) => assert.ok(close(v, variable[i]), `${output} row ${i}: ${v} vs ${variable[i]}`));
    }
  }
});

test("quoted CSV fields (commas, newlines) cut into many tiny chunks keep every row", async () => {
  const input = join(tmp.path, "quoted.csv");
  const rows = Array.from({ length: 200 }, (_, i) => `${i},"note ${i}, with a comma\nand a newline ""quoted"""`);
  writeFileSync(input, `x,note\n${rows.join("\n")}\n`);
  const output = join(tmp.path, "quoted-out.jsonl");
  const r = await predictFile({ modelPath: slow, input, output, chunkBytes: 50, workers: 2 });
  assert.equal(r.rows, 200);
  assert.deepEqual(await readOutput(output), Array.from({ length: 200 }, (_, i) => i * 2));
});

test("a bad row fails the run, names where, and leaves no output file", async () => {
  const input = join(tmp.path, "bad.csv");
  writeFileSync(input, "x\n1\n2\nnot-a-number\n");
  const output = join(tmp.path, "bad-out.csv");
  await assert.rejects(predictFile({ modelPath: slow, input, output }), /input bytes.*'x'.*not a number/s);
  assert.equal(existsSync(output), false);
  assert.equal(existsSync(`${output}.partial`), false);
});

test("2,000,000 rows through `ciclo models predict` with a heap smaller than the file", async () => {
  const N = 2_000_000;
  const input = join(tmp.path, "big.csv");
  const row = (i: number) => [(i % 1000) / 100, i / N, -i / 7];
  const ws = createWriteStream(input);
  ws.write("a,b,c\n");
  for (let i = 0; i < N; i += 20_000) {
    let s = "";
    for (let j = i; j < i + 20_000; j++) s += `${row(j).join(",")}\n`;
    if (!ws.write(s)) await new Promise<void>((r) => ws.once("drain", () => r()));
  }
  await new Promise<void>((r) => ws.end(() => r()));
  const output = join(tmp.path, "big-out.csv");
  // 48 MB of heap for a ≈ 60 MB file: holding it (or its parsed rows) would crash the child.
  const res = await runCiclo(["models", "predict", "-m", linear, "-i", input, "-o", output, "--json"], { NODE_OPTIONS: "--max-old-space-size=48" });
  assert.equal(res.code, 0, res.stderr);
  assert.equal((JSON.parse(res.stdout) as { rows: number }).rows, N);

  const samples = [0, 1, 12_345, 999_999, 1_000_000, 1_500_001, N - 1];
  const model = await loadLocalModel(linear);
  const direct = await model.predict(validateInput({ kind: "tensors", rowCount: samples.length, tensors: [{ dtype: "float64", shape: [samples.length, 3], data: Float64Array.from(samples.flatMap(row)) }] }, model.inputSchema));
  await model.close();
  const want = (direct as { tensors: Array<{ data: Float32Array }> }).tensors[0].data;
  let line = -1;
  let count = 0;
  const found = new Map<number, number>();
  for await (const text of createInterface({ input: createReadStream(output) })) {
    if (line >= 0 && samples.includes(line)) found.set(line, Number(text));
    if (line >= 0) count++;
    else assert.equal(text, "variable");
    line++;
  }
  assert.equal(count, N);
  samples.forEach((s, i) => assert.ok(close(found.get(s)!, want[i]), `row ${s}: ${found.get(s)} vs ${want[i]}`));
});
