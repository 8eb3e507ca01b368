/**
 * A group's log-batch writes as ONE PostgreSQL statement (data-modifying CTEs over `unnest` arrays): the
 * params, tags, run renames and metric points of every input, and the rows derived from the points — each
 * series' latest value and open summary bucket (open-bucket.ts) in its latest_metrics row, and the summaries
 * that reach metric_buckets. The caller merges the group's points per series, drops repeats and packs them in
 * chunks (metric-chunks.ts), inserted as they are, read nothing first: each series' latest_metrics upsert
 * checks that the row it locked (the newest committed version) holds no point at or after the series' first
 * point sent (its guard). When one does (a retry, an overlapping write, or a concurrent writer on another
 * connection or replica), the statement fails whole (SQLSTATE CM001), having written nothing, and the caller
 * runs the inputs the careful way (chunk-writes.ts), which reads what they meet. So every point the statement
 * stores is new and the summaries add its counts. A group costs one round trip.
 *
 * Rows are written only for runs that exist and are active (the statement locks every run it was given `FOR KEY
 * SHARE` as a foreign key check would, so a purge waits for the statement, and joins the active ones); the
 * statement answers the state of every run it found, as locked, so the caller can reject the other inputs with
 * MLflow's errors. One statement is atomic, so outside a transaction it is also its own commit.
 *
 * Each series touched is one row, upserted (`ON CONFLICT` on its primary key, which locks it, so concurrent
 * groups and replicas each see the other's result): the latest point if later, the open bucket merged — or
 * replaced when a later one opens, the replaced part (or points older than the open bucket) coming back in the
 * row's `closed_*` columns (RETURNING gives only the new row) for this statement to add to the summaries. They get
 * rows only then: the finest level one packed metric_bucket_parts row per series and window of 16 buckets, insert
 * only (bucket-parts.ts); the coarser levels metric_buckets rows, merged per bucket, upserted in (run, level,
 * bucket, key) order, after every series row.
 *
 * A group going through the metric inbox (metric-inbox.ts) sends its points packed instead (`inbox`): the statement
 * inserts one metric_inbox row, naming each run by the id it found active (0 for the others), and no chunk, series
 * or bucket.
 * @module
 */
import { BUCKET_LEVELS, BUCKET_UPSERT } from "./metric-buckets.js";
import { PART_LEVEL, PART_SPAN } from "./bucket-parts.js";
import { seriesUpsertGuarded } from "./metric-tail.js";
import { chunkParams } from "./chunk-writes.js";
import type { Chunk } from "./metric-chunks.js";

/** What a group writes, each row naming its run by uuid (a point by the uuid's place in `uuids`). */
export interface GroupRows {
  /** Every run the group's inputs name (the answer gives each one's state). */
  uuids: string[];
  /** run uuid, key, value — write-once: `ON CONFLICT DO NOTHING`, counted. */
  params: Array<[string, string, string]>;
  /** run uuid, key, value — one per (run, key): the last value wins upstream. */
  tags: Array<[string, string, string]>;
  /** run uuid, name (the `mlflow.runName` tag renames the run). */
  names: Array<[string, string]>;
  /** Each series' points (ordered, unique, merged over the group's inputs) in chunks, the run named by its place in `uuids` (from 1). */
  chunks: Array<{ run: number; key: string; chunk: Chunk }>;
  /**
   * One row per series (run, key) of `points` (splitSeries): run uuid, key, its latest point's step, timestamp,
   * value (null for NaN) and is_nan, then the summary of its points in that point's finest bucket (count,
   * minimum value, step, timestamp, maximum value, step, timestamp; null values when all were NaN), then its
   * first point's step and timestamp (the guard: metric-tail.ts, seriesUpsertGuarded).
   */
  series: unknown[][];
  /** The series' other points summarised per bucket (aggregateBuckets): run uuid, then metric_buckets' columns from key on. */
  buckets: unknown[][];
  /** The chunks' parameters, built once (chunkColumns). */
  chunkParams?: unknown[];
  /**
   * Instead of chunks, series and buckets: the group's points packed for ONE metric_inbox row (metric-inbox.ts),
   * each run named by its place in `uuids` from 0; the statement writes the row's `runs` from the runs it found
   * active (0 for the others).
   */
  inbox?: { points: Buffer; cnt: number };
}

/** The chunk part's nine parameters (chunk-writes.ts: chunkParams), the run named by its place in `uuids`. */
const chunkColumns = (r: GroupRows): unknown[] => (r.chunkParams ??= chunkParams(r.chunks.map((c) => ({ runPk: c.run, key: c.key, chunk: c.chunk }))));

