/**
 * A strict reader of log-batch's common body, for the direct route: `{"run_id": "…", "metrics": [{"key": "…",
 * "value": n, "timestamp": n, "step": n}, …], "params": [{"key": "…", "value": "…"}, …], "tags": […]}` in any key
 * order (a metric may also carry MLflow 3.x's `model_id`, `dataset_name`, `dataset_digest` and a `run_id` string),
 * read straight into the records the handler gives the service. On a 1,000-point body `JSON.parse`, the
 * schema walk over 1,000 objects and the handler's mapping are most of the server's own CPU per request.
 *
 * It only says yes to a body whose answer it can prove is the existing path's (`parseJsonBody`, the `LogBatchBody`
 * schema, `toMetric`): valid JSON of exactly that shape, every value one the schema accepts as is. Anything else —
 * a backslash in a string (escapes, the NUL rule), a control character, an unknown or repeated key, `null`, a
 * string where a number goes (but a value of "NaN", "Infinity" or "-Infinity"), a fraction or exponent or more
 * than 15 digits in an integer field, a leading zero, a bare `NaN`, an empty required string, a body that is not an
 * object, trailing text — makes it return `undefined`, and the request takes the existing path, which gives the
 * answer or error it always gave (`log-batch-scan.test.ts` compares the two).
 *
 * Numbers are bit-identical to `JSON.parse`: a mantissa of at most 15 digits is exact in a double, and so is 10^k
 * for k ≤ 22, so one IEEE division (correctly rounded) gives the correctly rounded value of the decimal, as
 * `JSON.parse` does; every other number (an exponent, a longer mantissa) is read by `Number` on its text, which
 * rounds the same grammar the same way.
 * @module
 */
import type { Metric, Param } from "../../shared/tracking-types.js";
import type { Tag } from "../../shared/types.js";

/** What the handler hands the service for a scanned body. */
export interface ScannedLogBatch {
  runId: string;
  metrics: Metric[];
  params: Param[];
  tags: Tag[];
}

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const NINE = 57;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;

/** Thrown inside the scan to decline; caught by `scanLogBatch` only. */
const DECLINE = Symbol("decline");

class Scanner {
  i = 0;
  constructor(private readonly s: string) {}

