/**
 * Tokenizer for MLflow's search-filter language (SQL-like clauses).
 * @module
 */
import { InvalidParameterValueError } from "../errors.js";

type TokenType = "word" | "string" | "quoted-id" | "number" | "op" | "lparen" | "rparen" | "comma";

export interface Token {
  type: TokenType;
  /** The token's text; for strings and quoted identifiers, the unquoted content. */
  text: string;
  /** For strings: the quote character used (`'` or `"`). */
  quote?: string;
  pos: number;
}

const WORD_START = /[A-Za-z_]/;
const WORD_CHAR = /[\w.\-/:]/;
const NUMBER_RE = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/;

export function tokenize(input: string): Token[] {
  // PostgreSQL text cannot hold NUL, so a NUL in a bound value would fail in SQL (a 500).
  const nul = input.indexOf("\0");
  if (nul >= 0) throw syntaxError(input.replaceAll("\0", "\\0"), nul, "NUL characters are not allowed");
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      continue;
    }
    if (c === "(") {
      tokens.push({ type: "lparen", text: c, pos: i++ });
      continue;
    }
    if (c === ")") {
      tokens.push({ type: "rparen", text: c, pos: i++ });
      continue;
    }
    if (c === ",") {
      tokens.push({ type: "comma", text: c, pos: i++ });
      continue;
    }
    if (c === "'" || c === '"' || c === "`") {
      const end = findClosingQuote(input, i);
      const raw = input.slice(i + 1, end);
      // SQL style: a doubled quote inside a quoted string stands for one quote.
      const text = raw.split(c + c).join(c);
      tokens.push({ type: c === "`" ? "quoted-id" : "string", text, quote: c, pos: i });
      i = end + 1;
      continue;
    }
    if (c === "=" || c === "<" || c === ">" || c === "!") {
      const two = input.slice(i, i + 2);
      if (two === "!=" || two === "<=" || two === ">=" || two === "<>") {
        tokens.push({ type: "op", text: two === "<>" ? "!=" : two, pos: i });
        i += 2;
      } else if (c === "!") {
        throw syntaxError(input, i, "'!' must be followed by '='");
      } else {
        tokens.push({ type: "op", text: c, pos: i++ });
      }
      continue;
    }
    const num = NUMBER_RE.exec(input.slice(i));
    if (num && (c !== "-" || /[\d.]/.test(input[i + 1] ?? ""))) {
      tokens.push({ type: "number", text: num[0], pos: i });
      i += num[0].length;
      continue;
    }
    if (WORD_START.test(c)) {
      let j = i + 1;
      while (j < input.length && WORD_CHAR.test(input[j])) j++;
      tokens.push({ type: "word", text: input.slice(i, j), pos: i });
      i = j;
      continue;
    }
    throw syntaxError(input, i, `unexpected character '${c}'`);
  }
  return tokens;
}

function findClosingQuote(input: string, start: number): number {
  const q = input[start];
  let i = start + 1;
  while (i < input.length) {
    if (input[i] === q) {
      if (input[i + 1] === q) {
        i += 2;
        continue;
      }
      return i;
    }
    i++;
  }
  throw syntaxError(input, start, `unterminated quoted text starting with ${q}`);
}

export function syntaxError(input: string, pos: number, detail: string): InvalidParameterValueError {
  return new InvalidParameterValueError(
    `Invalid filter '${input}': ${detail} at position ${pos}.`,
  );
}
