/**
 * Writing metric points into chunks (metric-chunks.ts) exactly: MLflow's duplicate rule kept without an index
 * per point. This is the path of SQLite's log-batch, of PostgreSQL's per-input fallback and of the import; the
 * PostgreSQL group statement (log-batch-statement.ts) inserts a group's chunks as they are, its latest_metrics
 * upsert checking them (the guard), and falls back here when the guard fails.
 *
 * Per series: its latest_metrics row is read (locked on PostgreSQL). A write whose first point comes after the
 * row's point (training appends: the usual case) or of a series without a row goes in as is. Otherwise the
 * stored chunks whose box meets the write's are read and the points they hold are dropped; the rest, if any,
 * become a chunk of their own. On PostgreSQL two careful writers of a series run one after the other (the row
 * lock), each reading what the other committed; a series with no row yet carries a guard into its row's
 * upsert, which fails if a concurrent writer got there first with a point at or after this write's first (the
 * group then runs again: postgres-connection.ts's retryable errors).
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
import { buildChunks, comparePoints, decodePoints, sortUnique, windowStart, type Chunk, type Point } from "./metric-chunks.js";

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

/** A series' points to write: ordered and unique (sortUnique). */
export interface SeriesWrite {
  runPk: number;
  key: string;
  points: Metric[];
}

/** The first point of a series' write, by series id ({@link seriesId}): what its latest_metrics upsert must find no stored point at or after (PostgreSQL). */
export type Guards = Map<string, Point>;

export const seriesId = (runPk: number, key: string): string => `${runPk}\u0000${key}`;