  /** Skips JSON's four whitespace characters (not the wider set `trim` knows: JSON.parse refuses those). */
  ws(): void {
    const s = this.s;
    let i = this.i;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 32 || c === 10 || c === 13 || c === 9) i++;
      else break;
    }
    this.i = i;
  }

  expect(code: number): void {
    this.ws();
    if (this.s.charCodeAt(this.i) !== code) throw DECLINE;
    this.i++;
  }

  /** The next non-whitespace character code, not consumed. */
  peek(): number {
    this.ws();
    return this.s.charCodeAt(this.i);
  }

  /** A string with no escape and no control character (the only strings this reader takes), after whitespace. */
  string(): string {
    this.ws();
    const s = this.s;
    let i = this.i;
    if (s.charCodeAt(i) !== QUOTE) throw DECLINE;
    const start = ++i;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === QUOTE) break;
      // NaN past the end; a backslash or control character is the existing path's to read or refuse.
      if (c === BACKSLASH || c < 32 || c !== c) throw DECLINE;
      i++;
    }
    this.i = i + 1;
    return s.slice(start, i);
  }

  /**
   * A JSON number (after whitespace): `integer` takes only a plain integer of at most 15 digits (the `Int64` schema's
   * integers as `toMetric` keeps them, all below 2^53); otherwise any JSON number, exactly as `JSON.parse` reads it.
   */
  number(integer: boolean): number {
    this.ws();
    const s = this.s;
    let i = this.i;
    const start = i;
    let negative = false;
    if (s.charCodeAt(i) === MINUS) {
      negative = true;
      i++;
    }
    // Comparisons written so that NaN (past the end of the text) fails them.
    let c = s.charCodeAt(i);
    if (!(c >= ZERO && c <= NINE)) throw DECLINE;
    let mantissa = 0;
    let digits = 0;
    if (c === ZERO) {
      i++;
      c = s.charCodeAt(i);
      // JSON has no leading zeros: "01" is the existing path's error.
      if (c >= ZERO && c <= NINE) throw DECLINE;
      digits = 1;
    } else {
      do {
        mantissa = mantissa * 10 + (c - ZERO);
        digits++;
        c = s.charCodeAt(++i);
      } while (c >= ZERO && c <= NINE);
    }
    let fraction = 0;
    if (c === DOT) {
      if (integer) throw DECLINE;
      c = s.charCodeAt(++i);
      if (!(c >= ZERO && c <= NINE)) throw DECLINE;
      do {
        mantissa = mantissa * 10 + (c - ZERO);
        digits++;
        fraction++;
        c = s.charCodeAt(++i);
      } while (c >= ZERO && c <= NINE);
    }
    if (c === 101 || c === 69) {
      // An exponent: never in an integer field here; in a value, read by Number on its (validated) text.
      if (integer) throw DECLINE;
      c = s.charCodeAt(++i);
      if (c === 43 || c === MINUS) c = s.charCodeAt(++i);
      if (!(c >= ZERO && c <= NINE)) throw DECLINE;
      do c = s.charCodeAt(++i);
      while (c >= ZERO && c <= NINE);
      this.i = i;
      return Number(s.slice(start, i));
    }
    this.i = i;
    if (digits > 15) {
      if (integer) throw DECLINE;
      return Number(s.slice(start, i));
    }
    // Both operands exact (mantissa < 10^15 < 2^53, fraction ≤ 15 < 22): one correctly rounded division.
    const magnitude = fraction === 0 ? mantissa : mantissa / POW10[fraction];
    return negative ? -magnitude : magnitude;
  }

  /**
   * A value written as one of the three strings MLflow's JSON uses for non-finite doubles (its Python client's
   * protobuf JSON writes NaN so), read as `parseWireDouble` reads them; any other string is the existing path's.
   */
  nonFinite(): number {
    const text = this.string();
    if (text === "NaN") return NaN;
    if (text === "Infinity") return Infinity;
    if (text === "-Infinity") return -Infinity;
    throw DECLINE;
  }

  /** A string the schema requires non-empty (an empty one is the existing path's error). */
  nonEmptyString(): string {
    const text = this.string();
    if (text.length === 0) throw DECLINE;
    return text;
  }

  /** An object: `member` reads each member's value after its name (or declines); the braces and commas here. */
  object(member: (name: string) => void): void {
    this.expect(OPEN_BRACE);
    if (this.peek() !== CLOSE_BRACE) {
      for (;;) {
        const name = this.string();
        this.expect(COLON);
        member(name);
        if (this.peek() === COMMA) this.i++;
        else break;
      }
    }
    this.expect(CLOSE_BRACE);
  }

  /** A metric object of exactly key, value, timestamp and optional step, each once. */
  metric(): Metric {
    let key: string | undefined;
    let value: number | undefined;
    let timestamp: number | undefined;
    let step: number | undefined;
    // MLflow 3.x's optional links, and a per-metric run_id (the schema takes a string there; nothing reads it).
    let modelId: string | undefined;
    let datasetName: string | undefined;
    let datasetDigest: string | undefined;
    let runId: string | undefined;
    this.object((name) => {
      if (name === "key" && key === undefined) key = this.nonEmptyString();
      else if (name === "value" && value === undefined) value = this.peek() === QUOTE ? this.nonFinite() : this.number(false);
      else if (name === "timestamp" && timestamp === undefined) timestamp = this.number(true);
      else if (name === "step" && step === undefined) step = this.number(true);
      else if (name === "model_id" && modelId === undefined) modelId = this.string();
      else if (name === "dataset_name" && datasetName === undefined) datasetName = this.string();
      else if (name === "dataset_digest" && datasetDigest === undefined) datasetDigest = this.string();
      else if (name === "run_id" && runId === undefined) runId = this.string();
      else throw DECLINE;
    });
    if (key === undefined || value === undefined || timestamp === undefined) throw DECLINE;
    const out: Metric = { key, value, timestamp, step: step === undefined ? 0 : step };
    // As `toMetric`: set only when non-empty, in this order.
    if (modelId) out.modelId = modelId;
    if (datasetName) out.datasetName = datasetName;
    if (datasetDigest) out.datasetDigest = datasetDigest;
    return out;
  }

  /** A key/value object (params, tags): a non-empty key and a string value, each once. */
  keyValue(): Param {
    let key: string | undefined;
    let value: string | undefined;
    this.object((name) => {
      if (name === "key" && key === undefined) key = this.nonEmptyString();
      else if (name === "value" && value === undefined) value = this.string();
      else throw DECLINE;
    });
    if (key === undefined || value === undefined) throw DECLINE;
    return { key, value };
  }

  array<T>(item: (this: Scanner) => T): T[] {
    this.expect(OPEN_BRACKET);
    const out: T[] = [];
    if (this.peek() === CLOSE_BRACKET) {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(item.call(this));
      const c = this.peek();
      this.i++;
      if (c === CLOSE_BRACKET) return out;
      if (c !== COMMA) throw DECLINE;
    }
  }

  body(): ScannedLogBatch {
    let runId: string | undefined;
    let metrics: Metric[] | undefined;
    let params: Param[] | undefined;
    let tags: Tag[] | undefined;
    this.object((name) => {
      if (name === "run_id" && runId === undefined) runId = this.nonEmptyString();
      else if (name === "metrics" && metrics === undefined) metrics = this.array(this.metric);
      else if (name === "params" && params === undefined) params = this.array(this.keyValue);
      else if (name === "tags" && tags === undefined) tags = this.array(this.keyValue);
      else throw DECLINE;
    });
    this.ws();
    if (this.i !== this.s.length || runId === undefined) throw DECLINE;
    return { runId, metrics: metrics ?? [], params: params ?? [], tags: tags ?? [] };
  }
}

/** The body's records when it has exactly the common shape (see the module's comment), else `undefined`. */
export function scanLogBatch(text: string): ScannedLogBatch | undefined {
  try {
    return new Scanner(text).body();
  } catch (err) {
    if (err === DECLINE) return undefined;
    throw err;
  }
}
