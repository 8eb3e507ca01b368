/**
 * A group's log-batch writes as ONE PostgreSQL statement (data-modifying CTEs over `unnest` arrays): the
 * params, tags, run renames and metric points of every input, and the rows derived from the points — the
 * latest value per key and the history summaries — computed in the same statement from the points the insert
 * actually added (`RETURNING` of `ON CONFLICT DO NOTHING`). A retried point adds nothing and counts nothing, so
 * summaries stay exact without the recount the per-write path needs, and a group costs one round trip.
 *
 * Rows are written only for runs that exist and are active (the statement joins them); the statement answers
 * the state of every run it was given, so the caller can reject the other inputs with MLflow's errors. One
 * statement is atomic, so outside a transaction it is also its own commit.
 *
 * Derived rows are upserted in a fixed order — (run, key) for latest values, (run, level, bucket, key) for
 * summaries, as the per-write path does — so concurrent groups lock shared rows in one order.
 * @module
 */
import { BUCKET_LEVELS, BUCKET_UPSERT } from "./metric-buckets.js";
import { LATEST_UPSERT } from "./metric-tail.js";

/** What a group writes, each row naming its run by uuid. */
export interface GroupRows {
  /** Every run the group's inputs name (the answer gives each one's state). */
  uuids: string[];
  /** run uuid, key, value — write-once: `ON CONFLICT DO NOTHING`, counted. */
  params: Array<[string, string, string]>;
  /** run uuid, key, value — one per (run, key): the last value wins upstream. */
  tags: Array<[string, string, string]>;
  /** run uuid, name (the `mlflow.runName` tag renames the run). */
  names: Array<[string, string]>;
  /** run uuid, key, step, timestamp, value (0 for NaN), is_nan. */
  points: Array<[string, string, number, number, number, number]>;
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

// Minimum and maximum points of a bucket (NaN excluded); ties go to the smallest step, then timestamp.
const extreme = (col: string, dir: "asc" | "desc") =>
  `(array_agg(i.${col} order by i.value ${dir}, i.step, i."timestamp") filter (where i.is_nan = 0))[1]`;

/** Builds the statement for `rows`; its text depends only on which parts are present (prepared once each). */
export function groupStatement(rows: GroupRows): GroupStatement {
  const values: unknown[] = [];
  const arr = (v: unknown[], type: string) => {
    values.push(v);
    return `$${values.length}::${type}[]`;
  };
  const col = <T>(list: T[][], i: number) => list.map((r) => r[i]);
  const ctes = [
    `r as materialized (select id, run_uuid from runs where run_uuid = any(${arr(rows.uuids, "text")}) and lifecycle_stage = 'active')`,
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
    ctes.push(
      `ins as (insert into metrics (run_id, key, step, "timestamp", value, is_nan) ` +
        `select r.id, u.key, u.step, u."timestamp", u.value, u.is_nan from unnest(${arr(col(p, 0), "text")}, ${arr(col(p, 1), "text")}, ` +
        `${arr(col(p, 2), "int8")}, ${arr(col(p, 3), "int8")}, ${arr(col(p, 4), "float8")}, ${arr(col(p, 5), "int2")}) ` +
        `u(run_uuid, key, step, "timestamp", value, is_nan) join r using (run_uuid) ` +
        `on conflict do nothing returning run_id, key, step, "timestamp", value, is_nan)`,
      `lat as (insert into latest_metrics (run_id, key, step, "timestamp", value, is_nan) ` +
        `select distinct on (i.run_id, i.key) i.run_id, i.key, i.step, i."timestamp", ${NAN_AS_NULL}, i.is_nan from ins i ` +
        `order by i.run_id, i.key, i.step desc, i."timestamp" desc, ${NAN_AS_NULL} desc nulls last ${LATEST_UPSERT} returning 1)`,
      `bk as (insert into metric_buckets (run_id, key, level, bucket, cnt, min_value, min_step, min_ts, max_value, max_step, max_ts) ` +
        `select i.run_id, i.key, l.level, i.step >> l.level, count(*), ` +
        `${extreme("value", "asc")}, coalesce(${extreme("step", "asc")}, 0), coalesce(${extreme('"timestamp"', "asc")}, 0), ` +
        `${extreme("value", "desc")}, coalesce(${extreme("step", "desc")}, 0), coalesce(${extreme('"timestamp"', "desc")}, 0) ` +
        `from ins i cross join (values ${LEVELS}) l(level) group by i.run_id, i.key, l.level, i.step >> l.level ` +
        `order by i.run_id, l.level, i.step >> l.level, i.key ${BUCKET_UPSERT} returning 1)`,
    );
  }
  // Data-modifying CTEs run whether or not the main query reads them; reading pa gives the params' count.
  const counted = rows.params.length > 0 ? "(select count(*) from pa)::int" : "0";
  const text =
    `with ${ctes.join(", ")} select run_uuid, lifecycle_stage, ${counted} as params_inserted ` +
    `from runs where run_uuid = any($1::text[])`;
  return { text, values };
}
