/**
 * The drift benchmark's data: a reference and a current table of N rows × 50
 * columns (40 numeric, 10 categorical), as Parquet (nullable columns, as
 * pandas/pyarrow write them; 131,072 rows per row group) and as CSV. Seeded;
 * written once per size under .tmp/bench-drift/. The current table drifts in
 * 7 of the 50 columns: means of n0–n4 shift by 0.3σ, c0's shares move, c1
 * gains a new category.
 */
import { createWriteStream, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import { rng } from "../src/testing/seeded-data.js";

export const NUMERIC = 40;
export const CATEGORICAL = 10;
export const DRIFTED = ["n0", "n1", "n2", "n3", "n4", "c0", "c1"];

export function benchColumns(n: number, current: boolean, seed: number): Array<{ name: string; values: Float64Array | Array<string | null> }> {
  const r = rng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const out: Array<{ name: string; values: Float64Array | Array<string | null> }> = [];
  for (let c = 0; c < NUMERIC; c++) {
    const v = new Float64Array(n);
    const shift = current && c < 5 ? 0.3 : 0;
    for (let i = 0; i < n; i++) {
      let x: number;
      switch (c % 4) {
        case 0: x = normal() + shift; break;
        case 1: x = Math.exp(0.5 * normal() + shift * 0.5); break; // skewed
        case 2: x = r() * 100 + shift * 29; break; // uniform
        default: x = Math.round(normal() * 3 + 20 + shift * 3); // integers
      }
      // Missing values in a few columns (as real data has).
      v[i] = c % 10 === 9 && r() < 0.02 ? Number.NaN : Math.round(x * 1e6) / 1e6;
    }
    out.push({ name: `n${c}`, values: v });
  }
  for (let c = 0; c < CATEGORICAL; c++) {
    const k = 5 + c;
    const cats = Array.from({ length: k }, (_, j) => `cat${c}_${j}`);
    if (current && c === 1) cats.push("new_category");
    const v = new Array<string | null>(n);
    for (let i = 0; i < n; i++) {
      let u = r();
      if (current && c === 0) u = u * u; // shares move toward the first categories
      v[i] = c === 9 && r() < 0.01 ? null : cats[Math.floor(u * u * cats.length)];
    }
    out.push({ name: `c${c}`, values: v });
  }
  return out;
}

async function writeCsv(path: string, cols: ReturnType<typeof benchColumns>, n: number): Promise<void> {
  const out = createWriteStream(path);
  out.write(cols.map((c) => c.name).join(",") + "\n");
  for (let start = 0; start < n; start += 10_000) {
    let text = "";
    for (let i = start; i < Math.min(n, start + 10_000); i++) {
      text += cols.map((c) => {
        const v = c.values[i];
        return v === null || (typeof v === "number" && Number.isNaN(v)) ? "" : String(v);
      }).join(",") + "\n";
    }
    if (!out.write(text)) await new Promise<void>((res) => out.once("drain", () => res()));
  }
  await new Promise<void>((res, rej) => out.end((err?: Error | null) => (err ? rej(err) : res())));
}

export async function benchData(rows: number, root = ".tmp/bench-drift"): Promise<{ dir: string; ref: string; cur: string; refCsv: string; curCsv: string }> {
  const dir = join(root, String(rows));
  const files = { dir, ref: join(dir, "ref.parquet"), cur: join(dir, "cur.parquet"), refCsv: join(dir, "ref.csv"), curCsv: join(dir, "cur.csv") };
  if (existsSync(files.curCsv)) return files;
  mkdirSync(dir, { recursive: true });
  for (const [current, pq, csv, seed] of [[false, files.ref, files.refCsv, 1], [true, files.cur, files.curCsv, 2]] as const) {
    const cols = benchColumns(rows, current, seed);
    const buf = parquetWriteBuffer({
      columnData: cols.map((c) => ({ name: c.name, data: c.values instanceof Float64Array ? Array.from(c.values, (v) => (Number.isNaN(v) ? null : v)) : c.values, type: c.values instanceof Float64Array ? ("DOUBLE" as const) : ("STRING" as const) })),
      rowGroupSize: 131_072,
    });
    writeFileSync(pq, Buffer.from(buf));
    await writeCsv(csv, cols, rows);
  }
  return files;
}
