/**
 * A group's log-batch writes as ONE PostgreSQL statement (data-modifying CTEs over `unnest` arrays): the
 * params, tags, run renames and metric points of every input, and the rows derived from the points — the
 * latest value per key and the history summaries. The caller merges both for the group. Points are first sent
 * as new (a plain insert, `pointsAreNew`); when one was already stored (a retry), that statement fails whole and
 * the group runs again with `ON CONFLICT DO NOTHING`, the statement then summarising the points its insert
 * actually added (its `RETURNING`), so summaries stay exact without the recount the per-write path needs, in the
 * same atomic statement. A group costs one round trip (two after a retry).
 *
 * Rows are written only for runs that exist and are active (the statement locks every run it was given `FOR KEY
 * SHARE` as a foreign key check would, so a purge waits for the statement, and joins the active ones); the
 * statement answers the state of every run it found, as locked, so the caller can reject the other inputs with
 * MLflow's errors. One statement is atomic, so outside a transaction it is also its own commit.
 *
 * Derived rows are upserted in a fixed order — (run, key) for latest values, (run, level, bucket, key) for
 * summaries, as the per-write path does — so concurrent groups lock shared rows in one order.
 * @module
 */
import { BUCKET_LEVELS, BUCKET_UPSERT } from "./metric-buckets.js";
import { LATEST_UPSERT } from "./metric-tail.js";

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
  /** The run's place in `uuids` (from 1), key, step, timestamp, value (0 for NaN), is_nan. */
  points: Array<[number, string, number, number, number, number]>;
  /** The latest of `points` per (run, key): run uuid, key, step, timestamp, value (null for NaN), is_nan. */
  latest: Array<[string, string, number, number, number | null, number]>;
  /** `points` summarised per bucket (aggregateBuckets): run uuid, then metric_buckets' columns from key on. */
  buckets: unknown[][];
}

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

const LEVELS = BUCKET_LEVELS.map((l) => `(${l})`).join(", ");
const NAN_AS_NULL = "case when i.is_nan = 1 then null else i.value end";

/** Each bucket's minimum (asc) or maximum (desc) point, from the `lv` rows. */
const extreme = (dir: "asc" | "desc") =>
  `select distinct on (run_id, key, level, bucket) run_id, key, level, bucket, value, step, ts from lv ` +
  `where is_nan = 0 order by run_id, key, level, bucket, value ${dir}, step, ts`;

export interface GroupStatementOptions {
  /**
   * Insert the points without a conflict check: the statement fails with unique_violation (23505) when one of
   * them is stored already (or sent twice), having written nothing. The usual case is cheaper this way; the
   * caller then runs the group again without this option.
   */
  pointsAreNew?: boolean;
}

