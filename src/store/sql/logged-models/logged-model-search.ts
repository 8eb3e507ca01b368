/**
 * Logged-model search (`logged-models/search`): the filter grammar of run
 * search over a model's attributes, params, tags and metrics, MLflow's
 * `datasets` restriction, order_by on attributes or a metric's latest value,
 * and keyset pages behind an opaque token.
 *
 * A model's metrics are the points logged with its `model_id`; a metric
 * clause matches when any such point matches (as in MLflow), and ordering by
 * a metric uses its latest point (by timestamp, then step).
 * @module
 */
import { createHash } from "node:crypto";
import { sql, type RawBuilder } from "kysely";
import type { DatasetFilter, LoggedModel, LoggedModelOrderBy } from "../../../logged-models/types.js";
import type { FilterNode } from "../../../shared/filter/filter-ast.js";
import type { Page } from "../../../shared/types.js";
import type { SearchLoggedModelsQuery } from "../../../logged-models/logged-model-store.js";
import { experimentIdNumber } from "../tracking/experiment-queries.js";
import { compare, compileFilter, type FilterTarget, type SortKey } from "../filter-sql.js";
import { fetchKeysetPage } from "../keyset-page.js";
import { loadLoggedModels, type LoggedModelRow } from "./logged-model-queries.js";
import type { KeyKind, KeyValue } from "../page-token.js";
import type { SqlConnection } from "../sql-dialect.js";

type Cond = RawBuilder<boolean>;

/** Attribute keys (after alias resolution, see the search spec) → columns. */
const ATTRIBUTE_COLUMNS: Record<string, string> = {
  model_id: "lm.model_id",
  name: "lm.name",
  model_type: "lm.model_type",
  status: "lm.status",
  source_run_id: "lm.source_run_id",
  artifact_uri: "lm.artifact_uri",
  creation_timestamp_ms: "lm.creation_timestamp_ms",
  last_updated_timestamp_ms: "lm.last_updated_timestamp_ms",
  experiment_id: "lm.experiment_id",
};

const ATTRIBUTE_KINDS: Record<string, KeyKind> = {
  creation_timestamp_ms: "int64",
  last_updated_timestamp_ms: "int64",
  experiment_id: "int32",
};

const TARGET: FilterTarget = {
  idRef: "lm.model_id",
  attributeRef: (key) => ATTRIBUTE_COLUMNS[key],
  keyValueTables: {
    param: { table: "logged_model_params", fk: "model_id" },
    tag: { table: "logged_model_tags", fk: "model_id" },
  },
};

function datasetCond(datasets: DatasetFilter[]): Cond | undefined {
  if (datasets.length === 0) return undefined;
  return sql<boolean>`(${sql.join(
    datasets.map((d) =>
      d.datasetDigest === undefined
        ? sql<boolean>`x.dataset_name = ${d.datasetName}`
        : sql<boolean>`(x.dataset_name = ${d.datasetName} and x.dataset_digest = ${d.datasetDigest})`,
    ),
    sql` or `,
  )})`;
}

/** Compiles the filter; metric clauses go to the metric points, everything else to the shared compiler. */
function compileModelFilter(node: FilterNode, datasets: Cond | undefined): Cond {
  if (node.kind !== "cmp" && node.kind !== "null") {
    return sql<boolean>`(${sql.join(
      node.items.map((n) => compileModelFilter(n, datasets)),
      node.kind === "and" ? sql` and ` : sql` or `,
    )})`;
  }
  if (node.entity !== "metric") return compileFilter(node, TARGET);
  const points = sql`select 1 from metrics x where x.model_id = lm.model_id and x.key = ${node.key}`;
  if (node.kind === "null") return node.negate ? sql<boolean>`exists (${points})` : sql<boolean>`not exists (${points})`;
  const onDataset = datasets ? sql` and ${datasets}` : sql``;
  // NaN points are stored as 0 with is_nan = 1; they match no numeric comparison.
  return sql<boolean>`exists (${points} and x.is_nan = 0 and ${compare(sql.ref("x.value"), node.op, node.value)}${onDataset})`;
}

