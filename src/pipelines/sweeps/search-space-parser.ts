/**
 * Search spaces from YAML or JSON, every error at its line and column.
 *
 * ```yaml
 * lr: { loguniform: [1.0e-4, 0.1] }
 * epochs: { quniform: [5, 50, 5] }
 * depth: { randint: [2, 12] }           # 2 ≤ depth < 12
 * optimizer: { choice: [adam, sgd] }
 * seed: 7                                # a constant, passed to every trial
 * model:                                 # nested choice: C only when svm, trees only when forest
 *   choice:
 *     svm: { C: { loguniform: [0.01, 10] } }
 *     forest: { trees: { quniform: [50, 500, 50] } }
 *     linear: {}
 * ```
 * @module
 */
import { PARAMETER_NAME } from "../../shared/project-files.js";
import { isMap, isScalar, isSeq, mapEntries, type LocatedDoc, type Node } from "../definition/located-yaml.js";
import { parseSweepYaml } from "./sweep-spec-error.js";
import { type ChoiceOption, type Distribution, type DistributionKind, type Scalar, type SearchSpace, formatValue, gridSize } from "./search-space.js";

/** The distributions a space may name, with their arguments (for messages and docs). */
export const DISTRIBUTIONS: Record<Exclude<DistributionKind, "const">, string> = {
  uniform: "[low, high]",
  loguniform: "[low, high]",
  quniform: "[low, high, q]",
  qloguniform: "[low, high, q]",
  normal: "[mu, sigma]",
  randint: "[low, high]",
  choice: "[a, b, …] or {label: {params}, …}",
};
const KINDS = Object.keys(DISTRIBUTIONS) as Array<Exclude<DistributionKind, "const">>;
/** Depth of nested choices: deeper trees are a mistake, and the bound keeps hostile files cheap. */
const MAX_DEPTH = 8;
const MAX_OPTIONS = 10_000;

/** Parses a space file's text (its root is the space mapping). */
export function parseSearchSpace(text: string, file: string): SearchSpace {
  const doc = parseSweepYaml(text, file);
  if (doc.root === undefined) throw doc.error(undefined, "the search space is empty.");
  return parseSpaceNode(doc, doc.root);
}

/** Parses a space mapping found inside another document (the `space:` of a `sweep:` block). */
export function parseSpaceNode(doc: LocatedDoc, node: Node): SearchSpace {
  const space = parseSpace(doc, node, 0, "search space", new Map());
  if (space.length === 0) throw doc.error(node, "the search space has no parameters.");
  return space;
}

function parseSpace(doc: LocatedDoc, node: Node, depth: number, what: string, seen: Map<string, string>): SearchSpace {
  if (depth > MAX_DEPTH) throw doc.error(node, `choices nest deeper than ${MAX_DEPTH} levels.`);
  const space: SearchSpace = [];
  for (const { key, keyNode, value } of mapEntries(doc, node, what)) {
    if (!PARAMETER_NAME.test(key)) throw doc.error(keyNode, `parameter name '${key}' must match ${PARAMETER_NAME} (it becomes -P ${key}=…).`);
    const first = seen.get(key);
    if (first) throw doc.error(keyNode, `parameter '${key}' is already defined at ${first}; names are unique across the space, nested choices included.`);
    seen.set(key, doc.at(keyNode));
    space.push({ name: key, dist: parseDistribution(doc, key, keyNode, value, depth, seen) });
  }
  return space;
}

