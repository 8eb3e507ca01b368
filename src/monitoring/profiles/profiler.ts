/**
 * Profiling a table: a reference in two passes (a first look fixes each
 * numeric column's layout, the second counts into it), a window in one pass
 * against a reference's layouts — `profile(window) → drift(reference, window)`
 * is what a monitor job runs. Memory is bounded by the columns, not the rows.
 * @module
 */
import { CategoricalAccumulator } from "./categorical-accumulator.js";
import { NumericAccumulator, NumericScout } from "./column-accumulators.js";
import { layoutIdOf, layoutsOf, PROFILE_FORMAT, PROFILE_VERSION, type ColumnLayout, type DatasetProfile } from "./profile-types.js";
import type { ColumnChunk, ColumnPlan, TableSource } from "./table-source.js";

export interface ProfileProgress {
  phase: "scan" | "count";
  rowsDone: number;
  rowsTotal: number | undefined;
}

export interface ProfileOptions {
  onProgress?: (p: ProfileProgress) => void;
  /** Also profile this many consecutive chunks of the reference (for thresholds derived from them). */
  chunks?: number;
  /** Only these columns (default: all that can be profiled). */
  columns?: string[];
}

/** First pass: each numeric column's layout; categorical columns need none. */
export async function scanLayouts(source: TableSource, opts: ProfileOptions = {}): Promise<ColumnLayout[]> {
  const wanted = opts.columns ? new Set(opts.columns) : undefined;
  const cols = (await source.columns()).filter((c) => c.kind !== "skip" && (!wanted || wanted.has(c.name)));
  const total = await source.rowCount();
  const scouts = new Map<string, { scout: NumericScout; missing: number }>();
  for (const c of cols) if (c.kind === "num") scouts.set(c.name, { scout: new NumericScout(), missing: 0 });
  const plan: ColumnPlan[] = cols.filter((c) => c.kind === "num").map((c) => ({ name: c.name, kind: "num" }));
  if (plan.length > 0) {
    for await (const { chunk, rowsDone } of source.chunks(plan)) {
      const s = scouts.get(chunk.column)!;
      if (chunk.kind === "num") {
        s.scout.add(chunk.data);
        s.missing += chunk.data.missing ?? 0;
        if (s.missing === 0) for (const v of chunk.data.values) if (v !== v) s.missing++;
      }
      opts.onProgress?.({ phase: "scan", rowsDone, rowsTotal: total });
    }
  }
  return cols.map((c): ColumnLayout => {
    if (c.kind === "cat") return { name: c.name, kind: "cat", dtype: c.dtype === "bool" ? "bool" : "string" };
    const s = scouts.get(c.name)!;
    return { name: c.name, kind: "num", dtype: c.dtype === "int" && s.missing === 0 ? "int" : "float", layout: s.scout.layout() };
  });
}

type Accumulator = NumericAccumulator | CategoricalAccumulator;

function accumulatorsFor(layouts: ColumnLayout[]): Accumulator[] {
  return layouts.map((l) =>
    l.kind === "num" ? new NumericAccumulator(l.name, l.layout!, l.dtype === "int" ? "int" : "float") : new CategoricalAccumulator(l.name, l.dtype === "bool" ? "bool" : "string"),
  );
}

function datasetOf(layouts: ColumnLayout[], accs: Accumulator[], rows: number, layoutId: string): DatasetProfile {
  const columns = accs.map((a) => {
    const p = a.profile();
    // pandas makes an integer column with missing values float.
    if (p.kind === "num" && p.missing > 0) p.dtype = "float";
    return p;
  });
  return { format: PROFILE_FORMAT, version: PROFILE_VERSION, layoutId, rows, columns };
}

function feed(acc: Accumulator, chunk: ColumnChunk): void {
  if (chunk.kind === "num") (acc as NumericAccumulator).add(chunk.data);
  else if (chunk.kind === "num-counts") (acc as NumericAccumulator).addCounts(chunk.values, chunk.counts, chunk.missing);
  else if (chunk.kind === "cat") (acc as CategoricalAccumulator).add(chunk.data);
  else (acc as CategoricalAccumulator).addCounts(chunk.keys, chunk.counts, chunk.missing);
}

