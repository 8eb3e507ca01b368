/**
 * Compiles a parsed search filter, an order_by list and a keyset page
 * position into SQL fragments. Every value is a bound parameter; identifiers
 * come only from the fixed maps of a {@link FilterTarget}.
 *
 * Entity clauses become `id IN (SELECT fk FROM <table> WHERE key = ? AND ...)`
 * semi-joins over the (key, value, fk) indexes — never the runs × params ×
 * tags × metrics join that made MLflow's search slow (mlflow#1865).
 * @module
 */
import { sql, type RawBuilder } from "kysely";
import type { ComparisonNode, EntityType, FilterNode, FilterValue, OrderByClause } from "../../shared/filter/filter-ast.js";
import { VALUE_PREFIX_LENGTH } from "./sql-dialect.js";
import type { KeyKind, KeyValue } from "./page-token.js";

interface KeyValueTable {
  table: string;
  /** Column holding the owner's id. */
  fk: string;
  /** The table is indexed on (key, substr(value, 1, 256), fk) rather than the whole value. */
  valuePrefixIndexed?: boolean;
}

const PREFIX = sql.lit(VALUE_PREFIX_LENGTH);

function prefixCompare(op: "=" | "IN", value: FilterValue): Cond {
  const col = sql`substr(${sql.ref("value")}, 1, ${PREFIX})`;
  if (op === "=") return sql<boolean>`${col} = substr(${value}, 1, ${PREFIX})`;
  const list = sql.join((value as Array<string | number>).map((v) => sql`substr(${v}, 1, ${PREFIX})`));
  return sql<boolean>`${col} in (${list})`;
}

export interface FilterTarget {
  /** Qualified id column of the searched table (e.g. `r.id`). */
  idRef: string;
  /** Column for an attribute key (keys were validated by the parser). */
  attributeRef(key: string): string;
  keyValueTables: Partial<Record<EntityType, KeyValueTable>>;
  /** Compiles a `datasets.*` clause, when the target has datasets. */
  datasetClause?(key: string, cond: (ref: RawBuilder<unknown>) => RawBuilder<boolean>): RawBuilder<boolean>;
  /**
   * Compile every param/tag/metric clause as a per-row `EXISTS` probe, never a semi-join list: for a plan
   * that drives from elsewhere (an index walk) and checks few runs, building the lists would cost more.
   */
  probeAll?: boolean;
}

type Cond = RawBuilder<boolean>;

export function compileFilter(node: FilterNode, target: FilterTarget): Cond {
  switch (node.kind) {
    case "and":
    case "or":
      return sql<boolean>`(${sql.join(
        node.items.map((n) => compileFilter(n, target)),
        node.kind === "and" ? sql` and ` : sql` or `,
      )})`;
    case "null":
      return compileNullCheck(node.entity, node.key, node.negate, target);
    case "cmp":
      return compileComparison(node, target);
  }
}

function compileComparison(node: ComparisonNode, target: FilterTarget): Cond {
  const { entity, key, op, value } = node;
  if (entity === "attribute") return compare(sql.ref(target.attributeRef(key)), op, value);
  if (entity === "dataset") {
    if (!target.datasetClause) throw new Error("datasets are not searchable here");
    return target.datasetClause(key, (ref) => compare(ref, op, value));
  }
  const kv = kvTable(entity, target);
  if (!target.probeAll && (op === "=" || op === "IN" || op === "LIKE")) {
    // Usually selective: a semi-join list the planner can also drive the search from. Param and tag
    // values are indexed by prefix on PostgreSQL (migration 0006): compare the prefix too, so that index is used.
    const prefix = kv.valuePrefixIndexed && (op === "=" || op === "IN") ? sql` and ${prefixCompare(op, value)}` : sql``;
    return sql<boolean>`${sql.ref(target.idRef)} in (select ${sql.ref(kv.fk)} from ${sql.table(kv.table)} where ${sql.ref("key")} = ${key}${prefix} and ${compare(sql.ref("value"), op, value)})`;
  }
  // Ranges and negations match many owners: probe each candidate by primary key instead of listing them all.
  return sql<boolean>`exists (select 1 from ${sql.table(kv.table)} as x where ${sql.ref(`x.${kv.fk}`)} = ${sql.ref(target.idRef)} and x.${sql.ref("key")} = ${key} and ${compare(sql.ref("x.value"), op, value)})`;
}

