/**
 * Writing metric points into chunks (metric-chunks.ts) exactly: MLflow's duplicate rule kept without an index
 * per point. This is the path of SQLite's log-batch, of PostgreSQL's per-input fallback and of the import; the
 * PostgreSQL group statement (log-batch-statement.ts) inserts a group's chunks as they are and falls back here
 * when one meets a stored chunk (the exclusion constraint refuses it).
 *
 * Per series: the stored chunks whose box meets the write's are read (none: the usual case, training appends
 * and every point is new). When some are, the points already stored are dropped; if any remain, they and the
 * chunks met are merged into one chunk per window, which replaces them — its box may meet more chunks, so the
 * chunks met are looked up again for the grown box until none is added. The chunks of a series stay disjoint.
 * On PostgreSQL the series' latest_metrics rows are locked first (`FOR UPDATE`), so two such writers of one
 * series run one after the other, each reading what the other committed; a writer of a series that has no row
 * yet can still race a group statement — the exclusion constraint then fails one of them, which runs again.
 *
 * Points with MLflow 3 model or dataset links are history points like any other (in chunks) and, besides, rows
 * of `metrics`, which the logged-model readers use and the history reads for the links.
 * @module
 */
import type { Kysely } from "kysely";
import type { Metric } from "../../../shared/tracking-types.js";
import type { CommitHook } from "../group-commit-queue.js";
import type { Database } from "../schema.js";
import type { SqlDialect } from "../sql-dialect.js";
import { writeDerived } from "./metric-tail.js";
import { boxesMeet, buildChunks, comparePoints, decodePoints, sortUnique, WINDOW, windowStart, type Chunk, type Point } from "./metric-chunks.js";

type Db = Kysely<Database>;
type Box = Omit<Chunk, "cnt" | "data">;

/** A chunk of a series to insert. */
export interface ChunkRow {
  runPk: number;
  key: string;
  chunk: Chunk;
}

const CHUNK_COLUMNS = "run_id, key, min_step, max_step, min_ts, max_ts, cnt, points";

/**
 * PostgreSQL: every chunk's bytes in one binary parameter (a Buffer: node-postgres sends it as is), each
 * chunk's slice found by its offset; the other columns as arrays.
 */
export const PG_INSERT_CHUNKS =
  `insert into metric_chunks (${CHUNK_COLUMNS}) select u.run_id, u.key, u.min_step, u.max_step, u.min_ts, u.max_ts, u.cnt, ` +
  "substring($9::bytea from u.off for u.cnt * 24) from unnest($1::int4[], $2::text[], $3::int8[], $4::int8[], $5::int8[], $6::int8[], $7::int4[], $8::int4[]) " +
  "u(run_id, key, min_step, max_step, min_ts, max_ts, cnt, off)";

/** The parameters of {@link PG_INSERT_CHUNKS} (and of the group statement's chunk part) for `rows`. */
export function chunkParams(rows: readonly ChunkRow[], runOf: (r: ChunkRow) => unknown = (r) => r.runPk): unknown[] {
  const n = rows.length;
  const run = new Array(n), key = new Array(n), a = new Array(n), b = new Array(n), c = new Array(n), d = new Array(n), cnt = new Array(n), off = new Array(n);
  let at = 1;
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    const k = r.chunk;
    run[i] = runOf(r);
    key[i] = r.key;
    a[i] = k.minStep;
    b[i] = k.maxStep;
    c[i] = k.minTs;
    d[i] = k.maxTs;
    cnt[i] = k.cnt;
    off[i] = at;
    at += k.data.length;
  }
  return [run, key, a, b, c, d, cnt, off, Buffer.concat(rows.map((r) => r.chunk.data), at - 1)];
}

const sqliteInsert = new Map<number, string>();
/** SQLite: a multi-row insert of `n` chunks. */
function sqliteInsertSql(n: number): string {
  let text = sqliteInsert.get(n);
  if (!text) sqliteInsert.set(n, (text = `insert into metric_chunks (${CHUNK_COLUMNS}) values ${Array.from({ length: n }, () => "(?, ?, ?, ?, ?, ?, ?, ?)").join(", ")}`));
  return text;
}

