/**
 * Parsed search filters and order_by clauses back into MLflow's text syntax,
 * for stores that forward a search over REST (the server parses it again).
 *
 * Keys are always back-quoted (`params.\`val loss\``) and string values
 * single-quoted, with the quote doubled inside, as the tokenizer reads them;
 * so any key or value the parser accepted survives the round trip.
 * @module
 */
import type { EntityType, FilterNode, FilterValue, OrderByClause } from "../shared/filter/filter-ast.js";

const PREFIX: Record<EntityType, string> = {
  metric: "metrics",
  param: "params",
  tag: "tags",
  attribute: "attributes",
  dataset: "datasets",
  metadata: "request_metadata",
};

function identifier(entity: EntityType, key: string): string {
  return `${PREFIX[entity]}.\`${key.replaceAll("`", "``")}\``;
}

function literal(v: string | number): string {
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new Error(`A filter cannot compare with ${v}`);
    return String(v);
  }
  return `'${v.replaceAll("'", "''")}'`;
}

function value(v: FilterValue): string {
  return Array.isArray(v) ? `(${v.map(literal).join(", ")})` : literal(v);
}

/** The filter text of a parsed filter ("" for none). */
export function filterToString(node: FilterNode | undefined): string {
  if (!node) return "";
  switch (node.kind) {
    case "cmp":
      return `${identifier(node.entity, node.key)} ${node.op} ${value(node.value)}`;
    case "null":
      return `${identifier(node.entity, node.key)} IS ${node.negate ? "NOT " : ""}NULL`;
    case "and":
    case "or":
      return node.items
        .map((item) => {
          const text = filterToString(item);
          // Nested booleans are always parenthesised: right whatever the precedence.
          return item.kind === "and" || item.kind === "or" ? `(${text})` : text;
        })
        .join(node.kind === "and" ? " AND " : " OR ");
  }
}

export function orderByToStrings(clauses: OrderByClause[]): string[] {
  return clauses.map((c) => `${identifier(c.entity, c.key)} ${c.ascending ? "ASC" : "DESC"}`);
}