/** Builds the statement for `rows`; its text depends only on which parts are present and the option (prepared once each). */
export function groupStatement(rows: GroupRows, opts: GroupStatementOptions = {}): GroupStatement {
  const values: unknown[] = [];
  const arr = (v: unknown[], type: string) => {
    values.push(v);
    return `$${values.length}::${type}[]`;
  };
  const col = <T>(list: T[][], i: number) => list.map((r) => r[i]);
  const ctes = [
    // Locked as a foreign key check would lock them, once per run (the metric tables and tags have none:
    // migrations 19 and 21). The lock reads each run as it is once locked — a run deleted or purged while the
    // statement waited is seen so, where the statement's snapshot would still show it active — and the answer
    // below is this read, so no input is acknowledged for rows that were not written.
    `rs as materialized (select id, run_uuid, lifecycle_stage from runs where run_uuid = any(${arr(rows.uuids, "text")}) for key share)`,
    // With each run's place in $1, by which the points name it (`ix`).
    `r as materialized (select rs.id, rs.run_uuid, x.ix from rs join unnest($1::text[]) with ordinality x(run_uuid, ix) ` +
      `using (run_uuid) where rs.lifecycle_stage = 'active')`,
  ];
  if (rows.params.length > 0) {
    const p = rows.params;
    ctes.push(
      `pa as (insert into params (run_id, key, value) select r.id, u.key, u.value ` +
        `from unnest(${arr(col(p, 0), "text")}, ${arr(col(p, 1), "text")}, ${arr(col(p, 2), "text")}) u(run_uuid, key, value) ` +
        `join r using (run_uuid) order by r.id, u.key on conflict do nothing returning 1)`,
    );
  }
  if (rows.tags.length > 0) {
    const t = rows.tags;
    ctes.push(
      `tg as (insert into tags (run_id, key, value) select r.id, u.key, u.value ` +
        `from unnest(${arr(col(t, 0), "text")}, ${arr(col(t, 1), "text")}, ${arr(col(t, 2), "text")}) u(run_uuid, key, value) ` +
        `join r using (run_uuid) order by r.id, u.key on conflict (run_id, key) do update set value = excluded.value returning 1)`,
    );
  }
  if (rows.names.length > 0) {
    const n = rows.names;
    ctes.push(
      `nm as (update runs set name = u.name from unnest(${arr(col(n, 0), "text")}, ${arr(col(n, 1), "text")}) u(run_uuid, name) ` +
        `join r using (run_uuid) where runs.id = r.id returning 1)`,
    );
  }
  if (rows.points.length > 0) {
    const p = rows.points;
    const l = rows.latest;
    const b = rows.buckets;
    const points =
      `select r.id as run_id, u.key, u.step, u."timestamp", u.value, u.is_nan from unnest(${arr(col(p, 0), "int8")}, ` +
      `${arr(col(p, 1), "text")}, ${arr(col(p, 2), "int8")}, ${arr(col(p, 3), "int8")}, ${arr(col(p, 4), "float8")}, ` +
      `${arr(col(p, 5), "int2")}) u(run_ix, key, step, "timestamp", value, is_nan) join r on r.ix = u.run_ix`;
    const insertPoints = `insert into metrics (run_id, key, step, "timestamp", value, is_nan)`;
    // The latest point per key among those sent; a point sent again is no later than what it set before.
    const latest =
      `lat as (insert into latest_metrics (run_id, key, step, "timestamp", value, is_nan) ` +
      `select r.id, u.key, u.step, u.ts, u.value, u.is_nan from unnest(${arr(col(l, 0), "text")}, ${arr(col(l, 1), "text")}, ` +
      `${arr(col(l, 2), "int8")}, ${arr(col(l, 3), "int8")}, ${arr(col(l, 4), "float8")}, ${arr(col(l, 5), "int2")}) ` +
      `u(run_uuid, key, step, ts, value, is_nan) join r using (run_uuid) order by r.id, u.key ${LATEST_UPSERT} returning 1)`;
    const groupSummaries = (where: string) =>
      `bf as (insert into metric_buckets (run_id, key, level, bucket, cnt, min_value, min_step, min_ts, max_value, max_step, max_ts) ` +
      `select r.id, u.key, u.level, u.bucket, u.cnt, u.min_value, u.min_step, u.min_ts, u.max_value, u.max_step, u.max_ts ` +
      `from unnest(${arr(col(b, 0), "text")}, ${arr(col(b, 1), "text")}, ${arr(col(b, 2), "int2")}, ${arr(col(b, 3), "int8")}, ` +
      `${arr(col(b, 4), "int8")}, ${arr(col(b, 5), "float8")}, ${arr(col(b, 6), "int8")}, ${arr(col(b, 7), "int8")}, ` +
      `${arr(col(b, 8), "float8")}, ${arr(col(b, 9), "int8")}, ${arr(col(b, 10), "int8")}) ` +
      `u(run_uuid, key, level, bucket, cnt, min_value, min_step, min_ts, max_value, max_step, max_ts) join r using (run_uuid) ` +
      `${where}order by r.id, u.level, u.bucket, u.key ${BUCKET_UPSERT} returning 1)`;
    if (opts.pointsAreNew) {
      // A plain insert: no conflict check before each point (an index search, a speculative insertion and its
      // confirmation, ~30 % of the statement's time in a 1,000-point log-batch); a point already stored fails
      // the whole statement (unique_violation), and the caller runs it again the careful way below.
      ctes.push(`ins as (${insertPoints} ${points})`, latest, groupSummaries(""));
    } else {
      // Summaries: the group's own (aggregated by the caller) when every point was new — the usual case — else
      // aggregated here from the points the insert added (a retry: nothing counted twice). One of the two runs.
      const allNew = "(select count(*) from ins) = (select count(*) from pts)";
      ctes.push(
        `pts as (${points})`,
        `ins as (${insertPoints} select * from pts on conflict do nothing returning run_id, key, step, "timestamp", value, is_nan)`,
        latest,
        groupSummaries(`where ${allNew} `),
        // Each point at each level; a bucket's count, and its minimum and maximum points (NaN excluded; ties go
        // to the smallest step, then timestamp) by one sort each rather than an ordered aggregate per bucket.
        `lv as (select i.run_id, i.key, l.level, i.step >> l.level as bucket, i.step, i."timestamp" as ts, i.value, i.is_nan ` +
          `from ins i cross join (values ${LEVELS}) l(level))`,
        `bk as (insert into metric_buckets (run_id, key, level, bucket, cnt, min_value, min_step, min_ts, max_value, max_step, max_ts) ` +
          `select c.run_id, c.key, c.level, c.bucket, c.cnt, mn.value, coalesce(mn.step, 0), coalesce(mn.ts, 0), ` +
          `mx.value, coalesce(mx.step, 0), coalesce(mx.ts, 0) ` +
          `from (select run_id, key, level, bucket, count(*) as cnt from lv group by run_id, key, level, bucket) c ` +
          `left join (${extreme("asc")}) mn using (run_id, key, level, bucket) ` +
          `left join (${extreme("desc")}) mx using (run_id, key, level, bucket) ` +
          `where not ${allNew} order by c.run_id, c.level, c.bucket, c.key ${BUCKET_UPSERT} returning 1)`,
      );
    }
  }
  // Data-modifying CTEs run whether or not the main query reads them; reading pa gives the params' count.
  const counted = rows.params.length > 0 ? "(select count(*) from pa)::int" : "0";
  const text = `with ${ctes.join(", ")} select run_uuid, lifecycle_stage, ${counted} as params_inserted from rs`;
  return { text, values };
}
