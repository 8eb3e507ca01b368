/**
 * Parser for MLflow's search filters and order_by clauses.
 *
 * MLflow's grammar is `<type>.<key> <comparator> <value>` clauses joined by AND.
 * ciclo also accepts `OR`, parentheses and `IS [NOT] NULL` (users have asked
 * MLflow for these: mlflow#4135, #11190); AND binds tighter than OR.
 * @module
 */
import { InvalidParameterValueError } from "../errors.js";
import type {
  Comparator,
  EntityType,
  FilterNode,
  FilterValue,
  OrderByClause,
  SearchSpec,
  ValueKind,
} from "./filter-ast.js";
import { syntaxError, tokenize, type Token } from "./filter-tokenizer.js";

const ENTITY_PREFIXES: Record<string, EntityType> = {
  metric: "metric",
  metrics: "metric",
  parameter: "param",
  parameters: "param",
  param: "param",
  params: "param",
  tag: "tag",
  tags: "tag",
  attribute: "attribute",
  attributes: "attribute",
  attr: "attribute",
  run: "attribute",
  dataset: "dataset",
  datasets: "dataset",
  request_metadata: "metadata",
  metadata: "metadata",
};

const NUMERIC_OPS: Comparator[] = ["=", "!=", "<", "<=", ">", ">="];
const STRING_OPS: Comparator[] = ["=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"];
const MAX_FILTER_LENGTH = 20_000;
const MAX_CLAUSES = 200;
/** Parenthesis nesting limit: deeper input would exhaust the parser's stack (a 500, not a 400). */
const MAX_DEPTH = 100;

interface Identifier {
  entity: EntityType;
  key: string;
}

/** Parses a filter string; returns undefined for an empty filter. */
export function parseFilter(input: string | undefined, spec: SearchSpec): FilterNode | undefined {
  if (input === undefined || input.trim() === "") return undefined;
  if (input.length > MAX_FILTER_LENGTH) {
    throw new InvalidParameterValueError(
      `Filter string is too long: ${input.length} characters (limit ${MAX_FILTER_LENGTH}).`,
    );
  }
  return new FilterParser(input, spec).parse();
}

class FilterParser {
  private readonly tokens: Token[];
  private i = 0;
  private clauses = 0;
  private depth = 0;

  constructor(
    private readonly input: string,
    private readonly spec: SearchSpec,
  ) {
    this.tokens = tokenize(input);
  }

  parse(): FilterNode {
    const node = this.parseOr();
    const extra = this.peek();
    if (extra) throw this.error(extra, `unexpected '${extra.text}'`);
    return node;
  }

  private parseOr(): FilterNode {
    const items = [this.parseAnd()];
    while (this.isKeyword(this.peek(), "OR")) {
      this.i++;
      items.push(this.parseAnd());
    }
    return items.length === 1 ? items[0] : { kind: "or", items };
  }

  private parseAnd(): FilterNode {
    const items = [this.parsePrimary()];
    while (this.isKeyword(this.peek(), "AND")) {
      this.i++;
      items.push(this.parsePrimary());
    }
    return items.length === 1 ? items[0] : { kind: "and", items };
  }

  private parsePrimary(): FilterNode {
    const t = this.peek();
    if (!t) throw syntaxError(this.input, this.input.length, "expected a clause but the filter ended");
    if (t.type === "lparen") {
      this.i++;
      if (++this.depth > MAX_DEPTH) {
        throw new InvalidParameterValueError(`Filter nests parentheses more than ${MAX_DEPTH} deep.`);
      }
      const inner = this.parseOr();
      this.depth--;
      const close = this.next();
      if (!close || close.type !== "rparen") {
        throw syntaxError(this.input, close?.pos ?? this.input.length, "expected ')'");
      }
      return inner;
    }
    if (++this.clauses > MAX_CLAUSES) {
      throw new InvalidParameterValueError(`Filter has more than ${MAX_CLAUSES} clauses.`);
    }
    return this.parseComparison();
  }

