/**
 * Registry search input as MLflow treats it: prompts (MLflow 3.x stores them
 * as registered models tagged `mlflow.prompt.is_prompt`) are left out unless
 * the filter asks for them, and a clause on that tag — which the 3.x client
 * appends to every search as ``tag.`mlflow.prompt.is_prompt` != 'true'`` —
 * selects prompts or not instead of filtering on the tag.
 * @module
 */
import { InvalidParameterValueError } from "../shared/errors.js";
import type { ComparisonNode, FilterNode, OrderByClause } from "../shared/filter/filter-ast.js";
import { IS_PROMPT_TAG } from "../shared/registry-types.js";

/** The top-level AND clauses of a filter (MLflow's filters are flat AND lists). */
function conjuncts(node: FilterNode): FilterNode[] {
  return node.kind === "and" ? node.items : [node];
}

function isPromptClause(node: FilterNode): node is FilterNode & { kind: "cmp"; value: string } {
  return node.kind === "cmp" && node.entity === "tag" && node.key === IS_PROMPT_TAG && typeof node.value === "string";
}

/**
 * MLflow's `_is_querying_prompt`: the first top-level clause on the prompt tag
 * decides. `= 'true'` or `!= 'false'` searches prompts (the clause stays, as
 * an ordinary tag filter); anything else searches models, with the prompt
 * clauses removed and prompts excluded.
 */
export function splitPromptClause(filter: FilterNode | undefined): { filter: FilterNode | undefined; excludePrompts: boolean } {
  if (!filter) return { filter, excludePrompts: true };
  const items = conjuncts(filter);
  const first = items.find(isPromptClause);
  if (first) {
    const v = first.value.toLowerCase();
    if ((first.op === "=" && v === "true") || (first.op === "!=" && v === "false")) return { filter, excludePrompts: false };
  }
  const rest = items.filter((n) => !isPromptClause(n));
  if (rest.length === items.length) return { filter, excludePrompts: true };
  return { filter: rest.length === 0 ? undefined : rest.length === 1 ? rest[0] : { kind: "and", items: rest }, excludePrompts: true };
}

/** Registry searches order by attributes only, each at most once (MLflow's rule). */
export function checkOrderBy(orderBy: OrderByClause[], raw: string[] | undefined): OrderByClause[] {
  const seen = new Set<string>();
  for (const o of orderBy) {
    if (o.entity !== "attribute") {
      throw new InvalidParameterValueError(`Invalid order by key '${o.entity}s.${o.key}' specified: registry searches order by attributes only.`);
    }
    if (seen.has(o.key)) throw new InvalidParameterValueError(`\`order_by\` contains duplicate fields: ${JSON.stringify(raw ?? [])}`);
    seen.add(o.key);
  }
  return orderBy;
}

const INT32_MAX = 2_147_483_647;
const INT32_MIN = -2_147_483_648;
/** Conditions every version number (a positive int32) meets, or none does. */
const ALWAYS = (): FilterNode => ({ kind: "cmp", entity: "attribute", key: "version_number", op: ">=", value: 0 });
const NEVER = (): FilterNode => ({ kind: "cmp", entity: "attribute", key: "version_number", op: "<", value: 0 });

function outOfRange(node: ComparisonNode): FilterNode {
  const above = (node.value as number) > INT32_MAX;
  switch (node.op) {
    case ">":
    case ">=":
      return above ? NEVER() : ALWAYS();
    case "<":
    case "<=":
      return above ? ALWAYS() : NEVER();
    case "=":
      return NEVER();
    default:
      return ALWAYS();
  }
}

/**
 * Versions are int32 columns: PostgreSQL fails on a bound beyond int32 ("out
 * of range for type integer", a 500). Such a comparison is rewritten into the
 * one that selects the same versions.
 */
export function boundVersionNumbers(node: FilterNode | undefined): FilterNode | undefined {
  if (!node) return node;
  if (node.kind === "and" || node.kind === "or") return { kind: node.kind, items: node.items.map((n) => boundVersionNumbers(n)!) };
  if (node.kind !== "cmp" || node.entity !== "attribute" || node.key !== "version_number" || typeof node.value !== "number") return node;
  return node.value > INT32_MAX || node.value < INT32_MIN ? outOfRange(node) : node;
}
