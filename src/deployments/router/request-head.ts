/**
 * The router's part of the socket path's request reading: of a plain head
 * (`shared/node/http-request-head.ts`), it takes only a scoring request to
 * `/endpoints/{name}/invocations` (POST) or `/endpoints/{name}/v2/...` (GET
 * or POST) — a Host the app allows, a body within the limit, a simple
 * Content-Type on a POST — and says "fallback" for anything else, which then
 * goes to the full HTTP stack (node's parser, the app's hooks and routes).
 * @module
 */
import { FALLBACK, INCOMPLETE, readPlainHead, type PlainHead } from "../../shared/node/http-request-head.js";

export { FALLBACK, INCOMPLETE };

export interface FastRequest {
  method: "GET" | "POST";
  endpoint: string;
  /** Path below the endpoint, with its query: `/invocations`, `/v2/models/m/infer`. */
  path: string;
  /** Header names in lowercase. */
  headers: Record<string, string>;
  /** Bytes of the head, its blank line included. */
  headLength: number;
  contentLength: number;
}

export interface HeadRules {
  /** Largest head read here (bigger ones fall back). */
  maxHead: number;
  /** Largest body (bigger ones fall back: the full path refuses them with its own error). */
  bodyLimit: number;
  /** Whether the app lets this Host through (the full path refuses the others). */
  hostAllowed(host: string): boolean;
}

/** The request-line starts the router may take (the socket path compares a connection's first bytes). */
export const SCORING_STARTS = ["POST /endpoints/", "GET /endpoints/"] as const;
const POST_PREFIX = Buffer.from(SCORING_STARTS[0]);
const GET_PREFIX = Buffer.from(SCORING_STARTS[1]);
/**
 * The request targets served here: an endpoint name as names are made
 * ([a-z0-9-]), then `/invocations` or `/v2` and what follows, an optional
 * query. No `%` (nothing to decode, no `%00`), no `#`, no `//`, no dot segments.
 */
const TARGET = /^\/endpoints\/([a-z0-9-]{1,64})(\/invocations|\/v2(?:\/[^?#%]*)?)(\?[^#%]*)?$/;
const DOT_SEGMENT = /\/\.\.?(?:\/|$|\?)|\/\//;
/** type/subtype and simple parameters (`application/json; charset=utf-8`). */
const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+(?:\s*;\s*[a-z0-9!#$&^_.+-]+=(?:[a-z0-9!#$&^_.+-]+|"[^"\\]*"))*$/i;

/** The scoring request a plain head is, or FALLBACK. */
export function scoringRequest(h: PlainHead, rules: Omit<HeadRules, "maxHead">): FastRequest | typeof FALLBACK {
  const m = TARGET.exec(h.target);
  if (!m || DOT_SEGMENT.test(h.target)) return FALLBACK;
  // Only POST scores; GET reads the v2 protocol's metadata and health.
  if (h.method === "GET" && m[2] === "/invocations") return FALLBACK;
  if (!rules.hostAllowed(h.headers.host)) return FALLBACK;
  if (h.method === "POST") {
    if (h.contentLength > rules.bodyLimit) return FALLBACK;
    const type = h.headers["content-type"];
    if (type === undefined || !MEDIA_TYPE.test(type)) return FALLBACK;
  }
  return { method: h.method, endpoint: m[1], path: h.target.slice(11 + m[1].length), headers: h.headers, headLength: h.headLength, contentLength: h.contentLength };
}

/**
 * Reads the head at the start of `buf`: the request, INCOMPLETE (wait for
 * more bytes), or FALLBACK (hand the connection to the full path).
 */
export function readRequestHead(buf: Buffer, rules: HeadRules): FastRequest | typeof INCOMPLETE | typeof FALLBACK {
  // Most of a server's connections are not scoring calls: they go on at their first bytes.
  const prefix = buf[0] === 0x50 ? POST_PREFIX : GET_PREFIX;
  const n = Math.min(prefix.length, buf.length);
  if (buf.compare(prefix, 0, n, 0, n) !== 0) return FALLBACK;
  const h = readPlainHead(buf, rules.maxHead);
  if (h === INCOMPLETE || h === FALLBACK) return h;
  return scoringRequest(h, rules);
}
