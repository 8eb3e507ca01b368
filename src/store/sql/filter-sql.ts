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

export function prefixCompare(op: "=" | "IN", value: FilterValue, ref: RawBuilder<unknown> | ReturnType<typeof sql.ref> = sql.ref("value")): Cond {
  const col = sql`substr(${ref}, 1, ${PREFIX})`;
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
  /**
   * Compiles an attribute clause itself (an attribute that is no column: a trace's `run_id` is its metadata or a
   * link); undefined leaves it to {@link attributeRef}. `cond` compares the value the clause names.
   */
  attributeClause?(
    key: string,
    op: ComparisonNode["op"] | "IS NULL" | "IS NOT NULL",
    cond: (ref: RawBuilder<unknown>) => RawBuilder<boolean>,
    value?: FilterValue,
  ): RawBuilder<boolean> | undefined;
  /** Compiles a `datasets.*` clause, when the target has datasets. */
  datasetClause?(key: string, cond: (ref: RawBuilder<unknown>) => RawBuilder<boolean>): RawBuilder<boolean>;
  /**
   * Compile every param/tag/metric clause as a per-row `EXISTS` probe, never a semi-join list: for a plan
   * that drives from elsewhere (an index walk) and checks few runs, building the lists would cost more.
   */
  probeAll?: boolean;
  /**
   * With `probeAll`: each probe is a scalar subquery on the run's one row of the key (see scalarProbe) instead of
   * an `EXISTS`. PostgreSQL turns an `EXISTS` at the top of a WHERE into a semi-join,
   * which it may answer by hashing every entry the clause matches (50,000 for `metrics.m0 > 0.5` of 100,000
   * runs) before the walk reads its first row; a scalar subquery stays a per-row probe. Same answers: a run
   * without the key compares NULL, which a filter of ANDs and ORs treats as false, as `EXISTS` did. Only for
   * tables keyed by (owner, key), where a subquery finds one row at most.
   */
  scalarProbes?: boolean;
}

type Cond = RawBuilder<boolean>;

export function compileFilter(node: FilterNode, target: FilterTarget): Cond {
  switch (node.kind) {
    case "and":
    case "or":
      if (node.kind === "and" && target.scalarProbes) return compileProbedAnd(node.items, target);
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

/**
 * With scalar probes, an AND's equalities on prefix-indexed values run before its other key-value probes: they
 * usually reject most walked runs for an index lookup each, so the others run on few. PostgreSQL orders a WHERE's
 * subqueries by estimated cost (and estimates a primary-key lookup cheaper); a CASE fixes the order. Other
 * clauses (attributes, ORs, datasets) stay plain conjuncts, checked where PostgreSQL has their columns. Same
 * answers: where the AND was NULL the CASE is false, which a filter of ANDs and ORs treats alike.
 */
function compileProbedAnd(items: FilterNode[], target: FilterTarget): Cond {
  const kind = (n: FilterNode) => {
    if (n.kind !== "cmp" || n.entity === "attribute" || n.entity === "dataset") return "other";
    return (n.op === "=" || n.op === "IN") && target.keyValueTables[n.entity]?.valuePrefixIndexed ? "eq" : "probe";
  };
  const group = (k: string) => items.filter((n) => kind(n) === k).map((n) => compileFilter(n, target));
  const [eqs, probes, others] = [group("eq"), group("probe"), group("other")];
  const all = (conds: Cond[]) => sql.join(conds, sql` and `);
  const kv = eqs.length > 0 && probes.length > 0 ? [sql<boolean>`case when ${all(eqs)} then ${all(probes)} else false end`] : [...eqs, ...probes];
  return sql<boolean>`(${all([...kv, ...others])})`;
}

function compileComparison(node: ComparisonNode, target: FilterTarget): Cond {
  const { entity, key, op, value } = node;
  if (entity === "attribute") return target.attributeClause?.(key, op, (ref) => compare(ref, op, value), value) ?? compare(sql.ref(target.attributeRef(key)), op, value);
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
  if (target.probeAll && target.scalarProbes) return scalarProbe(kv, node, target);
  // Ranges and negations match many owners: probe each candidate by primary key instead of listing them all.
  return sql<boolean>`exists (select 1 from ${sql.table(kv.table)} as x where ${sql.ref(`x.${kv.fk}`)} = ${sql.ref(target.idRef)} and x.${sql.ref("key")} = ${key} and ${compare(sql.ref("x.value"), op, value)})`;
}

/**
 * One run's value of the key compared, as a scalar subquery (see {@link FilterTarget.scalarProbes}). An equality on
 * a prefix-indexed table looks up `(key, prefix, owner)` in that index instead, which touches the row only when the
 * prefix matches: most walked runs do not match, and the primary-key lookup would read every one of their rows.
 */
function scalarProbe(kv: KeyValueTable, { key, op, value }: ComparisonNode, target: FilterTarget): Cond {
  const owner = sql`${sql.ref(`x.${kv.fk}`)} = ${sql.ref(target.idRef)}`;
  if (kv.valuePrefixIndexed && (op === "=" || op === "IN")) {
    return sql<boolean>`(select true from ${sql.table(kv.table)} as x where x.${sql.ref("key")} = ${key} and ${prefixCompare(op, value, sql.ref("x.value"))} and ${compare(sql.ref("x.value"), op, value)} and ${owner})`;
  }
  return compare(sql`(select ${sql.ref("x.value")} from ${sql.table(kv.table)} as x where ${owner} and x.${sql.ref("key")} = ${key})`, op, value);
}

function compileNullCheck(entity: EntityType, key: string, negate: boolean, target: FilterTarget): Cond {
  if (entity === "attribute") {
    const custom = target.attributeClause?.(key, negate ? "IS NOT NULL" : "IS NULL", (ref) => (negate ? sql<boolean>`${ref} is not null` : sql<boolean>`${ref} is null`));
    if (custom) return custom;
    const ref = sql.ref(target.attributeRef(key));
    return negate ? sql<boolean>`${ref} is not null` : sql<boolean>`${ref} is null`;
  }
  if (entity === "dataset") {
    if (!target.datasetClause) throw new Error("datasets are not searchable here");
    const inner = target.datasetClause(key, (ref) => sql<boolean>`${ref} is not null`);
    return negate ? inner : sql<boolean>`not ${inner}`;
  }
  const kv = kvTable(entity, target);
  if (target.probeAll && target.scalarProbes) {
    const row = sql`(select true from ${sql.table(kv.table)} as x where ${sql.ref(`x.${kv.fk}`)} = ${sql.ref(target.idRef)} and x.${sql.ref("key")} = ${key})`;
    return negate ? sql<boolean>`${row} is not null` : sql<boolean>`${row} is null`;
  }
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
