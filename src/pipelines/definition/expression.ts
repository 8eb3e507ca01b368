/**
 * The pipeline expression language, as in `${{ steps.train.outputs.run_id }}`
 * and `if: inputs.deploy && success()`. A small recursive-descent parser and
 * an evaluator over plain data: no `eval`, no prototype access, no calls but
 * the few built-ins below.
 *
 * ```
 * expr    := or
 * or      := and ("||" and)*
 * and     := unary ("&&" unary)*
 * unary   := "!" unary | compare
 * compare := primary (("==" | "!=" | "<" | "<=" | ">" | ">=") primary)?
 * primary := number | 'string' | "string" | true | false | null
 *          | name "(" args ")" | path | "(" expr ")"
 * path    := name ("." name | "[" (string | number) "]")*
 * ```
 * `secrets.NAME` reads a server secret (step env:, run: and a few with: keys;
 * see runs/step-secrets.ts). Built-ins: success(), failure(), always(), cancelled(), contains(a, b),
 * startsWith(a, b), endsWith(a, b), toJSON(v). A path that leads nowhere is null.
 * @module
 */

/** An expression that cannot be parsed; `offset` is where in the expression text. */
export class ExpressionError extends Error {
  override name = "ExpressionError";
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

export type Expr =
  | { kind: "literal"; value: unknown }
  | { kind: "path"; root: string; keys: Array<string | number>; offset: number }
  | { kind: "call"; name: string; args: Expr[]; offset: number }
  | { kind: "not"; expr: Expr }
  | { kind: "binary"; op: string; left: Expr; right: Expr };

const FUNCTIONS: Record<string, number> = { success: 0, failure: 0, always: 0, cancelled: 0, contains: 2, startsWith: 2, endsWith: 2, toJSON: 1 };
/** Roots a path may start with. */
export const ROOTS = ["inputs", "steps", "pipeline", "secrets"] as const;
const MAX_LENGTH = 2000;

type Token = { t: "num" | "str" | "name" | "op" | "end"; v: string; at: number };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const at = i;
    if (/[0-9]/.test(c) || (c === "-" && /[0-9]/.test(src[i + 1] ?? "") && (out.length === 0 || out[out.length - 1].t === "op"))) {
      const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(src.slice(i))!;
      out.push({ t: "num", v: m[0], at });
      i += m[0].length;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      let s = "";
      for (;;) {
        if (j >= src.length) throw new ExpressionError("a string is not closed", at);
        if (src[j] === c) {
          // '' inside a single-quoted string is one quote, as in GitHub's expressions.
          if (src[j + 1] === c) {
            s += c;
            j += 2;
            continue;
          }
          break;
        }
        s += src[j++];
      }
      out.push({ t: "str", v: s, at });
      i = j + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(src.slice(i))!;
      out.push({ t: "name", v: m[0], at });
      i += m[0].length;
    } else {
      const two = src.slice(i, i + 2);
      if (["==", "!=", "<=", ">=", "&&", "||"].includes(two)) {
        out.push({ t: "op", v: two, at });
        i += 2;
      } else if ("!<>().[],".includes(c)) {
        out.push({ t: "op", v: c, at });
        i++;
      } else throw new ExpressionError(`unexpected character '${c}'`, at);
    }
  }
  out.push({ t: "end", v: "", at: src.length });
  return out;
}

