/** Builds pieces of MLflow's search syntax from user input (quoting, LIKE patterns, column names). */

/** A string literal: doubled quotes escape a quote, as the server's tokenizer reads them. */
export function quoteValue(v: string): string {
  return `'${v.replace(/'/g, "''")}'`;
}

/** A key as the grammar needs it: plain when it is an identifier, else in backticks. */
export function quoteKey(key: string): string {
  return /^[A-Za-z_][\w.]*$/.test(key) ? key : `\`${key.replace(/`/g, "``")}\``;
}

/** `%text%` with LIKE's wildcards in the text escaped (the server uses `\` as the escape character). */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export type ColumnKind = "attributes" | "params" | "metrics" | "tags";

/** A table column's id is its filter-grammar name: `metrics.loss`, `params.lr`, `attributes.start_time`. */
export function columnId(kind: ColumnKind, key: string): string {
  return `${kind}.${key}`;
}

export function parseColumnId(id: string): { kind: ColumnKind; key: string } | undefined {
  const dot = id.indexOf(".");
  const kind = id.slice(0, dot) as ColumnKind;
  if (dot < 0 || !["attributes", "params", "metrics", "tags"].includes(kind)) return undefined;
  return { kind, key: id.slice(dot + 1) };
}

/** `metrics.loss DESC` for order_by (keys quoted when needed). */
export function orderByClause(id: string, descending: boolean): string {
  const c = parseColumnId(id);
  if (!c) return "attributes.start_time DESC";
  return `${c.kind}.${quoteKey(c.key)} ${descending ? "DESC" : "ASC"}`;
}