  private parseComparison(): FilterNode {
    const id = readIdentifier(this.input, this.tokens, this.i, this.spec);
    this.i = id.next;
    const { entity, key } = id;
    const kind = valueKind(this.spec, entity, key);
    const opTok = this.next();
    if (!opTok) throw syntaxError(this.input, this.input.length, `expected a comparator after ${this.describe(id)}`);

    if (this.isKeyword(opTok, "IS")) {
      let negate = false;
      if (this.isKeyword(this.peek(), "NOT")) {
        this.i++;
        negate = true;
      }
      const nul = this.next();
      if (!this.isKeyword(nul, "NULL")) throw this.error(nul ?? opTok, "expected NULL after IS");
      return { kind: "null", entity, key, negate };
    }

    let op: Comparator;
    if (opTok.type === "op") op = opTok.text as Comparator;
    else if (this.isKeyword(opTok, "LIKE")) op = "LIKE";
    else if (this.isKeyword(opTok, "ILIKE")) op = "ILIKE";
    else if (this.isKeyword(opTok, "IN")) op = "IN";
    else if (this.isKeyword(opTok, "NOT") && this.isKeyword(this.peek(), "IN")) {
      this.i++;
      op = "NOT IN";
    } else throw this.error(opTok, `invalid comparator '${opTok.text}'`);

    const allowed = kind === "number" ? NUMERIC_OPS : STRING_OPS;
    if (!allowed.includes(op)) {
      throw new InvalidParameterValueError(
        `Invalid comparator '${op}' for ${this.describe(id)} in filter '${this.input}'. ` +
          `Valid comparators for this key: ${allowed.join(", ")}.`,
      );
    }
    if (
      (op === "IN" || op === "NOT IN") &&
      entity === "attribute" &&
      this.spec.inListAttributes &&
      !this.spec.inListAttributes.includes(key)
    ) {
      throw new InvalidParameterValueError(
        `Invalid comparator '${op}' for ${this.describe(id)}: IN lists are supported on ` +
          `${this.spec.inListAttributes.join(", ")}.`,
      );
    }
    const value = op === "IN" || op === "NOT IN" ? this.readList(kind) : this.readValue(kind, id);
    if (entity === "attribute" && typeof value === "number") return integerComparison(key, op, value);
    // LIKE patterns escape with `\` (the stores compile `LIKE ? ESCAPE '\'`); PostgreSQL fails on a
    // pattern that ends in a lone escape (a 500), so it is refused here.
    if ((op === "LIKE" || op === "ILIKE") && typeof value === "string" && /(?:^|[^\\])(?:\\\\)*\\$/.test(value)) {
      throw new InvalidParameterValueError(
        `Invalid ${op} pattern '${value}' for ${this.describe(id)}: it ends with the escape character '\\'. ` +
          "Write '\\\\' for a literal backslash.",
      );
    }
    return { kind: "cmp", entity, key, op, value };
  }

  private readValue(kind: ValueKind, id: Identifier): FilterValue {
    const t = this.next();
    if (!t) throw syntaxError(this.input, this.input.length, `expected a value for ${this.describe(id)}`);
    if (kind === "number") {
      if (t.type === "number") return Number(t.text);
      throw new InvalidParameterValueError(
        `Expected numeric value type for ${this.describe(id)}. Found '${t.text}' in filter '${this.input}'.`,
      );
    }
    if (t.type === "string") return t.text;
    throw new InvalidParameterValueError(
      `Expected a quoted string value for ${this.describe(id)}, got '${t.text}' in filter '${this.input}'.`,
    );
  }