/** Parses one expression (the text inside `${{ }}`, or an `if:`). */
export function parseExpression(src: string): Expr {
  if (src.length > MAX_LENGTH) throw new ExpressionError(`an expression may be at most ${MAX_LENGTH} characters`, 0);
  const toks = tokenize(src);
  let p = 0;
  const peek = () => toks[p];
  const isOp = (v: string) => toks[p].t === "op" && toks[p].v === v;
  const expect = (v: string) => {
    if (!isOp(v)) throw new ExpressionError(`expected '${v}'${toks[p].t === "end" ? " before the end" : ` at '${toks[p].v}'`}`, toks[p].at);
    p++;
  };
  let depth = 0;
  const or = (): Expr => {
    if (++depth > 50) throw new ExpressionError("the expression nests too deeply", peek().at);
    let left = and();
    while (isOp("||")) {
      p++;
      left = { kind: "binary", op: "||", left, right: and() };
    }
    depth--;
    return left;
  };
  const and = (): Expr => {
    let left = unary();
    while (isOp("&&")) {
      p++;
      left = { kind: "binary", op: "&&", left, right: unary() };
    }
    return left;
  };
  const unary = (): Expr => {
    if (isOp("!")) {
      p++;
      return { kind: "not", expr: unary() };
    }
    return compare();
  };
  const compare = (): Expr => {
    const left = primary();
    const t = peek();
    if (t.t === "op" && ["==", "!=", "<", "<=", ">", ">="].includes(t.v)) {
      p++;
      return { kind: "binary", op: t.v, left, right: primary() };
    }
    return left;
  };
  const primary = (): Expr => {
    const t = toks[p++];
    if (t.t === "num") return { kind: "literal", value: Number(t.v) };
    if (t.t === "str") return { kind: "literal", value: t.v };
    if (t.t === "op" && t.v === "(") {
      const e = or();
      expect(")");
      return e;
    }
    if (t.t === "name") {
      if (t.v === "true" || t.v === "false") return { kind: "literal", value: t.v === "true" };
      if (t.v === "null") return { kind: "literal", value: null };
      if (isOp("(")) {
        p++;
        const arity = FUNCTIONS[t.v];
        if (arity === undefined) throw new ExpressionError(`unknown function '${t.v}' (known: ${Object.keys(FUNCTIONS).join(", ")})`, t.at);
        const args: Expr[] = [];
        if (!isOp(")")) {
          args.push(or());
          while (isOp(",")) {
            p++;
            args.push(or());
          }
        }
        expect(")");
        if (args.length !== arity) throw new ExpressionError(`${t.v}() takes ${arity} argument${arity === 1 ? "" : "s"}, got ${args.length}`, t.at);
        return { kind: "call", name: t.v, args, offset: t.at };
      }
      if (!(ROOTS as readonly string[]).includes(t.v)) throw new ExpressionError(`unknown name '${t.v}' (an expression reads ${ROOTS.join(", ")})`, t.at);
      const keys: Array<string | number> = [];
      for (;;) {
        if (isOp(".")) {
          p++;
          const k = toks[p++];
          if (k.t !== "name") throw new ExpressionError("expected a name after '.'", k.at);
          keys.push(k.v);
        } else if (isOp("[")) {
          p++;
          const k = toks[p++];
          if (k.t !== "str" && k.t !== "num") throw new ExpressionError("expected a string or a number inside [ ]", k.at);
          keys.push(k.t === "num" ? Number(k.v) : k.v);
          expect("]");
        } else break;
      }
      return { kind: "path", root: t.v, keys, offset: t.at };
    }
    throw new ExpressionError(t.t === "end" ? "the expression ends too early" : `unexpected '${t.v}'`, t.at);
  };
  const e = or();
  if (peek().t !== "end") throw new ExpressionError(`unexpected '${peek().v}' after the expression`, peek().at);
  return e;
}

/** What an expression reads. Step states drive success()/failure()/always(). */
export interface ExpressionContext {
  inputs: Record<string, unknown>;
  steps: Record<string, { outputs: Record<string, unknown>; status: string }>;
  pipeline: Record<string, unknown>;
  /** Secret values by name, only where a step's `env:` is rendered (runs/step-secrets.ts); elsewhere `secrets.X` is null. */
  secrets?: Record<string, unknown>;
  /** States of the step's needs (direct and transitive), for the status functions. */
  needStates?: string[];
  /** The pipeline run was cancelled. */
  cancelled?: boolean;
}

const own = (o: unknown, k: string | number): unknown => {
  if (o === null || typeof o !== "object") return null;
  if (Array.isArray(o)) return typeof k === "number" ? (o[k] ?? null) : null;
  return Object.prototype.hasOwnProperty.call(o, k) ? (o as Record<string, unknown>)[k as string] : null;
};

/** GitHub-style loose equality: numbers and numeric strings compare as numbers, strings case-insensitively. */
function looseEqual(a: unknown, b: unknown): boolean {
  if (typeof a === "string" && typeof b === "string") return a.toLowerCase() === b.toLowerCase();
  if ((typeof a === "number" || typeof b === "number") && a !== null && b !== null) return Number(a) === Number(b);
  return a === b;
}

export function truthy(v: unknown): boolean {
  return !(v === null || v === undefined || v === false || v === 0 || v === "" || Number.isNaN(v));
}