function hasMetricClause(node: FilterNode | undefined): boolean {
  if (!node) return false;
  if (node.kind !== "cmp" && node.kind !== "null") return node.items.some(hasMetricClause);
  return node.entity === "metric";
}

/** Sort keys: the order_by entries, MLflow's default `creation_timestamp_ms DESC`, and the unique model_id. */
function sortKeys(orderBy: LoggedModelOrderBy[]): SortKey[] {
  const keys: SortKey[] = [];
  const push = (expr: RawBuilder<unknown>, ascending: boolean, kind: KeyKind) => keys.push({ expr, ascending, alias: `_o${keys.length}`, kind });
  for (const o of orderBy) {
    if (o.entity === "attribute") {
      push(sql`${sql.ref(ATTRIBUTE_COLUMNS[o.key])}`, o.ascending, ATTRIBUTE_KINDS[o.key] ?? "text");
      continue;
    }
    const name = o.datasetName === undefined ? sql`` : sql` and x.dataset_name = ${o.datasetName}`;
    const digest = o.datasetDigest === undefined ? sql`` : sql` and x.dataset_digest = ${o.datasetDigest}`;
    // The latest point's value; NaN sorts with the models that lack the metric (last).
    push(
      sql`(select case when x.is_nan = 1 then null else x.value end from metrics x
        where x.model_id = lm.model_id and x.key = ${o.key}${name}${digest}
        order by x.timestamp desc, x.step desc limit 1)`,
      o.ascending,
      "float",
    );
  }
  if (!orderBy.some((o) => o.entity === "attribute" && o.key === "creation_timestamp_ms")) {
    push(sql`lm.creation_timestamp_ms`, false, "int64");
  }
  push(sql`lm.model_id`, true, "text");
  return keys;
}

/** Binds a page token to everything that shapes the result list, not only the order. */
function fingerprint(q: SearchLoggedModelsQuery): string {
  const shape = JSON.stringify([q.experimentIds, q.filter ?? null, q.datasets, q.orderBy]);
  return createHash("sha256").update(shape).digest("base64url").slice(0, 22);
}

export async function searchLoggedModels(conn: SqlConnection, q: SearchLoggedModelsQuery): Promise<Page<LoggedModel>> {
  const { db } = conn;
  const expIds = q.experimentIds.map(experimentIdNumber).filter((id): id is number => id !== undefined);
  if (expIds.length === 0) return { items: [] };
  const keys = sortKeys(q.orderBy);
  const fp = fingerprint(q);
  const datasets = datasetCond(q.datasets);
  const conds: Cond[] = [
    sql<boolean>`lm.experiment_id in (${sql.join(expIds)})`,
    sql<boolean>`lm.lifecycle_stage = 'active'`,
  ];
  if (q.filter) conds.push(compileModelFilter(q.filter, datasets));
  // MLflow compat: `datasets` without a metric clause keeps the models that have metrics on those datasets.
  if (datasets && !hasMetricClause(q.filter)) {
    conds.push(sql<boolean>`exists (select 1 from metrics x where x.model_id = lm.model_id and ${datasets})`);
  }
  const page = await fetchKeysetPage(
    db,
    { name: "logged-models", keys, fingerprint: fp, conds, pageToken: q.pageToken, maxResults: q.maxResults, keyValue: normalizeKey },
    (selects, where, order, limit) =>
      sql<LoggedModelRow & Record<string, unknown>>`select lm.*, ${selects} from logged_models lm where ${where} order by ${order} limit ${limit}`,
  );
  return { items: await loadLoggedModels(db, page.rows), nextPageToken: page.nextPageToken };
}

function normalizeKey(v: unknown): KeyValue {
  if (v === null || v === undefined) return null;
  if (typeof v === "number" || typeof v === "string") return v;
  if (typeof v === "bigint") return Number(v);
  return String(v);
}