  private readList(kind: ValueKind): Array<string | number> {
    const open = this.next();
    if (!open || open.type !== "lparen") {
      throw syntaxError(this.input, open?.pos ?? this.input.length, "expected '(' to start an IN list");
    }
    const values: Array<string | number> = [];
    for (;;) {
      const t = this.next();
      if (!t) throw syntaxError(this.input, this.input.length, "unterminated IN list");
      if (t.type === "string" && kind === "string") values.push(t.text);
      else if (t.type === "number" && kind === "number") values.push(Number(t.text));
      else throw this.error(t, `IN list values must be ${kind === "string" ? "quoted strings" : "numbers"}`);
      const sep = this.next();
      if (sep?.type === "rparen") break;
      if (sep?.type !== "comma") throw syntaxError(this.input, sep?.pos ?? this.input.length, "expected ',' or ')' in IN list");
    }
    return values;
  }

  private describe(id: Identifier): string {
    return id.entity === "attribute" ? `attribute '${id.key}'` : `${id.entity} '${id.key}'`;
  }

  private isKeyword(t: Token | undefined, kw: string): boolean {
    return t !== undefined && t.type === "word" && t.text.toUpperCase() === kw;
  }

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }

  private next(): Token | undefined {
    return this.tokens[this.i++];
  }

  private error(t: Token, detail: string): InvalidParameterValueError {
    return syntaxError(this.input, t.pos, detail);
  }
}

/** Bounds of the integer columns behind numeric attributes (2^53: exact in JS and within BIGINT). */
const INT_BOUND = 2 ** 53;

/**
 * Numeric attributes (start_time, end_time, creation_time, last_update_time) are
 * integer milliseconds in BIGINT columns. PostgreSQL refuses a fractional or
 * out-of-range bound for them ("invalid input syntax for type bigint" — a 500),
 * while MLflow compares such bounds numerically; so a non-integer bound is
 * rewritten into the integer comparison that selects the same rows.
 */
function integerComparison(key: string, op: Comparator, v: number): FilterNode {
  const at = (o: Comparator, n: number): FilterNode => ({
    kind: "cmp",
    entity: "attribute",
    key,
    op: o,
    value: Math.max(-INT_BOUND, Math.min(INT_BOUND, n)),
  });
  if (Number.isInteger(v) && Math.abs(v) <= INT_BOUND) return at(op, v);
  switch (op) {
    case ">":
    case "<=":
      return at(op, Math.floor(v));
    case ">=":
    case "<":
      return at(op, Math.ceil(v));
    case "=": // no integer equals v: an always-false range
      return { kind: "and", items: [at(">", Math.floor(v)), at("<", Math.floor(v) + 1)] };
    default: // "!=": every non-null value differs from v
      return { kind: "null", entity: "attribute", key, negate: true };
  }
}

/**
 * Reads `<type>.<key>`, `<type>.\`key\``, `<type>."key"` or a bare attribute at `tokens[i]`.
 * `forOrderBy`: attributes that may be ordered on but not filtered are accepted too.
 */
function readIdentifier(
  input: string,
  tokens: Token[],
  i: number,
  spec: SearchSpec,
  forOrderBy = false,
): Identifier & { next: number } {
  const t = tokens[i];
  if (t.type === "quoted-id") {
    return { ...resolveAttribute(input, t.text, spec, forOrderBy), next: i + 1 };
  }
  if (t.type !== "word") throw syntaxError(input, t.pos, `expected a key but found '${t.text}'`);
  const dot = t.text.indexOf(".");
  if (dot < 0) return { ...resolveAttribute(input, t.text, spec, forOrderBy), next: i + 1 };
  const prefix = t.text.slice(0, dot);
  let key = t.text.slice(dot + 1);
  let next = i + 1;
  if (key === "") {
    const q = tokens[i + 1];
    if (!q || (q.type !== "quoted-id" && !(q.type === "string" && q.quote === '"'))) {
      throw syntaxError(input, t.pos + t.text.length, `expected a key after '${t.text}'`);
    }
    key = q.text;
    next = i + 2;
  }
  const lower = prefix.toLowerCase();
  const unsupported = spec.unsupportedPrefixes && Object.hasOwn(spec.unsupportedPrefixes, lower) ? spec.unsupportedPrefixes[lower] : undefined;
  if (unsupported) throw new InvalidParameterValueError(`Filtering on '${prefix}.${key.slice(0, 100)}' is not supported: ${unsupported}`);
  const entity = spec.attributePrefixes?.includes(lower) ? "attribute" : Object.hasOwn(ENTITY_PREFIXES, lower) ? ENTITY_PREFIXES[lower] : undefined;
  if (!entity || (entity !== "attribute" && !spec.entities.includes(entity))) {
    throw new InvalidParameterValueError(
      `Invalid entity type '${prefix}' in filter '${input}'. Valid values are ` +
        `${["attributes", ...spec.entities.map(pluralOf)].join(", ")}.`,
    );
  }
  if (entity === "attribute") return { ...resolveAttribute(input, key, spec, forOrderBy), next };
  if (entity === "dataset" && spec.datasetKeys && !spec.datasetKeys.includes(key)) {
    throw new InvalidParameterValueError(
      `Invalid dataset key '${key}'. Valid keys are ${spec.datasetKeys.join(", ")}.`,
    );
  }
  if (key === "") throw syntaxError(input, t.pos, "empty key");
  return { entity, key, next };
}