function parseDistribution(doc: LocatedDoc, name: string, keyNode: Node, node: Node | null, depth: number, seen: Map<string, string>): Distribution {
  if (node === null || (isScalar(node) && node.value === null)) throw doc.error(keyNode, `${name}: no value (give a distribution such as { uniform: [0, 1] } or a constant).`);
  if (isScalar(node)) {
    const v = node.value;
    if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") throw doc.error(node, `${name}: a constant must be a string, number or boolean.`);
    if (typeof v === "number" && !Number.isFinite(v)) throw doc.error(node, `${name}: a constant must be finite.`);
    return { kind: "const", value: v };
  }
  if (isSeq(node)) throw doc.error(node, `${name}: a list is not a distribution; did you mean { choice: [...] }?`);
  const entries = mapEntries(doc, node, name);
  const kinds = entries.filter((e) => (KINDS as string[]).includes(e.key));
  if (entries.length !== 1 || kinds.length !== 1) {
    const odd = entries.find((e) => !(KINDS as string[]).includes(e.key));
    throw doc.error(odd?.keyNode ?? node, `${name}: expected one of ${KINDS.join(", ")} (as { kind: args }), or a constant${odd ? `; got '${odd.key}'` : ""}.`);
  }
  const { key: kind, value: args } = entries[0];
  if (kind === "choice") return parseChoice(doc, name, entries[0].keyNode, args, depth, seen);
  const nums = numbers(doc, name, kind, entries[0].keyNode, args);
  const fail = (message: string) => doc.error(args, `${name}: ${kind} ${message}`);
  switch (kind) {
    case "uniform":
    case "loguniform": {
      const [low, high] = arity(nums, 2, fail);
      if (!(low < high)) throw fail(`needs low < high (got ${low}, ${high}).`);
      if (kind === "loguniform" && !(low > 0)) throw fail(`needs low > 0 (got ${low}).`);
      return { kind, low, high };
    }
    case "quniform":
    case "qloguniform": {
      const [low, high, q] = arity(nums, 3, fail);
      if (!(low < high)) throw fail(`needs low < high (got ${low}, ${high}).`);
      if (kind === "qloguniform" && !(low > 0)) throw fail(`needs low > 0 (got ${low}).`);
      if (!(q > 0)) throw fail(`needs a step q > 0 (got ${q}).`);
      if (q > high - low) throw fail(`step ${q} is larger than high − low (${high - low}): only ${low} could be drawn.`);
      if (gridSize(low, high, q) > 1e9) throw fail(`has more than 10⁹ values; use ${kind.slice(1)} instead.`);
      return { kind, low, high, q };
    }
    case "normal": {
      const [mu, sigma] = arity(nums, 2, fail);
      if (!(sigma > 0)) throw fail(`needs sigma > 0 (got ${sigma}).`);
      return { kind, mu, sigma };
    }
    case "randint": {
      const [low, high] = arity(nums, 2, fail);
      if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high)) throw fail(`needs integers (got ${low}, ${high}).`);
      if (!(low < high)) throw fail(`needs low < high (high is excluded; got ${low}, ${high}).`);
      return { kind, low, high };
    }
  }
  throw doc.error(node, `${name}: unknown distribution '${kind}'.`);
}

function numbers(doc: LocatedDoc, name: string, kind: string, keyNode: Node, args: Node | null): number[] {
  if (!isSeq(args)) throw doc.error(args ?? keyNode, `${name}: ${kind} takes a list ${DISTRIBUTIONS[kind as keyof typeof DISTRIBUTIONS]}.`);
  return args.items.map((item) => {
    const v = isScalar(item) ? item.value : undefined;
    if (typeof v !== "number" || !Number.isFinite(v)) throw doc.error(item as Node, `${name}: ${kind} arguments must be finite numbers.`);
    return v;
  });
}

function arity(nums: number[], n: number, fail: (m: string) => Error): number[] {
  if (nums.length !== n) throw fail(`takes ${n} numbers, got ${nums.length}.`);
  return nums;
}

function parseChoice(doc: LocatedDoc, name: string, keyNode: Node, args: Node | null, depth: number, seen: Map<string, string>): Distribution {
  const options: ChoiceOption[] = [];
  if (isSeq(args)) {
    for (const item of args.items as Node[]) {
      if (!isScalar(item) || item.value === null || typeof item.value === "object") {
        throw doc.error(item, `${name}: choice options in a list are values; options with their own parameters are a mapping { label: { params } }.`);
      }
      options.push({ value: item.value as Scalar });
    }
  } else if (isMap(args)) {
    for (const { key, value } of mapEntries(doc, args, `${name}: choice`)) {
      const empty = value === null || (isScalar(value) && value.value === null);
      if (!empty && !isMap(value)) throw doc.error(value, `${name}: option '${key}' must map to its parameters ({} for none).`);
      const space = empty ? [] : parseSpace(doc, value!, depth + 1, `${name}: option '${key}'`, seen);
      options.push(space.length > 0 ? { value: key, space } : { value: key });
    }
  } else {
    throw doc.error(args ?? keyNode, `${name}: choice takes a list of values or a mapping of labels to parameters.`);
  }
  if (options.length === 0) throw doc.error(args ?? keyNode, `${name}: choice needs at least one option.`);
  if (options.length > MAX_OPTIONS) throw doc.error(args, `${name}: choice has more than ${MAX_OPTIONS} options.`);
  const labels = new Set<string>();
  for (const [i, o] of options.entries()) {
    const label = formatValue(o.value);
    if (labels.has(label)) throw doc.error(isSeq(args) ? (args.items[i] as Node) : args, `${name}: option '${label}' appears twice.`);
    labels.add(label);
  }
  return { kind: "choice", options };
}