export interface GroupStatement {
  text: string;
  values: unknown[];
}

/** The answer: one row per run found (`params_inserted` repeated on each). */
export interface GroupAnswerRow {
  run_uuid: string;
  lifecycle_stage: string;
  params_inserted: number;
}

/** The levels kept one metric_buckets row per bucket (the finest goes to parts). */
const COARSE = `(values ${BUCKET_LEVELS.filter((l) => l !== PART_LEVEL).map((l) => `(${l})`).join(", ")}) l(level)`;
const SUMMARY = "cnt, min_value, min_step, min_ts, max_value, max_step, max_ts";
const OPEN = SUMMARY.split(", ").map((c) => `open_${c}`).join(", ");
/** The parameters' types: a summary's columns (SUMMARY), and what precedes them in a series and in a bucket. */
const SUMMARY_TYPES = ["int8", "float8", "int8", "int8", "float8", "int8", "int8"];
const SERIES_TYPES = ["text", "text", "int8", "int8", "float8", "int2"];
/** After the summary: the series' first point (the guard). */
const GUARD_TYPES = ["int8", "int8"];
const BUCKET_TYPES = ["text", "text", "int2", "int8"];

/**
 * The merge of two summaries of one bucket, `a` and `b` (either may be missing: a full join), as metric_buckets'
 * columns from `cnt` on. A minimum (maximum) is the lower (higher) value; on equal values the point of the smaller
 * step, then timestamp; a side without one (all its points NaN: a NULL value) never gives one. Plain expressions
 * over one joined row: no aggregate, so no sort per bucket.
 */
function mergedSummary(a: string, b: string): string {
  const end = (p: "min" | "max", op: "<" | ">") => {
    const [av, as, at, bv, bs, bt] = [a, b].flatMap((x) => ["value", "step", "ts"].map((c) => `${x}.${p}_${c}`));
    // `a`'s point is the one: it has one, and `b` has none, a worse value, or the same value at a later point.
    const fromA = `${av} is not null and (${bv} is null or ${av} ${op} ${bv} or (${av} = ${bv} and (${as}, ${at}) <= (${bs}, ${bt})))`;
    return [
      `case when ${fromA} then ${av} else ${bv} end as ${p}_value`,
      `case when ${fromA} then ${as} when ${bv} is not null then ${bs} else 0 end as ${p}_step`,
      `case when ${fromA} then ${at} when ${bv} is not null then ${bt} else 0 end as ${p}_ts`,
    ];
  };
  return [`coalesce(${a}.cnt, 0) + coalesce(${b}.cnt, 0) as cnt`, ...end("min", "<"), ...end("max", ">")].join(", ");
}

/** Reads one array parameter of a statement from a group's rows. */
type Column = (rows: GroupRows) => unknown[];

/** A statement's text and how to read its parameters from a group's rows, built once per shape. */
interface StatementShape {
  text: string;
  columns: Column[];
}

/**
 * The shapes built so far, by which parts are present and the option (at most 64). The text of a shape is
 * built once and the same string is sent every time: building it (~8 µs) and hashing it to find its prepared
 * statement (~3 µs for ~8,600 characters) cost every group otherwise.
 */
const shapes = new Map<number, StatementShape>();

/** Builds the statement for `rows`; its text depends only on which parts are present (prepared once each). */
export function groupStatement(rows: GroupRows): GroupStatement {
  const key =
    (rows.params.length > 0 ? 1 : 0) |
    (rows.tags.length > 0 ? 2 : 0) |
    (rows.names.length > 0 ? 4 : 0) |
    (rows.chunks.length > 0 ? 8 : 0) |
    (rows.buckets.length > 0 ? 16 : 0) |
    (rows.inbox ? 32 : 0);
  let shape = shapes.get(key);
  if (!shape) shapes.set(key, (shape = buildShape(rows)));
  const values: unknown[] = new Array(shape.columns.length);
  for (let i = 0; i < values.length; i++) values[i] = shape.columns[i](rows);
  return { text: shape.text, values };
}