function resolveAttribute(input: string, raw: string, spec: SearchSpec, forOrderBy = false): Identifier {
  // Own properties only: "constructor" or "__proto__" must not pass as keys.
  const aliases = spec.attributeAliases;
  const key = aliases && Object.hasOwn(aliases, raw) ? aliases[raw] : raw;
  if (forOrderBy && spec.orderableAttributes?.includes(key)) return { entity: "attribute", key };
  if (!Object.hasOwn(spec.attributes, key)) {
    throw new InvalidParameterValueError(
      `Invalid attribute key '${raw}' specified in '${input}'. Valid keys are ` +
        `${Object.keys(spec.attributes).join(", ")}.`,
    );
  }
  return { entity: "attribute", key };
}

function valueKind(spec: SearchSpec, entity: EntityType, key: string): ValueKind {
  if (entity === "metric") return "number";
  if (entity === "attribute") return spec.attributes[key];
  return "string";
}

function pluralOf(e: EntityType): string {
  return e === "dataset" ? "datasets" : e === "metadata" ? "request_metadata" : `${e}s`;
}

/**
 * Parses MLflow `order_by` entries such as `metrics.\`val loss\` DESC`,
 * `start_time`, `params.lr ASC`.
 */
export function parseOrderBy(clauses: string[] | undefined, spec: SearchSpec): OrderByClause[] {
  if (!clauses) return [];
  return clauses.map((clause) => {
    const tokens = tokenize(clause);
    if (tokens.length === 0) throw new InvalidParameterValueError(`Invalid order_by clause '${clause}'.`);
    const id = readIdentifier(clause, tokens, 0, spec, true);
    let ascending = true;
    const dir = tokens[id.next];
    if (dir) {
      const word = dir.type === "word" ? dir.text.toUpperCase() : "";
      if (word !== "ASC" && word !== "DESC") {
        throw new InvalidParameterValueError(
          `Invalid ordering key in order_by clause '${clause}'. Expected ASC or DESC, got '${dir.text}'.`,
        );
      }
      ascending = word === "ASC";
      if (tokens.length > id.next + 1) {
        throw new InvalidParameterValueError(`Invalid order_by clause '${clause}': unexpected trailing text.`);
      }
    }
    if (
      id.entity === "attribute" &&
      spec.orderableAttributes &&
      !spec.orderableAttributes.includes(id.key)
    ) {
      throw new InvalidParameterValueError(
        `Invalid attribute key '${id.key}' specified in order_by '${clause}'. Valid keys are ` +
          `${spec.orderableAttributes.join(", ")}.`,
      );
    }
    if (id.entity === "dataset") {
      throw new InvalidParameterValueError(`Ordering by dataset fields is not supported: '${clause}'.`);
    }
    return { entity: id.entity, key: id.key, ascending };
  });
}
