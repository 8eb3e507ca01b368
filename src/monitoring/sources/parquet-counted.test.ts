/**
 * Dictionary-encoded Parquet pages counted by index (never decoded into an
 * array of values) give the profile that reading every value gives: numbers
 * and text, index widths 0 to 10 bits, runs and bit-packed groups, nulls,
 * several pages per dictionary, several row groups, Snappy and uncompressed.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { parquetWriteBuffer } from "hyparquet-writer";
import { rng } from "../../testing/seeded-data.js";
import { tempDir } from "../../testing/temp-dir.js";
import { profileReference, profileWindow } from "../profiles/profiler.js";
import { InMemoryTableSource } from "../profiles/table-source.js";
import type { DatasetProfile } from "../profiles/profile-types.js";
import { profileParquetWindow } from "./parallel-profiler.js";
import { ParquetTableSource } from "./parquet-table-source.js";
import { countRleBitPacked } from "./rle-counts.js";

const N = 5000;

function columns(seed: number) {
  const r = rng(seed);
  const few = Array.from({ length: N }, (_, i) => (i % 37 === 0 ? null : [1.5, 2.5, 3.5][Math.floor(r() * 3)]));
  const runs = Array.from({ length: N }, (_, i) => Math.floor(i / 100));
  const wide = Array.from({ length: N }, () => Math.floor(r() * 1000) - 500);
  const one = Array.from({ length: N }, () => 7);
  const text = Array.from({ length: N }, (_, i) => (i % 53 === 0 ? null : `k${Math.floor(r() * r() * 300)}`));
  // Continuous in the reference (a bins layout); 40 distinct reals in a window, so its pages are dictionaries.
  const pool = Array.from({ length: 40 }, () => (r() - 0.5) * 1e4 * r());
  const binned = Array.from({ length: N }, () => (seed === 1 ? (r() - 0.5) * 1e4 * r() : pool[Math.floor(r() * pool.length)]));
  return { few, runs, wide, one, text, binned };
}

function write(path: string, c: ReturnType<typeof columns>, codec: "SNAPPY" | "UNCOMPRESSED") {
  const buf = parquetWriteBuffer({
    columnData: [
      { name: "few", data: c.few, type: "DOUBLE", encoding: "RLE_DICTIONARY" },
      { name: "runs", data: c.runs, type: "DOUBLE", nullable: false, encoding: "RLE_DICTIONARY" },
      { name: "wide", data: c.wide, type: "DOUBLE", nullable: false, encoding: "RLE_DICTIONARY" },
      { name: "one", data: c.one, type: "DOUBLE", nullable: false, encoding: "RLE_DICTIONARY" },
      { name: "text", data: c.text, type: "STRING", encoding: "RLE_DICTIONARY" },
      { name: "binned", data: c.binned, type: "DOUBLE", nullable: false, encoding: "RLE_DICTIONARY" },
    ],
    rowGroupSize: 2048,
    pageSize: 4096,
    codec,
  });
  writeFileSync(path, Buffer.from(buf));
}

const inMemory = (c: ReturnType<typeof columns>) =>
  new InMemoryTableSource([
    { name: "few", values: Float64Array.from(c.few, (v) => v ?? Number.NaN) },
    { name: "runs", values: Float64Array.from(c.runs) },
    { name: "wide", values: Float64Array.from(c.wide) },
    { name: "one", values: Float64Array.from(c.one) },
    { name: "text", values: c.text },
    { name: "binned", values: Float64Array.from(c.binned) },
  ]);

/** Moments and offsets agree to rounding (sums in another order); everything else exactly. */
const rounded = (p: DatasetProfile) =>
  JSON.parse(
    JSON.stringify(p, (k, v) =>
      k === "mean" || k === "m2" ? Number((v as number).toPrecision(12)) : k === "cellOffsets" ? (v as number[]).map((o) => Number(o.toPrecision(12))) : v,
    ),
  );

describe("Parquet dictionary pages counted by index", () => {
  const dir = tempDir("ciclo-counted-");
  after(() => dir.remove());

  for (const codec of ["SNAPPY", "UNCOMPRESSED"] as const) {
    it(`a window's profile equals the profile of its values (${codec})`, async () => {
      const ref = columns(1);
      const cur = columns(2);
      // The window: its own values plus some the reference never had (off its points).
      cur.few[1] = 9.25;
      cur.wide[2] = 12345;
      const path = join(dir.path, `cur-${codec}.parquet`);
      write(path, cur, codec);
      const reference = await profileReference(inMemory(ref));
      assert.deepEqual(reference.columns.map((c) => (c.kind === "num" ? c.layout.kind : c.kind)), ["points", "points", "points", "points", "cat", "bins"]);
      const expected = await profileWindow(inMemory(cur), reference);
      const counted = await profileWindow(new ParquetTableSource(path), reference);
      // Numbers that were not read as counts would be a test of nothing.
      const source = new ParquetTableSource(path);
      let countedPages = 0;
      for await (const { chunk } of source.chunks([{ name: "wide", kind: "num", counted: true }])) if (chunk.kind === "num-counts") countedPages++;
      assert.ok(countedPages >= 3, `${countedPages} counted pages`);
      // pandas makes a float column of integers without NA 'int'; a Parquet DOUBLE is float: only the dtype may differ.
      const noDtype = (p: DatasetProfile) => ({ ...rounded(p), columns: rounded(p).columns.map((c: { dtype?: string }) => ({ ...c, dtype: undefined })) });
      assert.deepEqual(noDtype(counted), noDtype(expected));
      const parallel = await profileParquetWindow(path, reference, { workers: 2 });
      assert.deepEqual(rounded(parallel), rounded(counted));
    });
  }

  it("counts runs and bit-packed groups of every width, and refuses indices past the dictionary", () => {
    // Hand-encoded: a run of 5 × index 2, then one bit-packed group (8 values) of width 3: 0..7.
    const w = 3;
    const bytes = [5 << 1, 2, (1 << 1) | 1];
    let acc = 0;
    let bits = 0;
    for (let v = 0; v < 8; v++) {
      acc |= v << bits;
      bits += w;
      while (bits >= 8) {
        bytes.push(acc & 0xff);
        acc >>>= 8;
        bits -= 8;
      }
    }
    const page = Uint8Array.from(bytes);
    const counts = new Float64Array(8);
    countRleBitPacked(page, 0, page.length, w, 13, counts);
    assert.deepEqual(Array.from(counts), [1, 1, 6, 1, 1, 1, 1, 1]);
    // Only the first 11 values are the page's: the group's padding is not counted.
    const some = new Float64Array(8);
    countRleBitPacked(page, 0, page.length, w, 11, some);
    assert.deepEqual(Array.from(some), [1, 1, 6, 1, 1, 1, 0, 0]);
    assert.throws(() => countRleBitPacked(page, 0, page.length, w, 13, new Float64Array(7)), /index 7 outside a dictionary of 7/);
    assert.throws(() => countRleBitPacked(page, 0, 2, w, 13, new Float64Array(8)), /page ended/);
  });
});
