/**
 * Run search: the filter is compiled to indexed semi-joins, the order to
 * LEFT JOINs on the one key per sort column, the page is cut by keyset, and
 * then the page's params/tags/metrics are fetched in batched queries.
 * @module
 */
import { sql, type Kysely, type RawBuilder } from "kysely";
import { DATASET_CONTEXT_TAG } from "../../../shared/system-tags.js";
import type { OrderByClause } from "../../../shared/filter/filter-ast.js";
import type { Run } from "../../../shared/tracking-types.js";
import type { Page } from "../../../shared/types.js";
import type { SearchRunsQuery } from "../../../tracking/tracking-store.js";
import { experimentIdNumber } from "./experiment-queries.js";
import { afterKeyset, compileFilter, orderBySql, orderFingerprint, type FilterTarget, type SortKey } from "../filter-sql.js";
import { decodePageToken, encodePageToken, type KeyKind, type KeyValue } from "../page-token.js";
import { loadRuns, type RunRow } from "./run-queries.js";
import type { Database } from "../schema.js";
import type { SqlConnection, SqlDialectName } from "../sql-dialect.js";
import { viewTypeStages } from "../view-type.js";

type Db = Kysely<Database>;

const ATTRIBUTE_COLUMNS: Record<string, string> = {
  run_id: "r.run_uuid",
  run_name: "r.name",
  status: "r.status",
  user_id: "r.user_id",
  artifact_uri: "r.artifact_uri",
  lifecycle_stage: "r.lifecycle_stage",
  start_time: "r.start_time",
  end_time: "r.end_time",
  experiment_id: "r.experiment_id",
};

const ATTRIBUTE_KINDS: Record<string, KeyKind> = { start_time: "int64", end_time: "int64", experiment_id: "int32" };

const RUN_TARGET_BASE: FilterTarget = {
  idRef: "r.id",
  attributeRef: (key) => ATTRIBUTE_COLUMNS[key],
  keyValueTables: {
    metric: { table: "latest_metrics", fk: "run_id" },
    param: { table: "params", fk: "run_id" },
    tag: { table: "tags", fk: "run_id" },
  },
  datasetClause(key, cond) {
    if (key === "context") {
      return sql<boolean>`r.id in (select it.run_id from input_tags it where it.key = ${DATASET_CONTEXT_TAG} and ${cond(sql.ref("it.value"))})`;
    }
    const col = sql.ref(key === "name" ? "d.name" : "d.digest");
    return sql<boolean>`r.id in (select ri.run_id from run_inputs ri join datasets d on d.id = ri.dataset_id where ${cond(col)})`;
  },
};

/**
 * What run filters compile against. Param and tag values are indexed whole on
 * SQLite, by their first 256 characters on PostgreSQL (migrations 0006, 0007).
 */
const RUN_TARGETS: Record<SqlDialectName, FilterTarget> = {
  sqlite: RUN_TARGET_BASE,
  postgres: {
    ...RUN_TARGET_BASE,
    keyValueTables: {
      ...RUN_TARGET_BASE.keyValueTables,
      param: { table: "params", fk: "run_id", valuePrefixIndexed: true },
      tag: { table: "tags", fk: "run_id", valuePrefixIndexed: true },
    },
  },
};

export const runTarget = (dialect: SqlDialectName): FilterTarget => RUN_TARGETS[dialect];

const KV_TABLES: Record<string, string> = { metric: "latest_metrics", param: "params", tag: "tags" };

/** Sort keys for the order_by clauses, MLflow's `start_time DESC` and the unique `run_uuid` tiebreak. */
function sortKeys(orderBy: OrderByClause[]): { keys: SortKey[]; joins: RawBuilder<unknown>[] } {
  const keys: SortKey[] = [];
  const joins: RawBuilder<unknown>[] = [];
  const push = (expr: RawBuilder<unknown> | ReturnType<typeof sql.ref>, ascending: boolean, kind: KeyKind) =>
    keys.push({ expr: expr as RawBuilder<unknown>, ascending, alias: `_o${keys.length}`, kind });
  orderBy.forEach((o, i) => {
    if (o.entity === "attribute") {
      push(sql.ref(ATTRIBUTE_COLUMNS[o.key]), o.ascending, ATTRIBUTE_KINDS[o.key] ?? "text");
      return;
    }
    const j = `j${i}`;
    joins.push(sql`left join ${sql.table(KV_TABLES[o.entity])} as ${sql.ref(j)} on ${sql.ref(`${j}.run_id`)} = r.id and ${sql.ref(`${j}.key`)} = ${o.key}`);
    if (o.entity === "metric") {
      // MLflow compat: values first, then NaN, then runs without the metric — in both directions.
      push(sql`case when ${sql.ref(`${j}.run_id`)} is null then 2 when ${sql.ref(`${j}.is_nan`)} = 1 then 1 else 0 end`, true, "int32");
    }
    push(sql.ref(`${j}.value`), o.ascending, o.entity === "metric" ? "float" : "text");
  });
  if (!orderBy.some((o) => o.entity === "attribute" && o.key === "start_time")) push(sql.ref("r.start_time"), false, "int64");
  push(sql.ref("r.run_uuid"), true, "text");
  return { keys, joins };
}