/** Inserts chunks (which must meet no stored chunk of their series). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function insertChunks(db: Kysely<any>, dialect: Pick<SqlDialect, "name" | "runPrepared">, rows: readonly ChunkRow[]): Promise<void> {
  if (rows.length === 0) return;
  if (dialect.name === "postgres") {
    await dialect.runPrepared(db, PG_INSERT_CHUNKS, chunkParams(rows));
    return;
  }
  for (let i = 0; i < rows.length; i += 256) {
    const part = rows.slice(i, i + 256);
    const values: unknown[] = [];
    for (const r of part) values.push(r.runPk, r.key, r.chunk.minStep, r.chunk.maxStep, r.chunk.minTs, r.chunk.maxTs, r.chunk.cnt, r.chunk.data);
    await dialect.runPrepared(db, sqliteInsertSql(part.length), values);
  }
}

interface StoredChunk extends Box {
  key: string;
  points: Uint8Array;
}

/**
 * The stored chunks of `runPk`'s `keys` whose box meets `box`: PostgreSQL through the exclusion constraint's GiST
 * index, SQLite through its R*Tree of boxes (migration 24), which answers a superset checked here.
 */
async function chunksMeeting(db: Db, dialect: SqlDialect, runPk: number, keys: string[], box: Box): Promise<StoredChunk[]> {
  let text: string;
  let values: unknown[];
  if (dialect.name === "postgres") {
    text =
      "select key, min_step, max_step, min_ts, max_ts, points from metric_chunks where run_id = $1 and key = any($2::text[]) " +
      "and box(point(min_step, min_ts), point(max_step, max_ts)) && box(point($3, $4), point($5, $6))";
    values = [runPk, keys, box.minStep, box.minTs, box.maxStep, box.maxTs];
  } else {
    const [w0, w1] = [Math.floor(box.minStep / WINDOW), Math.floor(box.maxStep / WINDOW)];
    // Steps within the window when the box lies in one; else the whole of each window.
    const [s0, s1] = w0 === w1 ? [box.minStep - w0 * WINDOW, box.maxStep - w0 * WINDOW] : [0, WINDOW - 1];
    text =
      // CROSS JOIN: the R*Tree first (SQLite would rather scan the series' chunks by the step index).
      "select c.key, c.min_step, c.max_step, c.min_ts, c.max_ts, c.points from metric_chunk_boxes b cross join metric_chunks c on c.rowid = b.id " +
      "where b.run_lo <= ? and b.run_hi >= ? and b.win_lo <= ? and b.win_hi >= ? and b.s_lo <= ? and b.s_hi >= ? and b.t_lo <= ? and b.t_hi >= ? " +
      `and c.run_id = ? and c.key in (${keys.map(() => "?").join(", ")})`;
    values = [runPk, runPk, w1, w0, s1, s0, box.maxTs, box.minTs, runPk, ...keys];
  }
  const rows = await dialect.runPrepared<{ key: string; min_step: number; max_step: number; min_ts: number; max_ts: number; points: Uint8Array }>(db, text, values);
  const out: StoredChunk[] = [];
  for (const r of rows) {
    const c = { key: r.key, minStep: Number(r.min_step), maxStep: Number(r.max_step), minTs: Number(r.min_ts), maxTs: Number(r.max_ts), points: r.points };
    if (boxesMeet(c, box)) out.push(c);
  }
  return out;
}

function boxOf(points: readonly Point[]): Box {
  const b = { minStep: points[0].step, maxStep: points[points.length - 1].step, minTs: points[0].timestamp, maxTs: points[0].timestamp };
  for (const p of points) {
    if (p.timestamp < b.minTs) b.minTs = p.timestamp;
    if (p.timestamp > b.maxTs) b.maxTs = p.timestamp;
  }
  return b;
}

function union(a: Box, b: Box): Box {
  return { minStep: Math.min(a.minStep, b.minStep), maxStep: Math.max(a.maxStep, b.maxStep), minTs: Math.min(a.minTs, b.minTs), maxTs: Math.max(a.maxTs, b.maxTs) };
}

const sameBox = (a: Box, b: Box) => a.minStep === b.minStep && a.maxStep === b.maxStep && a.minTs === b.minTs && a.maxTs === b.maxTs;

/** A series' points (ordered, unique) inside one window. */
interface Piece {
  key: string;
  points: Point[];
  box: Box;
}

/** `points` (ordered) cut at window boundaries. */
function byWindow(key: string, points: readonly Point[]): Piece[] {
  const out: Piece[] = [];
  let from = 0;
  for (let i = 1; i <= points.length; i++) {
    if (i < points.length && windowStart(points[i].step) === windowStart(points[from].step)) continue;
    const part = points.slice(from, i);
    out.push({ key, points: part, box: boxOf(part) });
    from = i;
  }
  return out;
}

/**
 * Writes `metrics` (one run's points, any order, repeats allowed) and resolves with those that were new — the
 * points the latest values and summaries must count. Runs inside a write transaction. Looked up per window
 * (a chunk lies in one): a write's points in one window meet only chunks of that window.
 */
