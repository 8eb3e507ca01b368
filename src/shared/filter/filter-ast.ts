/**
 * The parsed form of an MLflow search filter. The parser validates keys and
 * comparators against a {@link SearchSpec}; the SQL stores compile the tree.
 * @module
 */

/** `metadata`: a trace's request metadata (`request_metadata.<key>`, `metadata.<key>`). */
export type EntityType = "metric" | "param" | "tag" | "attribute" | "dataset" | "metadata";

export type Comparator =
  | "="
  | "!="
  | "<"
  | "<="
  | ">"
  | ">="
  | "LIKE"
  | "ILIKE"
  | "IN"
  | "NOT IN";

export type FilterValue = string | number | Array<string | number>;

export interface ComparisonNode {
  kind: "cmp";
  entity: EntityType;
  key: string;
  op: Comparator;
  value: FilterValue;
}

/** `IS NULL` / `IS NOT NULL` (a ciclo extension MLflow lacks). */
interface NullCheckNode {
  kind: "null";
  entity: EntityType;
  key: string;
  negate: boolean;
}

interface BoolNode {
  kind: "and" | "or";
  items: FilterNode[];
}

export type FilterNode = ComparisonNode | NullCheckNode | BoolNode;

export interface OrderByClause {
  entity: EntityType;
  key: string;
  ascending: boolean;
}

export type ValueKind = "string" | "number";

/** Describes what may be searched for one kind of entity (runs, experiments, ...). */
export interface SearchSpec {
  /** Human name used in messages ("run", "experiment"). */
  noun: string;
  /** Attribute keys (after alias resolution) and their value kind. */
  attributes: Record<string, ValueKind>;
  /** Alternative spellings of attribute keys. */
  attributeAliases?: Record<string, string>;
  /** More prefixes that name an attribute in this search (`trace.status` in trace search). */
  attributePrefixes?: string[];
  /** Entity types other than attributes that this search accepts. */
  entities: EntityType[];
  /** Dataset keys, when `datasets.*` is accepted. */
  datasetKeys?: string[];
  /** Attribute keys on which IN / NOT IN lists are accepted. */
  inListAttributes?: string[];
  /** Attribute keys accepted in `order_by` (default: all attributes). */
  orderableAttributes?: string[];
  /** Prefixes MLflow accepts that this search does not, with the reason given instead of "Invalid entity type". */
  unsupportedPrefixes?: Record<string, string>;
}