export function evaluate(e: Expr, ctx: ExpressionContext): unknown {
  switch (e.kind) {
    case "literal":
      return e.value;
    case "path": {
      let v: unknown = ctx[e.root as (typeof ROOTS)[number]];
      for (const k of e.keys) v = own(v, k);
      return v ?? null;
    }
    case "not":
      return !truthy(evaluate(e.expr, ctx));
    case "binary": {
      if (e.op === "&&") {
        const l = evaluate(e.left, ctx);
        return truthy(l) ? evaluate(e.right, ctx) : l;
      }
      if (e.op === "||") {
        const l = evaluate(e.left, ctx);
        return truthy(l) ? l : evaluate(e.right, ctx);
      }
      const l = evaluate(e.left, ctx);
      const r = evaluate(e.right, ctx);
      if (e.op === "==") return looseEqual(l, r);
      if (e.op === "!=") return !looseEqual(l, r);
      const a = typeof l === "string" && typeof r === "string" ? l : Number(l);
      const b = typeof l === "string" && typeof r === "string" ? r : Number(r);
      if (e.op === "<") return a < b;
      if (e.op === "<=") return a <= b;
      if (e.op === ">") return a > b;
      return a >= b;
    }
    case "call": {
      const states = ctx.needStates ?? [];
      const args = e.args.map((a) => evaluate(a, ctx));
      switch (e.name) {
        case "success":
          return !ctx.cancelled && states.every((s) => s === "succeeded" || s === "cached");
        case "failure":
          return states.some((s) => s === "failed");
        case "always":
          return true;
        case "cancelled":
          return ctx.cancelled === true;
        case "contains":
          if (Array.isArray(args[0])) return args[0].some((x) => looseEqual(x, args[1]));
          return String(args[0] ?? "").toLowerCase().includes(String(args[1] ?? "").toLowerCase());
        case "startsWith":
          return String(args[0] ?? "").toLowerCase().startsWith(String(args[1] ?? "").toLowerCase());
        case "endsWith":
          return String(args[0] ?? "").toLowerCase().endsWith(String(args[1] ?? "").toLowerCase());
        case "toJSON":
          return JSON.stringify(args[0]);
      }
      return null;
    }
  }
}

/** Does the expression call a status function (then it decides alone whether a step runs after a failure)? */
export function usesStatusFunction(e: Expr): boolean {
  switch (e.kind) {
    case "call":
      return ["success", "failure", "always", "cancelled"].includes(e.name) || e.args.some(usesStatusFunction);
    case "not":
      return usesStatusFunction(e.expr);
    case "binary":
      return usesStatusFunction(e.left) || usesStatusFunction(e.right);
    default:
      return false;
  }
}

/** Every path an expression reads, for checking names against the definition. */
export function pathsOf(e: Expr, out: Array<Extract<Expr, { kind: "path" }>> = []): Array<Extract<Expr, { kind: "path" }>> {
  if (e.kind === "path") out.push(e);
  else if (e.kind === "not") pathsOf(e.expr, out);
  else if (e.kind === "binary") {
    pathsOf(e.left, out);
    pathsOf(e.right, out);
  } else if (e.kind === "call") for (const a of e.args) pathsOf(a, out);
  return out;
}

/** One `${{ … }}` in a template string. */
export interface TemplatePart {
  /** Offset of `${{` in the template. */
  offset: number;
  /** Offset of the expression text in the template. */
  exprOffset: number;
  end: number;
  expr: Expr;
}

const OPEN = "${{";

/** Finds and parses the `${{ … }}` parts of a string; an ExpressionError's offset is within the template. */
export function parseTemplate(text: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let from = 0;
  for (;;) {
    const start = text.indexOf(OPEN, from);
    if (start < 0) return parts;
    const close = text.indexOf("}}", start + OPEN.length);
    if (close < 0) throw new ExpressionError("'${{' is not closed by '}}'", start);
    const inner = text.slice(start + OPEN.length, close);
    try {
      parts.push({ offset: start, exprOffset: start + OPEN.length, end: close + 2, expr: parseExpression(inner) });
    } catch (err) {
      if (err instanceof ExpressionError) throw new ExpressionError(err.message, start + OPEN.length + err.offset);
      throw err;
    }
    from = close + 2;
  }
}

/** A value as text in a template: strings as they are, other values as JSON. */
export function stringify(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  return JSON.stringify(v);
}

/**
 * Renders a template. A string that is exactly one `${{ expr }}` keeps the
 * value's type (a number stays a number); otherwise parts are joined as text,
 * each passed through `quote` (shell steps quote every value).
 */
export function renderTemplate(text: string, ctx: ExpressionContext, quote: (s: string) => string = (s) => s): unknown {
  const parts = parseTemplate(text);
  if (parts.length === 0) return text;
  if (parts.length === 1 && parts[0].offset === 0 && parts[0].end === text.length && quote("x") === "x") return evaluate(parts[0].expr, ctx);
  let out = "";
  let at = 0;
  for (const p of parts) {
    out += text.slice(at, p.offset) + quote(stringify(evaluate(p.expr, ctx)));
    at = p.end;
  }
  return out + text.slice(at);
}
