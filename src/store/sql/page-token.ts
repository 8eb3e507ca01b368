/**
 * Opaque page tokens. MLflow's clients treat `page_token` as opaque; ciclo's
 * tokens carry the sort key of the last row returned (keyset pagination), so
 * a deep page costs the same as the first and concurrent inserts do not shift
 * pages. A token is base64url JSON bound to the kind of query that made it.
 * @module
 */
import { InvalidParameterValueError } from "../../shared/errors.js";

export type KeyValue = string | number | null;

/**
 * The column type of a sort key. A token's values are checked against these
 * before they reach SQL, so a crafted token is a 400, never a type or range
 * error in PostgreSQL (a 500).
 */
export type KeyKind = "text" | "int32" | "int64" | "float";

function fits(v: KeyValue, kind: KeyKind): boolean {
  if (v === null) return true;
  switch (kind) {
    case "text":
      return typeof v === "string";
    case "int32":
      return typeof v === "number" && Number.isInteger(v) && Math.abs(v) <= 2_147_483_647;
    case "int64":
      return typeof v === "number" && Number.isSafeInteger(v);
    case "float":
      return typeof v === "number" && !Number.isNaN(v);
  }
}

interface TokenBody {
  /** Which query made the token (e.g. "runs"), so tokens cannot be crossed. */
  q: string;
  /** A fingerprint of the sort order, so a token is rejected under another order_by. */
  o: string;
  /** Sort-key values of the last row. */
  k: Array<KeyValue | { f: string }>;
}

export function encodePageToken(query: string, orderFingerprint: string, key: KeyValue[]): string {
  // JSON has no Infinity: non-finite numbers travel as {"f": "Infinity"}.
  const k = key.map((v) => (typeof v === "number" && !Number.isFinite(v) ? { f: String(v) } : v));
  const body = { q: query, o: orderFingerprint, k };
  return Buffer.from(JSON.stringify(body)).toString("base64url");
}

export function decodePageToken(
  token: string,
  query: string,
  orderFingerprint: string,
  kinds: readonly KeyKind[],
): KeyValue[] {
  const length = kinds.length;
  let body: TokenBody;
  try {
    body = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as TokenBody;
  } catch {
    throw new InvalidParameterValueError(`Invalid page token, could not base64-decode or parse '${token}'.`);
  }
  const ok =
    body !== null &&
    typeof body === "object" &&
    body.q === query &&
    Array.isArray(body.k) &&
    body.k.length === length &&
    body.k.every(
      (v) =>
        v === null ||
        typeof v === "string" ||
        typeof v === "number" ||
        (typeof v === "object" && (v.f === "Infinity" || v.f === "-Infinity")),
    );
  if (!ok) throw new InvalidParameterValueError(`Invalid page token '${token}' for this ${query} search.`);
  if (body.o !== orderFingerprint) {
    throw new InvalidParameterValueError("The page token was issued for a different order_by; start again without it.");
  }
  const values = body.k.map((v) => (v !== null && typeof v === "object" ? Number(v.f) : v));
  if (!values.every((v, i) => fits(v, kinds[i]))) {
    throw new InvalidParameterValueError(`Invalid page token '${token}' for this ${query} search.`);
  }
  return values;
}
