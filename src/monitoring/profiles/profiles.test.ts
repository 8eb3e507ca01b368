/**
 * Profiles: exact where they promise to be, mergeable (windows merged equal
 * the window of all their rows), the same from Parquet as from CSV, and a
 * loader that refuses what it cannot trust.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { parquetWriteBuffer } from "hyparquet-writer";
import { InvalidParameterValueError } from "../../shared/errors.js";
import { normals, rng } from "../../testing/seeded-data.js";
import { tempDir } from "../../testing/temp-dir.js";
import { driftReport } from "../drift/drift-report.js";
import { ks2samp } from "../drift/ks-test.js";
import { wasserstein } from "../drift/distances.js";
import { weightedSampleOf } from "../drift/weighted-sample.js";
import { CsvTableSource } from "../sources/csv-table-source.js";
import { ParquetTableSource } from "../sources/parquet-table-source.js";
import { profileParquetReference } from "../sources/parallel-profiler.js";
import { CellLocator } from "./numeric-layout.js";
import { decodeProfile, encodeProfile } from "./profile-codec.js";
import { mergeProfiles } from "./profile-merge.js";
import { profileQuantile } from "./profile-quantiles.js";
import { PROFILE_VERSION, type NumericColumnProfile } from "./profile-types.js";
import { profileReference, profileWindow } from "./profiler.js";
import { InMemoryTableSource } from "./table-source.js";

const table = (x: number[], cat: string[]) => new InMemoryTableSource([{ name: "x", values: Float64Array.from(x) }, { name: "c", values: cat }]);
const cats = (n: number, seed: number, pool: string[]) => {
  const r = rng(seed);
  return Array.from({ length: n }, () => pool[Math.floor(r() * pool.length)]);
};

describe("profiles", () => {
  const dir = tempDir("ciclo-profiles-");
  after(() => dir.remove());

  it("K-S from a small reference's profile equals K-S on the raw data, whatever the window's size", async () => {
    const ref = normals(800, 1);
    const cur = normals(50_000, 2, 0.02);
    const rp = await profileReference(table(ref, cats(800, 3, ["a", "b"])));
    const cp = await profileWindow(table(cur, cats(50_000, 4, ["a", "b"])), rp);
    assert.equal((cp.columns[0] as NumericColumnProfile).values, null, "the window keeps no values");
    const col = driftReport(rp, cp).columns.find((c) => c.column === "x")!;
    assert.equal(col.test, "ks");
    assert.equal(col.method, "exact");
    assert.equal(col.score, ks2samp(weightedSampleOf(ref), weightedSampleOf(cur)).pvalue);
  });

  it("Wasserstein from cells stays within its stated bound of the exact value", async () => {
    const ref = normals(30_000, 5).map((v) => Math.exp(v)); // skewed
    const cur = normals(40_000, 6, 0.1).map((v) => Math.exp(v));
    const rp = await profileReference(table(ref, cats(30_000, 7, ["a"])));
    const cp = await profileWindow(table(cur, cats(40_000, 8, ["a"])), rp);
    const col = driftReport(rp, cp).columns.find((c) => c.column === "x")!;
    const std = Math.sqrt((rp.columns[0] as NumericColumnProfile).m2 / ref.length);
    const exact = wasserstein(weightedSampleOf(ref), weightedSampleOf(cur)) / std;
    assert.equal(col.test, "wasserstein");
    assert.ok(Math.abs(col.score! - exact) <= (col.errorBound ?? 0) + 1e-12, `${col.score} vs ${exact} ± ${col.errorBound}`);
    assert.ok(Math.abs(col.score! - exact) < 1e-3 * exact, `${col.score} vs ${exact}`);
  });

  it("thresholds from the reference's chunks: mean + 3σ of the chunks' scores (NannyML's rule)", async () => {
    const rp = await profileReference(table(normals(20_000, 40), cats(20_000, 41, ["a", "b", "c"])), { chunks: 5 });
    assert.equal(rp.chunks?.length, 5);
    const cp = await profileWindow(table(normals(5000, 42, 0.05), cats(5000, 43, ["a", "b", "c"])), rp);
    const report = driftReport(rp, cp, { chunkThresholds: true });
    for (const col of report.columns) {
      assert.equal(col.thresholdFrom, "reference-chunks", col.column);
      const scores = rp.chunks!.map((chunk) => driftReport(rp, chunk).columns.find((c) => c.column === col.column)!.score!);
      const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
      const sd = Math.sqrt(scores.reduce((a, b) => a + (b - mean) ** 2, 0) / scores.length);
      assert.ok(Math.abs(col.threshold - (mean + 3 * sd)) < 1e-12, `${col.column}: ${col.threshold} vs ${mean + 3 * sd}`);
      assert.equal(col.drifted, col.score! >= col.threshold);
    }
    // A given threshold wins; p-value tests keep theirs; a profile without chunks is refused.
    assert.equal(driftReport(rp, cp, { chunkThresholds: true, thresholds: { x: 0.3 } }).columns[0].thresholdFrom, "given");
    const plain = await profileReference(table(normals(300, 44), cats(300, 45, ["a", "b", "c"])));
    assert.throws(() => driftReport(plain, plain, { chunkThresholds: true }), InvalidParameterValueError);
  });

  it("windows merged equal the window of all their rows", async () => {
    const rp = await profileReference(table(normals(5000, 9), cats(5000, 10, ["a", "b", "c"])));
    const parts = [normals(3000, 11, 0.5), normals(2000, 12, -0.2), normals(4000, 13, 1)];
    const cparts = [cats(3000, 14, ["a", "d"]), cats(2000, 15, ["b"]), cats(4000, 16, ["c", "e"])];
    const windows = await Promise.all(parts.map((p, i) => profileWindow(table(p, cparts[i]), rp)));
    const merged = mergeProfiles(windows);
    const whole = await profileWindow(table(parts.flat(), cparts.flat()), rp);
    const [m, w] = [merged.columns[0] as NumericColumnProfile, whole.columns[0] as NumericColumnProfile];
    assert.deepEqual(m.cellCounts, w.cellCounts);
    assert.equal(m.n, w.n);
    assert.ok(Math.abs(m.mean - w.mean) < 1e-12 && Math.abs(m.m2 / w.m2 - 1) < 1e-12);
    m.cellOffsets.forEach((o, i) => assert.ok(Math.abs(o - w.cellOffsets[i]) <= 1e-9 * Math.max(1, Math.abs(o))));
    assert.deepEqual(merged.columns[1], whole.columns[1]);
    assert.deepEqual(driftReport(rp, merged), driftReport(rp, whole));
    const other = await profileReference(table(normals(100, 17), cats(100, 18, ["a"])));
    assert.throws(() => mergeProfiles([merged, other]), InvalidParameterValueError);
  });

  it("a Parquet file and a CSV file of the same table give the same profile", async () => {
    const x = normals(3000, 19);
    const ints = x.map((v) => Math.round(v * 10));
    const c = cats(3000, 20, ["u", "v", "w"]);
    x[5] = Number.NaN;
    c[7] = null as unknown as string;
    const csv = ["x,i,c", ...x.map((v, i) => `${Number.isNaN(v) ? "" : v},${ints[i]},${c[i] ?? ""}`)].join("\n");
    writeFileSync(join(dir.path, "t.csv"), csv);
    const buf = parquetWriteBuffer({
      columnData: [
        { name: "x", data: x.map((v) => (Number.isNaN(v) ? null : v)), type: "DOUBLE" },
        { name: "i", data: BigInt64Array.from(ints.map(BigInt)), type: "INT64", nullable: false },
        { name: "c", data: c, type: "STRING" },
      ],
      rowGroupSize: 1000,
    });
    writeFileSync(join(dir.path, "t.parquet"), Buffer.from(buf));
    const fromCsv = await profileReference(new CsvTableSource(join(dir.path, "t.csv")));
    const fromParquet = await profileReference(new ParquetTableSource(join(dir.path, "t.parquet")));
    // Batches differ (row groups vs CSV slices): moments agree to rounding, everything else exactly.
    const rounded = (p: typeof fromCsv) =>
      JSON.parse(JSON.stringify(p, (k, v) => (typeof v === "number" && (k === "mean" || k === "m2" || k === "cellOffsets") ? Number(v.toPrecision(12)) : v)));
    assert.deepEqual(rounded(fromParquet), rounded(fromCsv));
    assert.deepEqual(fromCsv.columns.map((k) => `${k.kind}:${k.dtype}`), ["num:float", "num:int", "cat:string"]);
    // Column-parallel (worker threads) gives the same profile as one thread.
    const parallel = await profileParquetReference(join(dir.path, "t.parquet"), { workers: 2, chunks: 3 });
    const single = await profileReference(new ParquetTableSource(join(dir.path, "t.parquet")), { chunks: 3 });
    assert.deepEqual(parallel, single);
  });

  it("quantiles from a profile: exact from values, within their cell from cells", async () => {
    const x = normals(20_000, 23).map((v) => v * 3 + 10);
    const sorted = [...x].sort((a, b) => a - b);
    const numpy = (q: number) => {
      const pos = (x.length - 1) * q;
      const i = Math.floor(pos);
      return sorted[i] + (sorted[Math.min(i + 1, x.length - 1)] - sorted[i]) * (pos - i);
    };
    const ref = await profileReference(table(x, cats(20_000, 24, ["a"])));
    const window = await profileWindow(table(x.slice(0, 5000).map((v) => v + 1), cats(5000, 25, ["a"])), ref);
    for (const q of [0, 0.001, 0.25, 0.5, 0.9, 0.999, 1]) {
      const e = profileQuantile(ref.columns[0] as NumericColumnProfile, q)!;
      assert.ok(e.lo <= numpy(q) && numpy(q) <= e.hi, `q=${q}: ${numpy(q)} outside [${e.lo}, ${e.hi}]`);
      if (q >= 0.25 && q <= 0.9) assert.ok(e.hi - e.lo < 0.05, `q=${q}: cell [${e.lo}, ${e.hi}] too wide`);
      const shifted = [...x.slice(0, 5000)].map((v) => v + 1).sort((a, b) => a - b);
      const w = profileQuantile(window.columns[0] as NumericColumnProfile, q)!;
      const pos = 4999 * q;
      const truth = shifted[Math.floor(pos)] + (shifted[Math.ceil(pos)] - shifted[Math.floor(pos)]) * (pos - Math.floor(pos));
      assert.ok(w.lo <= truth + 1e-12 && truth <= w.hi + 1e-12, `window q=${q}: ${truth} outside [${w.lo}, ${w.hi}]`);
    }
    const small = await profileReference(table([3, 1, 2, 2, 5], ["a", "a", "a", "a", "a"]));
    assert.equal(profileQuantile(small.columns[0] as NumericColumnProfile, 0.5)!.value, 2);
    assert.equal(profileQuantile(small.columns[0] as NumericColumnProfile, 0.9)!.value, 3 + (5 - 3) * 0.6);
  });

  it("finds every value's cell, at edges and between them", () => {
    const layout = { kind: "bins" as const, edges: [0, 0.5, 1, 1.0000001, 10, 1e6] };
    const loc = new CellLocator(layout);
    const expect = (v: number) => (v < 0 ? 0 : v > 1e6 ? 6 : v === 1e6 ? 5 : layout.edges.filter((e) => e <= v).length);
    for (const v of [-1, 0, 0.2, 0.5, 0.99, 1, 1.00000005, 1.0000001, 5, 10, 999_999, 1e6, 2e6]) assert.equal(loc.cellOf(v), expect(v), `cell of ${v}`);
    const points = new CellLocator({ kind: "points", edges: [1, 2, 3] });
    assert.deepEqual([0, 1, 1.5, 2, 2.5, 3, 4].map((v) => points.cellOf(v)), [0, 1, 2, 3, 4, 5, 6]);
    // The batch lookup (profiling's hot loop) agrees with the one-value lookup, on edges and off them.
    const r = rng(26);
    const heavy = { kind: "bins" as const, edges: [...new Set(normals(3000, 27).map((v) => Math.round(Math.exp(2 * v) * 1e3) / 1e3))].sort((a, b) => a - b) };
    const pts = { kind: "points" as const, edges: heavy.edges.slice(0, 900) };
    for (const l of [layout, heavy, pts]) {
      const loc2 = new CellLocator(l);
      const vs = Float64Array.from({ length: 20_000 }, (_, i) => (i % 5 === 0 ? l.edges[i % l.edges.length] : i % 997 === 0 ? [Number.NaN, Infinity, -Infinity][i % 3] : Math.exp(4 * (r() - 0.5)) * (r() < 0.1 ? 1e4 : 1)));
      const out = new Int32Array(vs.length);
      loc2.cellsOf(vs, out);
      vs.forEach((v, i) => assert.equal(out[i], Number.isFinite(v) ? loc2.cellOf(v) : -1, `${l.kind} ${v}`));
    }
  });

  it("the loader round-trips a profile and refuses unknown versions and hostile input", async () => {
    const rp = await profileReference(table(normals(2000, 21), cats(2000, 22, ["a", "b"])), { chunks: 4 });
    const text = encodeProfile(rp);
    assert.deepEqual(decodeProfile(text), rp);
    const tamper = (f: (p: any) => void) => {
      const p = JSON.parse(text);
      f(p);
      return JSON.stringify(p);
    };
    const refused = [
      "not json",
      "[]",
      tamper((p) => (p.version = PROFILE_VERSION + 1)),
      tamper((p) => (p.format = "something else")),
      tamper((p) => (p.columns[0].cellCounts[3] += 1)),
      tamper((p) => (p.columns[0].layout.edges[2] = p.columns[0].layout.edges[1])),
      tamper((p) => (p.columns[0].layout.edges.push(1e9))),
      tamper((p) => (p.columns[0].n = -1)),
      tamper((p) => (p.columns[0].mean = "NaN")),
      tamper((p) => (p.columns[1].categories[0][1] = 1.5)),
      tamper((p) => p.columns[1].categories.push(p.columns[1].categories[0])),
      tamper((p) => (p.columns[1].kind = "text")),
      tamper((p) => p.columns.push(p.columns[0])),
      tamper((p) => (p.layoutId = "0000000000000000")),
      tamper((p) => (p.chunks[0].chunks = [])),
      tamper((p) => (p.columns[0].cellOffsets = new Array(1e6).fill(0))),
    ];
    for (const [i, t] of refused.entries()) assert.throws(() => decodeProfile(t), InvalidParameterValueError, `case ${i} should be refused`);
    assert.throws(() => decodeProfile(tamper((p) => (p.version = 2))), /Unsupported profile version 2/);
  });
});
