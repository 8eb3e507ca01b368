/**
 * Registry search input as MLflow treats it: prompts (MLflow 3.x stores them
 * as registered models tagged `mlflow.prompt.is_prompt`) are left out unless
 * the filter asks for them, and a clause on that tag — which the 3.x client
 * appends to every search as ``tag.`mlflow.prompt.is_prompt` != 'true'`` —
 * selects prompts or not instead of filtering on the tag.
 * @module
 */
import { InvalidParameterValueError } from "../shared/errors.js";
import type { FilterNode, OrderByClause } from "../tracking/search/filter-ast.js";
import { IS_PROMPT_TAG } from "./types.js";

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
