/**
 * The `${{ }}` expressions of a parsed pipeline, checked before it is
 * accepted: each parses, and reads only declared inputs, secrets, the
 * pipeline's own fields, and steps among its needs; errors point at the line
 * and column inside the YAML scalar that holds the expression.
 * @module
 */
import { ExpressionError, parseExpression, parseTemplate, pathsOf, type Expr } from "./expression.js";
import { isMap, isScalar, isSeq, mapEntries, scalarOf, type LocatedDoc, type Node } from "./located-yaml.js";
import type { Fail } from "./pipeline-parser.js";
import type { InputSpec, StepSpec } from "./pipeline-spec.js";

/** Every expression of every step parses and reads only declared inputs and steps among its needs. */
export function checkExpressions(doc: LocatedDoc, fail: Fail, steps: StepSpec[], inputs: InputSpec[], nodes: Array<{ key: string; value: Node | null }>): void {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const ancestors = (id: string, seen = new Set<string>()): Set<string> => {
    for (const n of byId.get(id)!.needs) if (!seen.has(n)) ancestors(n, seen.add(n));
    return seen;
  };
  const inputNames = new Set(inputs.map((i) => i.name));
  for (const s of steps) {
    const stepNode = nodes.find((n) => n.key === s.id)!.value;
    const up = ancestors(s.id);
    const check = (e: Expr, node: Node | null | undefined, offset: number) => {
      for (const p of pathsOf(e)) {
        const at = nodeAt(node, offset + p.offset);
        if (p.root === "inputs") {
          if (p.keys.length === 0 || !inputNames.has(String(p.keys[0]))) {
            throw fail(at, `step '${s.id}': ${describe(p)} is not a declared input (inputs: ${[...inputNames].join(", ") || "none"}).`);
          }
        } else if (p.root === "steps") {
          const target = String(p.keys[0] ?? "");
          if (!byId.has(target)) throw fail(at, `step '${s.id}': ${describe(p)} names no step of this pipeline.`);
          if (!up.has(target)) throw fail(at, `step '${s.id}': ${describe(p)} reads step '${target}', which is not among its needs (add needs: [${target}]).`);
          if (p.keys.length < 2 || (p.keys[1] !== "outputs" && p.keys[1] !== "status")) throw fail(at, `step '${s.id}': ${describe(p)}: a step offers outputs and status.`);
        } else if (p.root === "secrets") {
          if (p.keys.length !== 1 || typeof p.keys[0] !== "string") throw fail(at, `step '${s.id}': ${describe(p)}: a secret is secrets.<name> (a name with dots: secrets['registry.password']).`);
        } else if (p.root === "pipeline") {
          if (p.keys.length !== 1 || !["run_id", "name", "experiment_id"].includes(String(p.keys[0]))) throw fail(at, `step '${s.id}': ${describe(p)}: pipeline offers run_id, name, experiment_id.`);
        }
      }
    };
    const stepEntries = mapEntries(doc, stepNode, s.id);
    const nodeOf = (key: string) => stepEntries.find((e) => e.key === key)?.value;
    if (s.if !== undefined) {
      const n = nodeOf("if");
      try {
        check(parseExpression(s.if), n, quoteShift(n) + (String(scalarOf(n)).indexOf(s.if) >= 0 ? String(scalarOf(n)).indexOf(s.if) : 0));
      } catch (err) {
        if (err instanceof ExpressionError) throw fail(nodeAt(n, quoteShift(n) + err.offset), `step '${s.id}': if: ${err.message}.`);
        throw err;
      }
    }
    const templates = (value: unknown, node: Node | null | undefined) => {
      if (typeof value === "string") {
        try {
          for (const part of parseTemplate(value)) check(part.expr, node, quoteShift(node) + part.exprOffset);
        } catch (err) {
          if (err instanceof ExpressionError) throw fail(nodeAt(node, quoteShift(node) + err.offset), `step '${s.id}': ${err.message}.`);
          throw err;
        }
      } else if (Array.isArray(value)) value.forEach((v, i) => templates(v, isSeq(node) ? (node.items[i] as Node) : node));
      else if (value && typeof value === "object") {
        const kids = isMap(node) ? mapEntries(doc, node, s.id) : [];
        for (const [k, v] of Object.entries(value)) templates(v, kids.find((e) => e.key === k)?.value ?? node);
      }
    };
    if (s.run !== undefined) templates(s.run, nodeOf("run"));
    templates(s.with, nodeOf("with"));
    templates(s.env, nodeOf("env"));
  }
}

function describe(p: { root: string; keys: Array<string | number> }): string {
  return [p.root, ...p.keys].join(".");
}

/** A quoted scalar's text starts one character after its node. */
function quoteShift(node: Node | null | undefined): number {
  return isScalar(node) && (node.type === "QUOTE_DOUBLE" || node.type === "QUOTE_SINGLE") ? 1 : 0;
}

/** A stand-in node at `offset` characters into `node` (for positions inside a plain or quoted one-line scalar). */
function nodeAt(node: Node | null | undefined, offset: number): Node | undefined {
  const start = node?.range?.[0];
  if (start === undefined) return node ?? undefined;
  // Block scalars (| and >) do not map offsets one to one: point at the node.
  if (isScalar(node) && (node.type === "BLOCK_LITERAL" || node.type === "BLOCK_FOLDED")) return node;
  return { range: [start + offset, start + offset, start + offset] } as unknown as Node;
}