export async function searchRuns(conn: SqlConnection, q: SearchRunsQuery): Promise<Page<Run>> {
  const { db } = conn;
  const expIds = q.experimentIds.map(experimentIdNumber).filter((id): id is number => id !== undefined);
  if (expIds.length === 0) return { items: [] };
  const { keys, joins } = sortKeys(q.orderBy);
  const fp = orderFingerprint(q.orderBy);
  const scope: RawBuilder<boolean>[] = [
    sql<boolean>`r.experiment_id in (${sql.join(expIds)})`,
    sql<boolean>`r.lifecycle_stage in (${sql.join(viewTypeStages(q.viewType))})`,
  ];
  const conds = [...scope];
  if (q.filter) conds.push(compileFilter(q.filter, runTarget(conn.dialect.name)));
  if (q.pageToken) conds.push(afterKeyset(keys, decodePageToken(q.pageToken, "runs", fp, keys.map((k) => k.kind))));
  const rows = (await metricOrderedFirstPage(conn, q, scope)) ?? (await conn.dialect.readRows(db, pageQuery(conn, q, conds, keys, joins)));
  const more = rows.length > q.maxResults;
  const page = more ? rows.slice(0, q.maxResults) : rows;
  const last = page[page.length - 1];
  return {
    items: await loadRuns(conn, page.map(toRunRow)),
    nextPageToken: more ? encodePageToken("runs", fp, keys.map((_, i) => normalizeKey(last[RUN_COLUMNS.length + i]))) : undefined,
  };
}

function pageQuery(conn: SqlConnection, q: SearchRunsQuery, conds: RawBuilder<boolean>[], keys: SortKey[], joins: RawBuilder<unknown>[]) {
  const selects = sql.join(keys.map((k) => sql`${k.expr} as ${sql.ref(k.alias)}`));
  return sql`
    select ${sql.raw(RUN_COLUMNS.map((c) => `r.${c}`).join(", "))}, ${selects} from runs r ${sql.join(joins, sql` `)}
    where ${sql.join(conds, sql` and `)}
    order by ${orderBySql(keys)}
    limit ${q.maxResults + 1}`.compile(conn.db);
}

/**
 * Index entries the metric-ordered first page walks per row asked for, at most: a short walk, then a longer one
 * only if the short one found enough matches to expect the page to fill. At most MAX_WALK. On PostgreSQL a walk
 * stops at its page's last match, so these are only bounds there (a filter matching one run in 20 reads ~20
 * entries per row): the first is wide enough for such a filter to need one walk. SQLite reads the whole walk.
 */
const WALKS_PER_ROW: Record<SqlDialectName, readonly [number, number]> = { sqlite: [20, 50], postgres: [25, 60] };
const MAX_WALK = 50_000;

/**
 * The first page of a search ordered by one metric, walking the
 * metric's `(key, value)` index in order and probing each run against the
 * filter until the page is full — instead of finding every matching run and
 * sorting them (a filter matching 5,000 of 100,000 runs: 35 ms → a few ms).
 *
 * The walk is bounded and grows only while the page looks fillable, so a
 * selective filter costs a short walk before the general query takes over.
 * Its rows are the true first page only when the page fills from runs whose
 * value is strictly better than the last walked entry's (a tie there could
 * hide a run that sorts first by start time); NaN and missing values come
 * after every value, so a page filled from values never needs them. Rows have
 * the general query's columns and sort keys, so the next page's token works
 * as usual. Returns undefined when the general query must answer.
 */