/**
 * Hands the parts of a slice to the reference chunks that hold their rows: a
 * slice of cells is cut at the chunks' boundaries; one whose rows cannot be
 * told apart (a Parquet page without its nulls, counted categories) goes whole
 * to the chunk holding its middle row.
 */
function feedChunks(chunk: ColumnChunk, rowStart: number, total: number, chunks: number, to: (k: number, part: ColumnChunk) => void): void {
  const chunkOf = (row: number) => Math.min(chunks - 1, Math.floor((row * chunks) / total));
  const cuttable = chunk.kind === "cat" || (chunk.kind === "num" && !chunk.data.missing);
  if (!cuttable) {
    const size = chunk.kind === "num" ? chunk.data.values.length + (chunk.data.missing ?? 0) : chunk.kind === "num-counts" || chunk.kind === "cat-counts" ? total / chunks : 0;
    return to(chunkOf(rowStart + size / 2), chunk);
  }
  const length = chunk.kind === "num" ? chunk.data.values.length : (chunk as { data: ArrayLike<string | null> }).data.length;
  let from = 0;
  while (from < length) {
    const k = chunkOf(rowStart + from);
    const end = Math.min(length, Math.ceil(((k + 1) * total) / chunks) - rowStart);
    const upto = end > from ? end : length;
    if (chunk.kind === "num") to(k, { ...chunk, data: { values: chunk.data.values.subarray(from, upto), invalid: from === 0 ? chunk.data.invalid : 0 } });
    else if (chunk.kind === "cat") to(k, { ...chunk, data: Array.prototype.slice.call(chunk.data, from, upto) as Array<string | null> });
    from = upto;
  }
}

/** Counts a table into given layouts (a reference's, or those just scanned). */
export async function profileWithLayouts(source: TableSource, layouts: ColumnLayout[], opts: ProfileOptions & { layoutId?: string } = {}): Promise<DatasetProfile> {
  const layoutId = opts.layoutId ?? layoutIdOf(layouts);
  const total = await source.rowCount();
  const accs = accumulatorsFor(layouts);
  const byName = new Map(layouts.map((l, i) => [l.name, accs[i]]));
  const chunkCount = opts.chunks && total ? Math.max(1, Math.min(opts.chunks, total)) : 0;
  const chunkAccs = Array.from({ length: chunkCount }, () => accumulatorsFor(layouts));
  const chunkByName = chunkAccs.map((list) => new Map(layouts.map((l, i) => [l.name, list[i]])));
  const chunkRows = new Array<number>(chunkCount).fill(0);
  // Counted numbers have no row order: only where no chunks are cut.
  const plan: ColumnPlan[] = layouts.map((l) => ({ name: l.name, kind: l.kind, dtype: l.dtype, counted: chunkCount === 0 }));
  let rows = 0;
  for await (const { chunk, rowStart, rowsDone } of source.chunks(plan)) {
    feed(byName.get(chunk.column)!, chunk);
    if (chunkCount > 0) feedChunks(chunk, rowStart, total!, chunkCount, (k, part) => feed(chunkByName[k].get(chunk.column)!, part));
    rows = rowsDone;
    opts.onProgress?.({ phase: "count", rowsDone, rowsTotal: total });
  }
  if (layouts.length > 0) rows = accs[0].count;
  const profile = datasetOf(layouts, accs, rows, layoutId);
  if (chunkCount > 0) {
    profile.chunks = chunkAccs.map((list, k) => {
      chunkRows[k] = list[0]?.count ?? 0;
      return datasetOf(layouts, list, chunkRows[k], layoutId);
    }).filter((c) => c.rows > 0);
  }
  return profile;
}

/** A reference profile: scan for layouts, then count. */
export async function profileReference(source: TableSource, opts: ProfileOptions = {}): Promise<DatasetProfile> {
  return profileWithLayouts(source, await scanLayouts(source, opts), opts);
}

/** A window's profile against a reference's layouts (only the reference's columns). */
export async function profileWindow(source: TableSource, reference: DatasetProfile, opts: ProfileOptions = {}): Promise<DatasetProfile> {
  const layouts = layoutsOf(reference);
  return profileWithLayouts(source, layouts, { ...opts, chunks: 0, layoutId: reference.layoutId });
}
