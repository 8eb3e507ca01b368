/**
 * Trace search (SearchTracesV3): the filter grammar over a trace's
 * attributes, tags and request metadata; order_by on attributes, tags or
 * metadata; keyset pages behind an opaque token.
 *
 * `name` is the `mlflow.traceName` tag, as in MLflow's SearchTraceUtils;
 * `run_id` matches the `mlflow.sourceRun` metadata or a run the trace was
 * linked to (`traces/link-to-run`), as MLflow's SQL store matches it.
 * @module
 */
import { createHash } from "node:crypto";
import { sql, type Kysely, type RawBuilder, type Selectable } from "kysely";
import type { FilterNode } from "../../../shared/filter/filter-ast.js";
import { TRACE_KEYS, type SearchTracesQuery, type TraceOrderBy } from "../../../tracking/traces/index.js";
import { experimentIdNumber } from "../tracking/experiment-queries.js";
import { compileFilter, prefixCompare, type FilterTarget, type SortKey } from "../filter-sql.js";
import { fetchKeysetPage } from "../keyset-page.js";
import type { KeyKind, KeyValue } from "../page-token.js";
import type { Database } from "../schema.js";

type TraceInfoTable = Selectable<Database["trace_info"]>;

const ATTRIBUTE_COLUMNS: Record<string, string> = {
  request_id: "t.request_id",
  timestamp_ms: "t.timestamp_ms",
  execution_time_ms: "t.execution_time_ms",
  status: "t.status",
  experiment_id: "t.experiment_id",
};

const ATTRIBUTE_KINDS: Record<string, KeyKind> = { timestamp_ms: "int64", execution_time_ms: "int64", experiment_id: "int32" };

/** Attributes MLflow keeps as a tag or as request metadata (for ordering; `run_id` filters also see links). */
const MAPPED: Record<string, { entity: "tag" | "metadata"; key: string }> = {
  name: { entity: "tag", key: TRACE_KEYS.traceName },
  run_id: { entity: "metadata", key: TRACE_KEYS.sourceRun },
};

const TABLES = { tag: "trace_tags", metadata: "trace_request_metadata" } as const;

/** The pseudo-attribute a `run_id` clause becomes beside its metadata clause: the runs a trace is linked to. */
const RUN_LINK = "linked_run_id";
/** A `run_id` equality (or IN list) as one clause over both places a run id is kept. */
const RUN_ANY = "any_run_id";

/**
 * Tag and metadata values are indexed with the key (migration 0025): equalities probe that index. On PostgreSQL
 * the index holds a prefix of the value (`valuePrefixIndexed`), which the equality compares first.
 */
function target(prefixIndexed: boolean): FilterTarget {
  return {
    idRef: "t.request_id",
    attributeRef: (key) => ATTRIBUTE_COLUMNS[key],
    attributeClause: (key, op, cond, value) => {
      if (key === RUN_ANY && (op === "=" || op === "IN")) {
        // One semi-join over the union: the planner starts from the few matching ids (an OR of two IN lists made
        // PostgreSQL scan the experiment's traces against two hashed lists).
        const prefix = prefixIndexed ? sql` and ${prefixCompare(op, value!, sql.ref("m.value"))}` : sql``;
        return sql<boolean>`t.request_id in (select m.request_id from trace_request_metadata m where m.key = ${TRACE_KEYS.sourceRun}${prefix} and ${cond(sql.ref("m.value"))} union all select l.request_id from trace_run_links l where ${cond(sql.ref("l.run_id"))})`;
      }
      if (key !== RUN_LINK) return undefined;
      if (op === "IS NULL") return sql<boolean>`t.request_id not in (select l.request_id from trace_run_links l)`;
      if (op === "IS NOT NULL") return sql<boolean>`t.request_id in (select l.request_id from trace_run_links l)`;
      if (op === "=" || op === "IN") return sql<boolean>`t.request_id in (select l.request_id from trace_run_links l where ${cond(sql.ref("l.run_id"))})`;
      return sql<boolean>`exists (select 1 from trace_run_links l where l.request_id = t.request_id and ${cond(sql.ref("l.run_id"))})`;
    },
    keyValueTables: {
      tag: { table: TABLES.tag, fk: "request_id", valuePrefixIndexed: prefixIndexed },
      metadata: { table: TABLES.metadata, fk: "request_id", valuePrefixIndexed: prefixIndexed },
    },
  };
}