const byRunKey = (a: SeriesWrite, b: SeriesWrite) => a.runPk - b.runPk || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** Series looked up at once (SQLite's bound parameters: two per series). */
const LOOKUP_PAGE = 400;

/**
 * The latest point (step, timestamp) of each of `series`, by series id. PostgreSQL: the rows are locked
 * (`FOR UPDATE`, in (run, key) order), so a concurrent writer of these series waits for this transaction and
 * then sees what it wrote.
 */
async function latestOf(db: Db, dialect: SqlDialect, series: readonly SeriesWrite[]): Promise<Map<string, { step: number; timestamp: number }>> {
  const out = new Map<string, { step: number; timestamp: number }>();
  type Row = { run_id: number; key: string; step: number; timestamp: number };
  for (let i = 0; i < series.length; i += LOOKUP_PAGE) {
    const part = series.slice(i, i + LOOKUP_PAGE);
    let rows: Row[];
    if (dialect.name === "postgres") {
      rows = await dialect.runPrepared<Row>(
        db,
        'select l.run_id, l.key, l.step, l."timestamp" from latest_metrics l join unnest($1::int4[], $2::text[]) u(run_id, key) ' +
          "on l.run_id = u.run_id and l.key = u.key order by l.run_id, l.key for update of l",
        [part.map((s) => s.runPk), part.map((s) => s.key)],
      );
    } else {
      const values: unknown[] = [];
      for (const s of part) values.push(s.runPk, s.key);
      rows = await dialect.runPrepared<Row>(
        db,
        `select run_id, key, step, "timestamp" from latest_metrics where (run_id, key) in (values ${part.map(() => "(?, ?)").join(", ")})`,
        values,
      );
    }
    for (const r of rows) out.set(seriesId(Number(r.run_id), r.key), { step: Number(r.step), timestamp: Number(r.timestamp) });
  }
  return out;
}

/**
 * The stored points of a series that may equal points inside `box`: those of the chunks whose box meets it,
 * found by the step index (a chunk lies in one window, so it starts in the window of the box's first step or
 * later), ordered and unique.
 */
async function storedPointsMeeting(db: Db, dialect: SqlDialect, runPk: number, key: string, box: Box): Promise<Point[]> {
  const text =
    dialect.name === "postgres"
      ? "select points from metric_chunks where run_id = $1 and key = $2 and min_step >= $3 and min_step <= $4 and max_step >= $5 and min_ts <= $6 and max_ts >= $7"
      : "select points from metric_chunks where run_id = ? and key = ? and min_step >= ? and min_step <= ? and max_step >= ? and min_ts <= ? and max_ts >= ?";
  const rows = await dialect.runPrepared<{ points: Uint8Array }>(db, text, [runPk, key, windowStart(box.minStep), box.maxStep, box.minStep, box.maxTs, box.minTs]);
  if (rows.length === 0) return [];
  const all = rows.flatMap((r) => decodePoints(r.points));
  return rows.length === 1 ? all : sortUnique(all);
}

function boxOf(points: readonly Point[]): Box {
  const b = { minStep: points[0].step, maxStep: points[points.length - 1].step, minTs: points[0].timestamp, maxTs: points[0].timestamp };
  for (const p of points) {
    if (p.timestamp < b.minTs) b.minTs = p.timestamp;
    if (p.timestamp > b.maxTs) b.maxTs = p.timestamp;
  }
  return b;
}

/**
 * Writes series' points (each ordered and unique) and resolves with those that were new, per run — the points
 * the latest values and summaries must count. Runs inside a write transaction. A series whose first point comes
 * after its latest stored point (or that has none) goes in as is; the others read the chunks their box meets
 * and store the points those lack. On PostgreSQL a series without a row to lock gets a guard (`guards`): its
 * row's upsert (metric-tail.ts) fails if a concurrent writer created the row with a point at or after this
 * write's first.
 */
export async function writeSeries(db: Db, dialect: SqlDialect, series: SeriesWrite[], guards?: Guards): Promise<PointsEntry[]> {
  series.sort(byRunKey);
  const latest = await latestOf(db, dialect, series);
  const fresh: ChunkRow[] = [];
  const added = new Map<number, Metric[]>();
  for (const s of series) {
    if (s.points.length === 0) continue;
    const first = s.points[0];
    const id = seriesId(s.runPk, s.key);
    const last = latest.get(id);
    let points = s.points;
    if (!last) {
      if (dialect.name === "postgres") guards?.set(id, first);
    } else if (!after(first, last)) {
      // Window by window (a chunk lies in one): a piece after the latest point reads nothing, and the others
      // read only the chunks of their own steps — a group may merge writers far apart in one series.
      points = [];
      for (const piece of byWindow(s.points)) {
        if (after(piece[0], last)) {
          points.push(...piece);
          continue;
        }
        const stored = await storedPointsMeeting(db, dialect, s.runPk, s.key, boxOf(piece));
        for (const p of piece) if (stored.length === 0 || !contains(stored, p)) points.push(p);
      }
      if (points.length === 0) continue;
    }
    for (const chunk of buildChunks(points)) fresh.push({ runPk: s.runPk, key: s.key, chunk });
    const list = added.get(s.runPk);
    if (list) list.push(...points);
    else added.set(s.runPk, [...points]);
  }
  await insertChunks(db, dialect, fresh);
  return [...added].map(([runPk, metrics]) => ({ runPk, metrics }));
}

/** Whether `p` comes after the point at `last` (MLflow's order by step, then timestamp). */
const after = (p: Point, last: { step: number; timestamp: number }) => p.step > last.step || (p.step === last.step && p.timestamp > last.timestamp);

/** Ordered points cut where a step window ends. */
function byWindow<P extends Point>(points: readonly P[]): P[][] {
  const out: P[][] = [];
  let from = 0;
  for (let i = 1; i <= points.length; i++) {
    if (i < points.length && windowStart(points[i].step) === windowStart(points[from].step)) continue;
    out.push(points.slice(from, i));
    from = i;
  }
  return out;
}

/** `metrics` (one run's points, any order, repeats allowed) as series writes, ordered and unique. */
export function seriesOf(runPk: number, metrics: readonly Metric[]): SeriesWrite[] {
  const byKey = new Map<string, Metric[]>();
  for (const m of metrics) {
    const list = byKey.get(m.key);
    if (list) list.push(m);
    else byKey.set(m.key, [m]);
  }
  return [...byKey].map(([key, points]) => ({ runPk, key, points: sortUnique(points) }));
}

/** Writes one run's points (any order, repeats allowed); resolves with the new ones (see {@link writeSeries}). */
export async function writePoints(db: Db, dialect: SqlDialect, runPk: number, metrics: readonly Metric[], guards?: Guards): Promise<Metric[]> {
  if (metrics.length === 0) return [];
  const out = await writeSeries(db, dialect, seriesOf(runPk, metrics), guards);
  return out.flatMap((e) => e.metrics);
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
 * A group's metric points, written at its commit: merged per series, so a group of log-metrics into one series
 * writes one chunk, and a group over many runs costs one lookup of their rows and one insert; then the latest
 * values and summaries of the points that were new. Without a group (PostgreSQL's per-write path) it runs at once.
 */
export const METRIC_POINTS: CommitHook<PointsEntry> = {
  name: "tracking.metric-points",
  async flush(trx, entries, dialect) {
    const bySeries = new Map<string, SeriesWrite>();
    for (const e of entries) {
      for (const m of e.metrics) {
        const id = seriesId(e.runPk, m.key);
        const s = bySeries.get(id);
        if (s) s.points.push(m);
        else bySeries.set(id, { runPk: e.runPk, key: m.key, points: [m] });
      }
    }
    const series = [...bySeries.values()];
    for (const s of series) s.points = sortUnique(s.points);
    const guards: Guards = new Map();
    const added = await writeSeries(trx, dialect, series, guards);
    await writeDerived(trx, dialect, added, guards);
  },
};