async function metricOrderedFirstPage(conn: SqlConnection, q: SearchRunsQuery, scope: RawBuilder<boolean>[]): Promise<unknown[][] | undefined> {
  const [order] = q.orderBy;
  if (q.pageToken || q.orderBy.length !== 1 || order.entity !== "metric") return undefined;
  const { db, dialect } = conn;
  const pg = dialect.name === "postgres";
  // Each walked run is probed by index lookups: no semi-join lists to build for a walk that may stop early. On
  // PostgreSQL the probes are per-row subqueries on the walked entry's run id, so they run before the run is read.
  const target: FilterTarget = { ...runTarget(dialect.name), probeAll: true, ...(pg ? { scalarProbes: true, idRef: "w.run_id" } : {}) };
  const conds = q.filter ? [...scope, compileFilter(q.filter, target)] : scope;
  const wanted = q.maxResults + 1;
  const dir = sql.raw(order.ascending ? "asc" : "desc");
  const entries = sql`select run_id, value from latest_metrics where key = ${order.key} and value is not null order by value ${dir}`;
  const [short, long] = WALKS_PER_ROW[dialect.name];
  for (const perRow of [short, long]) {
    const walk = Math.min(MAX_WALK, perRow * wanted);
    const walkSql = { entries, walk, wanted, dir, conds };
    const rows = await dialect.readRows(db, (pg ? walkPostgres(walkSql) : walkSqlite(walkSql)).compile(db));
    const edge = rows.length > 0 ? rows[0][RUN_COLUMNS.length + 4] : null;
    if (rows.length === wanted) {
      if (edge === null) return rows;
      const last = Number(rows[wanted - 1][RUN_COLUMNS.length + 1]);
      if (order.ascending ? last < Number(edge) : last > Number(edge)) return rows;
    } else if (edge === null || (rows.length * long) / short < wanted) {
      return undefined; // every value walked, or too few matches to expect the longer walk to fill the page
    }
    if (walk === MAX_WALK) return undefined;
  }
  return undefined;
}

interface WalkSql {
  /** The metric's entries in walk order. */
  entries: RawBuilder<unknown>;
  walk: number;
  wanted: number;
  dir: RawBuilder<unknown>;
  conds: RawBuilder<boolean>[];
}

/** The last walked entry's value, on every row (one round trip; NULL: the walk took every value). */
const edgeOf = ({ entries, walk }: WalkSql) => sql`(select e.value from (${entries} limit 1 offset ${walk - 1}) e)`;

/** SQLite reads `cross join` as "drive from the walk", and runs each probe per walked run. */
function walkSqlite(w: WalkSql): RawBuilder<unknown> {
  return sql`
    with w as (${w.entries} limit ${w.walk})
    select ${sql.raw(RUN_COLUMNS.map((c) => `r.${c}`).join(", "))}, 0 as _o0, w.value as _o1, r.start_time as _o2, r.run_uuid as _o3,
      ${edgeOf(w)} as _edge
    from w cross join runs r on r.id = w.run_id
    where ${sql.join(w.conds, sql` and `)}
    order by w.value ${w.dir}, r.start_time desc nulls last, r.run_uuid asc
    limit ${w.wanted}`;
}

/**
 * PostgreSQL: the walk's matches in value order only, the index's order, so no sort is needed and the scan stops
 * at the page's last match whatever the planner estimates (`with ties` keeps the runs sharing its value, any of
 * which may sort first by start time); then those few rows in the search's full order.
 */
function walkPostgres(w: WalkSql): RawBuilder<unknown> {
  return sql`
    with w as (${w.entries} limit ${w.walk}),
    m as (
      select ${sql.raw(RUN_COLUMNS.map((c) => `r.${c}`).join(", "))}, w.value as _v
      from w join runs r on r.id = w.run_id
      where ${sql.join(w.conds, sql` and `)}
      order by w.value ${w.dir}
      fetch first (${w.wanted}) rows with ties)
    select ${sql.raw(RUN_COLUMNS.map((c) => `m.${c}`).join(", "))}, 0 as _o0, m._v as _o1, m.start_time as _o2, m.run_uuid as _o3,
      ${edgeOf(w)} as _edge
    from m
    order by m._v ${w.dir}, m.start_time desc nulls last, m.run_uuid asc
    limit ${w.wanted}`;
}

/** The runs columns a search reads, in the order of its array rows. */
const RUN_COLUMNS = [
  "id",
  "run_uuid",
  "experiment_id",
  "name",
  "user_id",
  "status",
  "start_time",
  "end_time",
  "artifact_uri",
  "lifecycle_stage",
  "deleted_time",
  "deleted_with_experiment",
] as const;

function toRunRow(r: unknown[]): RunRow {
  const row: Record<string, unknown> = {};
  RUN_COLUMNS.forEach((c, i) => (row[c] = r[i]));
  return row as unknown as RunRow;
}

function normalizeKey(v: unknown): KeyValue {
  if (v === null || v === undefined) return null;
  if (typeof v === "number" || typeof v === "string") return v;
  return String(v);
}