/** The statement for rows shaped as `rows` (only which lists are empty is read from it). */
function buildShape(rows: GroupRows): StatementShape {
  const columns: Column[] = [];
  const arr = (column: Column, type: string) => {
    columns.push(column);
    return `$${columns.length}::${type}[]`;
  };
  const col = (list: (rows: GroupRows) => unknown[][], i: number): Column => (rows) => list(rows).map((r) => r[i]);
  // The columns of `list`'s rows (typed in order, each one parameter) as rows of `u(names)`.
  const unnest = (list: (rows: GroupRows) => unknown[][], types: string[], names: string) =>
    `unnest(${types.map((type, i) => arr(col(list, i), type)).join(", ")}) u(${names})`;
  // Params and tags: (run uuid, key, value) rows inserted for the active runs, in (run, key) order.
  const keyValues = (cte: string, table: string, list: (rows: GroupRows) => unknown[][], onConflict: string) =>
    `${cte} as (insert into ${table} (run_id, key, value) select r.id, u.key, u.value ` +
    `from ${unnest(list, ["text", "text", "text"], "run_uuid, key, value")} ` +
    `join r using (run_uuid) order by r.id, u.key ${onConflict} returning 1)`;
  const ctes = [
    // Locked as a foreign key check would lock them, once per run (the metric tables and tags have none:
    // migrations 19 and 21). The lock reads each run as it is once locked — a run deleted or purged while the
    // statement waited is seen so, where the statement's snapshot would still show it active — and the answer
    // below is this read, so no input is acknowledged for rows that were not written.
    `rs as materialized (select id, run_uuid, lifecycle_stage from runs where run_uuid = any(${arr((r) => r.uuids, "text")}) for key share)`,
    // With each run's place in $1, by which the points name it (`ix`).
    `r as materialized (select rs.id, rs.run_uuid, x.ix from rs join unnest($1::text[]) with ordinality x(run_uuid, ix) ` +
      `using (run_uuid) where rs.lifecycle_stage = 'active')`,
  ];
  if (rows.params.length > 0) ctes.push(keyValues("pa", "params", (r) => r.params, "on conflict do nothing"));
  if (rows.tags.length > 0) ctes.push(keyValues("tg", "tags", (r) => r.tags, "on conflict (run_id, key) do update set value = excluded.value"));
  if (rows.names.length > 0) {
    ctes.push(
      `nm as (update runs set name = u.name from ${unnest((r) => r.names, ["text", "text"], "run_uuid, name")} ` +
        `join r using (run_uuid) where runs.id = r.id returning 1)`,
    );
  }
  if (rows.chunks.length > 0) {
    const hasBuckets = rows.buckets.length > 0;
    // The chunks as chunk-writes.ts's chunkParams sends them: columns as arrays, every chunk's bytes in one binary parameter.
    const params: Column[] = Array.from({ length: 9 }, (_, i): Column => (r) => chunkColumns(r)[i] as unknown[]);
    const at = (i: number, type: string) => {
      columns.push(params[i]);
      return `$${columns.length}::${type}`;
    };
    const chunkTypes = ["int8[]", "text[]", "int8[]", "int8[]", "int8[]", "int8[]", "int4[]", "int4[]"];
    const arrays = chunkTypes.map((t, i) => at(i, t)).join(", ");
    const blob = at(8, "bytea");
    // The chunks of the active runs (`ck`), inserted as they are (`ins`): a chunk that may meet a stored one fails
    // the whole statement at its series' row (the guard, which reads `ck`), which then wrote nothing; the caller
    // runs the inputs the careful way.
    ctes.push(
      `ck as (select r.id as run_id, u.key, u.min_step, u.max_step, u.min_ts, u.max_ts, u.cnt, u.off ` +
        `from unnest(${arrays}) u(run_ix, key, min_step, max_step, min_ts, max_ts, cnt, off) join r on r.ix = u.run_ix)`,
      `ins as (insert into metric_chunks (run_id, key, min_step, max_step, min_ts, max_ts, cnt, points) ` +
        `select run_id, key, min_step, max_step, min_ts, max_ts, cnt, substring(${blob} from off for cnt * 24) from ck)`,
    );
    // The group's series as the caller merged them: latest point and top summary (see GroupRows.series).
    const sentSeries =
      `select r.id as run_id, u.key, u.step, u.ts, u.value, u.is_nan, u.${SUMMARY.split(", ").join(", u.")}, u.guard_step, u.guard_ts from ` +
      `${unnest((r) => r.series, [...SERIES_TYPES, ...SUMMARY_TYPES, ...GUARD_TYPES], `run_uuid, key, step, ts, value, is_nan, ${SUMMARY}, guard_step, guard_ts`)} join r using (run_uuid)`;
    const sentBuckets = () =>
      `select r.id as run_id, u.key, u.level::int as level, u.bucket, u.${SUMMARY.split(", ").join(", u.")} from ` +
      `${unnest((r) => r.buckets, [...BUCKET_TYPES, ...SUMMARY_TYPES], `run_uuid, key, level, bucket, ${SUMMARY}`)} join r using (run_uuid)`;
    ctes.push(`g as (${sentSeries})`);
    if (hasBuckets) ctes.push(`rest as (${sentBuckets()})`);
    ctes.push(
      // One row per series, upserted in (run, key) order, its guard checked against its chunks (metric-tail.ts: seriesUpsertGuarded).
      `lat as (insert into latest_metrics (run_id, key, step, "timestamp", value, is_nan, ${OPEN}, guard_step, guard_ts) ` +
        `select g.run_id, g.key, g.step, g.ts, g.value, g.is_nan, g.${SUMMARY.split(", ").join(", g.")}, g.guard_step, g.guard_ts from g order by g.run_id, g.key ${seriesUpsertGuarded("ck")})`,
    );
    // What reaches the summaries: an open part a later bucket closed or points older than the open bucket
    // (returned by the upsert, one row per series and level), and the series' other points (`rest`). The finest
    // level goes to metric_bucket_parts packed (bucket-parts.ts): one row per series and window of 16 buckets,
    // insert only; a bucket both closed and in `rest` is two entries, which readers merge.
    const entry =
      "int8send(bucket) || int8send(cnt) || float8send(coalesce(min_value, 'NaN')) || int8send(min_step) || int8send(min_ts) || " +
      "float8send(coalesce(max_value, 'NaN')) || int8send(max_step) || int8send(max_ts)";
    const closedAt = (bucket: string) => `select run_id, key, ${bucket} as bucket, ${SUMMARY.split(", ").map((x) => `closed_${x} as ${x}`).join(", ")} from lat`;
    const finest =
      `${closedAt(`closed_step >> ${PART_LEVEL}`)} where closed_cnt > 0` +
      (hasBuckets ? ` union all select run_id, key, bucket, ${SUMMARY} from rest where level = ${PART_LEVEL}` : "");
    ctes.push(
      `pt as (insert into metric_bucket_parts (run_id, key, grp, data) select run_id, key, bucket >> ${PART_SPAN}, string_agg(${entry}, ''::bytea) ` +
        `from (${finest}) f group by run_id, key, bucket >> ${PART_SPAN} returning 1)`,
    );
    // The coarser levels: upserted into metric_buckets as before.
    const closed = `select run_id, key, l.level, closed_step >> l.level as bucket, ${SUMMARY.split(", ").map((x) => `closed_${x} as ${x}`).join(", ")} from lat cross join ${COARSE} where closed_cnt > 0`;
    const insertBuckets = `insert into metric_buckets (run_id, key, level, bucket, ${SUMMARY})`;
    if (hasBuckets) {
      // Both: merged per bucket first (a row can be upserted once per statement). Each side holds a bucket once
      // (the upsert returns one row per series, `rest` is merged per bucket by the caller), so a full join merges them.
      const keys = ["run_id", "key", "level", "bucket"];
      ctes.push(
        `bk as (${insertBuckets} select ${keys.map((k) => `coalesce(c.${k}, o.${k}) as ${k}`).join(", ")}, ${mergedSummary("c", "o")} ` +
          `from (${closed}) c full join (select * from rest where level <> ${PART_LEVEL}) o using (${keys.join(", ")}) order by 1, 3, 4, 2 ${BUCKET_UPSERT} returning 1)`,
      );
    } else {
      // The usual group (every series' points in its newest bucket): the upsert's rows alone, already one per row.
      ctes.push(`bk as (${insertBuckets} select * from (${closed}) c order by run_id, level, bucket, key ${BUCKET_UPSERT} returning 1)`);
    }
  }
  if (rows.inbox) {
    // One row whatever runs and series the points name: each run's id by its place, 0 where it is not active.
    columns.push((r) => r.inbox!.cnt as unknown as unknown[]);
    const cnt = `$${columns.length}::int4`;
    columns.push((r) => r.inbox!.points as unknown as unknown[]);
    const points = `$${columns.length}::bytea`;
    ctes.push(
      `ib as (insert into metric_inbox (cnt, runs, points) select ${cnt}, ` +
        `string_agg(int4send(coalesce(r.id, 0)), ''::bytea order by x.ix), ${points} ` +
        `from unnest($1::text[]) with ordinality x(run_uuid, ix) left join r using (run_uuid) having count(r.id) > 0 returning 1)`,
    );
  }
  // Data-modifying CTEs run whether or not the main query reads them; reading pa gives the params' count.
  const counted = rows.params.length > 0 ? "(select count(*) from pa)::int" : "0";
  const text = `with ${ctes.join(", ")} select run_uuid, lifecycle_stage, ${counted} as params_inserted from rs`;
  return { text, columns };
}
