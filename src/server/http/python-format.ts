/**
 * Python's `str()` of a decoded JSON value, as MLflow's request validation
 * prints it ("Invalid value foo for parameter 'step' supplied", "Invalid value
 * 9.0 ..."): strings bare, `True`/`False`/`None`, floats with Python's repr
 * (`9.0`, `1e-07`, `1e+16`), lists and dicts with repr'd items.
 * JSON.parse forgets whether `9.0` was written with a point; the raw body
 * text remembers, so `rawNumberAt` reads the token back from it.
 * @module
 */

/** Python's `repr(float)`: shortest round-trip digits, exponent below 1e-4 and from 1e16. */
export function pythonFloatRepr(v: number): string {
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  if (v === 0) return Object.is(v, -0) ? "-0.0" : "0.0";
  const [mantissa, expText] = v.toExponential().split("e");
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    const sign = exp < 0 ? "-" : "+";
    return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  const negative = mantissa.startsWith("-");
  const digits = mantissa.replace("-", "").replace(".", "");
  let text: string;
  if (exp >= 0) {
    const whole = digits.slice(0, exp + 1).padEnd(exp + 1, "0");
    const frac = digits.slice(exp + 1);
    text = `${whole}.${frac || "0"}`;
  } else {
    text = `0.${"0".repeat(-exp - 1)}${digits}`;
  }
  return negative ? `-${text}` : text;
}

/** Python's `repr(str)`: single quotes unless the text holds one and no double quote. */
function pythonStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = "";
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === "\\") out += "\\\\";
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return `${quote}${out}${quote}`;
}

/** `repr()` of a JSON value; `isFloat` says whether a number was written as a float. */
function pythonRepr(v: unknown, isFloat: boolean, depth: number): string {
  if (depth > 20) return "...";
  if (v === null || v === undefined) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number") return isFloat || !Number.isInteger(v) ? pythonFloatRepr(v) : String(v);
  if (typeof v === "string") return pythonStrRepr(v);
  if (Array.isArray(v)) return `[${v.map((x) => pythonRepr(x, false, depth + 1)).join(", ")}]`;
  const entries = Object.entries(v as Record<string, unknown>);
  return `{${entries.map(([k, x]) => `${pythonStrRepr(k)}: ${pythonRepr(x, false, depth + 1)}`).join(", ")}}`;
}

/** Python's `str()` of a decoded JSON value. */
export function pythonStr(v: unknown, isFloat = false): string {
  if (typeof v === "string") return v;
  return pythonRepr(v, isFloat, 0);
}

/** The type name Python gives a decoded JSON value. */
export function pythonTypeName(v: unknown, isFloat = false): string {
  if (v === null || v === undefined) return "NoneType";
  if (Array.isArray(v)) return "list";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") return isFloat || !Number.isInteger(v) ? "float" : "int";
  if (typeof v === "string") return "str";
  return "dict";
}

/**
 * The raw text of the number at a JSON pointer (`/metrics/0/value`) in a JSON
 * document, or undefined when the pointer does not lead to a number token.
 * Only read on the error path, so a plain scanner suffices.
 */
export function rawNumberAt(text: string, pointer: string): string | undefined {
  const path = pointer.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const skipString = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const skipValue = (): void => {
    ws();
    const c = text[i];
    if (c === '"') return void skipString();
    if (c === "{" || c === "[") {
      const close = c === "{" ? "}" : "]";
      i++;
      ws();
      if (text[i] === close) return void i++;
      for (;;) {
        if (c === "{") {
          ws();
          skipString();
          ws();
          i++; // ':'
        }
        skipValue();
        ws();
        if (text[i++] !== ",") return;
      }
    }
    while (i < text.length && !/[\s,\]}]/.test(text[i])) i++;
  };
  try {
    for (const key of path) {
      ws();
      const c = text[i];
      if (c === "{") {
        i++;
        let found = false;
        for (;;) {
          ws();
          if (text[i] !== '"') return undefined;
          const k = skipString();
          ws();
          i++; // ':'
          ws();
          if (k === key) {
            found = true;
            break;
          }
          skipValue();
          ws();
          if (text[i++] !== ",") return undefined;
        }
        if (!found) return undefined;
      } else if (c === "[") {
        i++;
        const index = Number(key);
        for (let n = 0; n < index; n++) {
          skipValue();
          ws();
          if (text[i++] !== ",") return undefined;
        }
      } else return undefined;
    }
    ws();
    const m = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    return m?.[0];
  } catch {
    return undefined;
  }
}

/** Whether a raw number token is a float in Python's json module (it has a point or an exponent). */
export function isFloatToken(token: string | undefined): boolean {
  return token !== undefined && /[.eE]/.test(token);
}