/**
 * Rewrites `name` into the tag clause it means and `run_id` into "its `mlflow.sourceRun` metadata, or a link to
 * the run" (`run_id IS NULL`: neither).
 */
function mapAttributes(node: FilterNode): FilterNode {
  if (node.kind !== "cmp" && node.kind !== "null") return { kind: node.kind, items: node.items.map(mapAttributes) };
  if (node.entity !== "attribute" || !Object.hasOwn(MAPPED, node.key)) return node;
  const mapped: FilterNode = { ...node, ...MAPPED[node.key] };
  if (node.key !== "run_id") return mapped;
  if (node.kind === "cmp" && (node.op === "=" || node.op === "IN")) return { ...node, key: RUN_ANY };
  const linked: FilterNode = { ...node, key: RUN_LINK };
  return { kind: node.kind === "null" && !node.negate ? "and" : "or", items: [mapped, linked] };
}

function sortKeys(orderBy: TraceOrderBy[]): SortKey[] {
  const keys: SortKey[] = [];
  const push = (expr: RawBuilder<unknown>, ascending: boolean, kind: KeyKind) => keys.push({ expr, ascending, alias: `_o${keys.length}`, kind });
  for (const o of orderBy) {
    const mapped = o.entity === "attribute" && Object.hasOwn(MAPPED, o.key) ? MAPPED[o.key] : o.entity === "attribute" ? undefined : { entity: o.entity, key: o.key };
    if (!mapped) {
      push(sql`${sql.ref(ATTRIBUTE_COLUMNS[o.key])}`, o.ascending, ATTRIBUTE_KINDS[o.key] ?? "text");
      continue;
    }
    const table = sql.table(TABLES[mapped.entity as "tag" | "metadata"]);
    push(sql`(select x.value from ${table} x where x.request_id = t.request_id and x.key = ${mapped.key})`, o.ascending, "text");
  }
  // MLflow's default: newest first, then the id (which also makes every key unique).
  if (!orderBy.some((o) => o.entity === "attribute" && o.key === "timestamp_ms")) push(sql`t.timestamp_ms`, false, "int64");
  push(sql`t.request_id`, true, "text");
  return keys;
}

/** Binds a page token to what shapes the result list. */
function fingerprint(q: SearchTracesQuery): string {
  return createHash("sha256")
    .update(JSON.stringify([q.experimentIds, q.filter ?? null, q.orderBy]))
    .digest("base64url")
    .slice(0, 22);
}

/** A search filter as the SQL condition on `trace_info t` that searches use (exported for plan tests). */
export function traceFilterCondition(filter: FilterNode, prefixIndexed: boolean): RawBuilder<boolean> {
  return compileFilter(mapAttributes(filter), target(prefixIndexed));
}

export async function searchTraceRows(db: Kysely<Database>, q: SearchTracesQuery, prefixIndexed: boolean): Promise<{ rows: TraceInfoTable[]; nextPageToken?: string }> {
  const expIds = q.experimentIds.map(experimentIdNumber).filter((id): id is number => id !== undefined);
  if (expIds.length === 0) return { rows: [] };
  const conds = [sql<boolean>`t.experiment_id in (${sql.join(expIds)})`];
  if (q.filter) conds.push(traceFilterCondition(q.filter, prefixIndexed));
  return fetchKeysetPage(
    db,
    { name: "traces", keys: sortKeys(q.orderBy), fingerprint: fingerprint(q), conds, pageToken: q.pageToken, maxResults: q.maxResults, keyValue: normalizeKey },
    (selects, where, order, limit) =>
      sql<TraceInfoTable & Record<string, unknown>>`select t.*, ${selects} from trace_info t where ${where} order by ${order} limit ${limit}`,
  );
}

function normalizeKey(v: unknown): KeyValue {
  if (v === null || v === undefined) return null;
  if (typeof v === "number" || typeof v === "string") return v;
  if (typeof v === "bigint") return Number(v);
  return String(v);
}