export async function writePoints(db: Db, dialect: SqlDialect, runPk: number, metrics: readonly Metric[]): Promise<Metric[]> {
  if (metrics.length === 0) return [];
  const byKey = new Map<string, Metric[]>();
  for (const m of metrics) {
    const list = byKey.get(m.key);
    if (list) list.push(m);
    else byKey.set(m.key, [m]);
  }
  const keys = [...byKey.keys()].sort();
  if (dialect.name === "postgres") {
    await dialect.runPrepared(db, "select 1 from latest_metrics where run_id = $1 and key = any($2::text[]) order by key for update", [runPk, keys]);
  }
  const pieces = keys.flatMap((key) => byWindow(key, sortUnique(byKey.get(key)!)));
  // One lookup per window, over the box of every key's points in it: most writes meet nothing.
  const windows = new Map<number, Piece[]>();
  for (const p of pieces) {
    const w = windowStart(p.box.minStep);
    const list = windows.get(w);
    if (list) list.push(p);
    else windows.set(w, [p]);
  }
  const candidates: StoredChunk[] = [];
  for (const list of windows.values()) {
    const all = list.slice(1).reduce((acc, p) => union(acc, p.box), list[0].box);
    candidates.push(...(await chunksMeeting(db, dialect, runPk, [...new Set(list.map((p) => p.key))], all)));
  }
  const fresh: ChunkRow[] = [];
  const added: Point[][] = [];
  const keyOf = new Map<Point[], string>();
  for (const s of pieces) {
    let met = candidates.filter((c) => c.key === s.key && boxesMeet(c, s.box));
    if (met.length === 0) {
      for (const chunk of buildChunks(s.points)) fresh.push({ runPk, key: s.key, chunk });
      added.push(s.points);
      keyOf.set(s.points, s.key);
      continue;
    }
    // The chunks met, and those the grown box meets (all in this window), until none is added.
    let box = met.reduce<Box>((acc, c) => union(acc, c), s.box);
    for (;;) {
      const more = await chunksMeeting(db, dialect, runPk, [s.key], box);
      if (more.length === met.length) break;
      met = more;
      const grown = met.reduce<Box>((acc, c) => union(acc, c), box);
      if (sameBox(grown, box)) break;
      box = grown;
    }
    const stored = sortUnique(met.flatMap((c) => decodePoints(c.points)));
    const newPoints = s.points.filter((p) => !contains(stored, p));
    if (newPoints.length === 0) continue;
    added.push(newPoints);
    keyOf.set(newPoints, s.key);
    for (const c of met) {
      await dialect.runPrepared(
        db,
        dialect.name === "postgres"
          ? "delete from metric_chunks where run_id = $1 and key = $2 and min_step = $3 and max_step = $4 and min_ts = $5 and max_ts = $6"
          : "delete from metric_chunks where run_id = ? and key = ? and min_step = ? and max_step = ? and min_ts = ? and max_ts = ?",
        [runPk, s.key, c.minStep, c.maxStep, c.minTs, c.maxTs],
      );
    }
    for (const chunk of buildChunks(sortUnique<Point>([...stored, ...newPoints]), true)) fresh.push({ runPk, key: s.key, chunk });
  }
  await insertChunks(db, dialect, fresh);
  // The points as given (Metric objects: links kept), the new ones only.
  const out: Metric[] = [];
  for (const list of added) {
    const key = keyOf.get(list)!;
    for (const p of list) out.push("key" in p ? (p as Metric) : { key, ...p });
  }
  return out;
}

/** Whether `sorted` (ordered, unique) holds `p`. */
function contains(sorted: readonly Point[], p: Point): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = comparePoints(sorted[mid], p);
    if (c === 0) return true;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** One write's points of one run, staged for its group's commit. */
export interface PointsEntry {
  runPk: number;
  metrics: Metric[];
}

/**
 * A group's metric points, written at its commit: merged per run, so a group of log-metrics into one series
 * writes one chunk (one lookup, one insert) instead of one per request; then the latest values and summaries of
 * the points that were new. Without a group (PostgreSQL's per-write path) it runs at once.
 */
export const METRIC_POINTS: CommitHook<PointsEntry> = {
  name: "tracking.metric-points",
  async flush(trx, entries, dialect) {
    const byRun = new Map<number, Metric[]>();
    for (const e of entries) {
      const list = byRun.get(e.runPk);
      if (list) list.push(...e.metrics);
      else byRun.set(e.runPk, [...e.metrics]);
    }
    const added: PointsEntry[] = [];
    // Runs in order: concurrent groups lock series rows in one order (PostgreSQL).
    for (const runPk of [...byRun.keys()].sort((a, b) => a - b)) {
      const metrics = await writePoints(trx, dialect, runPk, byRun.get(runPk)!);
      if (metrics.length > 0) added.push({ runPk, metrics });
    }
    await writeDerived(trx, dialect, added);
  },
};
