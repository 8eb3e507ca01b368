/**
 * Reading metric history from chunks (metric-chunks.ts): a series' points in a step range, in MLflow's order,
 * from the chunks that can hold them — those starting in the range or in the window of its first step (a chunk
 * never spans two windows) — read a few at a time in `min_step` order when only the first points are wanted.
 * Chunks may overlap (their points are merged in order) but never hold the same point twice, so nothing is
 * deduplicated here.
 * @module
 */
import { sql, type Kysely } from "kysely";
import type { Database } from "../schema.js";
import { comparePoints, decodePoints, windowStart, type Point } from "./metric-chunks.js";

type Db = Kysely<Database>;

/** Bounds for "no bound" (steps are JSON numbers: integers beyond these are not exact anyway). */
export const MIN_STEP = Number.MIN_SAFE_INTEGER;
export const MAX_STEP = Number.MAX_SAFE_INTEGER;

/** Chunks read at once when only the first points are wanted: a few first (a chunk may hold ~1,000), then more. */
const FIRST_BATCH = 1;
const MAX_BATCH = 64;

interface ChunkRead {
  min_step: number;
  min_ts: number;
  points: Uint8Array;
}

export interface RangeQuery {
  /** Only points after this one (a page token's point). */
  after?: Point;
  /** The first this many points at most. */
  limit?: number;
}

/** A series' points with steps in [lo, hi], ordered (see the module's comment). */
export async function pointsInRange(db: Db, runPk: number, key: string, lo: number, hi: number, q: RangeQuery = {}): Promise<Point[]> {
  const limit = q.limit ?? Infinity;
  const out: Point[] = [];
  const take = (points: Point[]) => {
    for (const p of points) {
      if (p.step < lo || p.step > hi) continue;
      if (q.after && comparePoints(p, q.after) <= 0) continue;
      out.push(p);
    }
  };
  const base = (db: Db) =>
    db
      .selectFrom("metric_chunks")
      .select(["min_step", "min_ts", "points"])
      .where("run_id", "=", runPk)
      .where("key", "=", key)
      .where("min_step", ">=", windowStart(lo))
      .where("min_step", "<=", hi)
      .where("max_step", ">=", lo)
      .orderBy("min_step")
      .orderBy("min_ts");
  if (limit === Infinity) {
    for (const c of (await base(db).execute()) as ChunkRead[]) take(decodePoints(c.points));
    return sortIfOverlapping(out);
  }
  // Every chunk starting at or before `cursor` has been read (chunks may start at one step: all of those are read together).
  let cursor: number | undefined;
  const after = (q: ReturnType<typeof base>, c: number | undefined) => (c === undefined ? q : q.where("min_step", ">", c));
  for (let batch = FIRST_BATCH; ; batch = Math.min(MAX_BATCH, batch * 4)) {
    let rows = (await after(base(db), cursor).limit(batch).execute()) as ChunkRead[];
    const full = rows.length === batch;
    if (full) {
      // The last chunk's first step may start more chunks than the batch held: read them all.
      const m = Number(rows[batch - 1].min_step);
      const atM = (await base(db).where("min_step", "=", m).execute()) as ChunkRead[];
      rows = [...rows.filter((r) => Number(r.min_step) !== m), ...atM];
      cursor = m;
    }
    for (const c of rows) take(decodePoints(c.points));
    sortIfOverlapping(out);
    if (!full) return out.slice(0, limit);
    // The next chunk's first step (its bytes unread): points before it are final, as every chunk still unread
    // starts after it.
    const next = await after(base(db), cursor).clearSelect().select("min_step").limit(1).executeTakeFirst();
    if (!next) return out.slice(0, limit);
    const bound = Number(next.min_step);
    let final = 0;
    while (final < out.length && out[final].step < bound) final++;
    if (final >= limit) return out.slice(0, limit);
  }
}

/** Points gathered chunk after chunk are ordered unless two chunks' step ranges overlap (then sorted). */
function sortIfOverlapping(points: Point[]): Point[] {
  for (let i = 1; i < points.length; i++) if (comparePoints(points[i - 1], points[i]) > 0) return points.sort(comparePoints);
  return points;
}

/** The last point of a series with a step in [lo, hi], if any. */
export async function lastPointInRange(db: Db, runPk: number, key: string, lo: number, hi: number): Promise<Point | undefined> {
  // The chunk starting last at or before hi: its first point is ≤ hi, so the answer is at least that (when ≥ lo).
  const top = await db
    .selectFrom("metric_chunks")
    .select("min_step")
    .where("run_id", "=", runPk)
    .where("key", "=", key)
    .where("min_step", "<=", hi)
    .orderBy("min_step", "desc")
    .limit(1)
    .executeTakeFirst();
  if (!top) return undefined;
  const m = Number(top.min_step);
  // Any chunk holding a later point in range overlaps [max(m, lo), hi], so starts in that step's window or after.
  const from = Math.max(m, lo);
  const rows = await db
    .selectFrom("metric_chunks")
    .select("points")
    .where("run_id", "=", runPk)
    .where("key", "=", key)
    .where("min_step", ">=", windowStart(Math.max(m, lo)))
    .where("min_step", "<=", hi)
    .where("max_step", ">=", from)
    .execute();
  let best: Point | undefined;
  for (const r of rows) {
    for (const p of decodePoints(r.points)) {
      if (p.step < lo || p.step > hi) continue;
      if (!best || comparePoints(p, best) > 0) best = p;
    }
  }
  return best;
}

/** The first step of a series (undefined when it has no points). */
export async function firstStep(db: Db, runPk: number, key: string): Promise<number | undefined> {
  const r = await db
    .selectFrom("metric_chunks")
    .select("min_step")
    .where("run_id", "=", runPk)
    .where("key", "=", key)
    .orderBy("min_step")
    .limit(1)
    .executeTakeFirst();
  return r ? Number(r.min_step) : undefined;
}

/**
 * The last step of a series (undefined when it has no points): its latest point's, kept in latest_metrics on
 * every write; a series without that row (written by hand before it existed) is scanned.
 */
export async function lastStep(db: Db, runPk: number, key: string): Promise<number | undefined> {
  const r = await db.selectFrom("latest_metrics").select("step").where("run_id", "=", runPk).where("key", "=", key).executeTakeFirst();
  if (r) return Number(r.step);
  const scan = await db
    .selectFrom("metric_chunks")
    .select((eb) => eb.fn.max("max_step").as("step"))
    .where("run_id", "=", runPk)
    .where("key", "=", key)
    .executeTakeFirst();
  return scan?.step === null || scan?.step === undefined ? undefined : Number(scan.step);
}