function compileNullCheck(entity: EntityType, key: string, negate: boolean, target: FilterTarget): Cond {
  if (entity === "attribute") {
    const ref = sql.ref(target.attributeRef(key));
    return negate ? sql<boolean>`${ref} is not null` : sql<boolean>`${ref} is null`;
  }
  if (entity === "dataset") {
    if (!target.datasetClause) throw new Error("datasets are not searchable here");
    const inner = target.datasetClause(key, (ref) => sql<boolean>`${ref} is not null`);
    return negate ? inner : sql<boolean>`not ${inner}`;
  }
  const kv = kvTable(entity, target);
  const sub = sql`select ${sql.ref(kv.fk)} from ${sql.table(kv.table)} where ${sql.ref("key")} = ${key}`;
  return negate
    ? sql<boolean>`${sql.ref(target.idRef)} in (${sub})`
    : sql<boolean>`${sql.ref(target.idRef)} not in (${sub})`;
}

function kvTable(entity: EntityType, target: FilterTarget): KeyValueTable {
  const kv = target.keyValueTables[entity];
  if (!kv) throw new Error(`${entity} is not searchable here`);
  return kv;
}

/** `ref <op> value` for one comparator; LIKE patterns use `\` as their escape character. */
export function compare(ref: RawBuilder<unknown> | ReturnType<typeof sql.ref>, op: ComparisonNode["op"], value: FilterValue): Cond {
  switch (op) {
    case "LIKE":
      return sql<boolean>`${ref} like ${value} escape '\\'`;
    case "ILIKE":
      return sql<boolean>`lower(${ref}) like lower(${value}) escape '\\'`;
    case "IN":
    case "NOT IN": {
      const list = sql.join((value as Array<string | number>).map((v) => sql`${v}`));
      return op === "IN" ? sql<boolean>`${ref} in (${list})` : sql<boolean>`${ref} not in (${list})`;
    }
    default:
      return sql<boolean>`${ref} ${sql.raw(op)} ${value}`;
  }
}

/** One sort key: an SQL expression, its direction, and the alias it is selected under. */
export interface SortKey {
  expr: RawBuilder<unknown>;
  ascending: boolean;
  alias: string;
  /** Column type, checked on page tokens. */
  kind: KeyKind;
}

/**
 * The keyset condition "strictly after `last`" for sort keys ordered with
 * NULLs last in both directions (MLflow sorts None and NaN last). The final
 * key must be unique and non-null.
 */
export function afterKeyset(keys: SortKey[], last: KeyValue[], i = 0): Cond {
  const { expr, ascending } = keys[i];
  const v = last[i];
  const beyond = ascending ? sql<boolean>`${expr} > ${v}` : sql<boolean>`${expr} < ${v}`;
  if (i === keys.length - 1) return beyond;
  const rest = afterKeyset(keys, last, i + 1);
  if (v === null) return sql<boolean>`(${expr} is null and ${rest})`;
  return sql<boolean>`(${beyond} or ${expr} is null or (${expr} = ${v} and ${rest}))`;
}

export function orderBySql(keys: SortKey[]): RawBuilder<unknown> {
  return sql.join(keys.map((k) => sql`${k.expr} ${sql.raw(k.ascending ? "asc" : "desc")} nulls last`));
}

/** A stable text form of an order_by list, bound into page tokens. */
export function orderFingerprint(orderBy: OrderByClause[]): string {
  return orderBy.map((o) => `${o.entity}:${o.key}:${o.ascending ? "a" : "d"}`).join("|");
}
