/**
 * The fast path's reading of a request head: it accepts only the plainest
 * well-formed HTTP/1.1 scoring request to `/endpoints/{name}/invocations` or
 * `/endpoints/{name}/v2/...` — GET or POST, a Content-Length body (POST) or
 * none (GET), one Host the app allows, a simple Content-Type, keep-alive,
 * printable ASCII only, no header twice — and says "fallback" for anything
 * else, which then goes to the full HTTP stack (node's parser, the app's
 * hooks and routes) exactly as if the fast path did not exist. So the fast
 * path never has to answer odd input itself, and no request can mean one
 * thing to it and another to the full path (request smuggling).
 * @module
 */

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

export const INCOMPLETE = 0;
export const FALLBACK = 1;

export interface HeadRules {
  /** Largest head read here (bigger ones fall back). */
  maxHead: number;
  /** Largest body (bigger ones fall back: the full path refuses them with its own error). */
  bodyLimit: number;
  /** Whether the app lets this Host through (the full path refuses the others). */
  hostAllowed(host: string): boolean;
}

const CRLF2 = Buffer.from("\r\n\r\n");
const POST_PREFIX = Buffer.from("POST /endpoints/");
const GET_PREFIX = Buffer.from("GET /endpoints/");
/** Anything but tab, CR, LF and printable ASCII; or a CR or LF that is not part of a CRLF. */
const ODD = /[^\t\r\n\x20-\x7e]|\r(?!\n)|(?<!\r)\n/;
/**
 * The request targets served here: an endpoint name as names are made
 * ([a-z0-9-]), then `/invocations` or `/v2` and what follows, an optional
 * query. No `%` (nothing to decode, no `%00`), no `#`, no `//`, no dot segments.
 */
const TARGET = /^\/endpoints\/([a-z0-9-]{1,64})(\/invocations|\/v2(?:\/[^?#%]*)?)(\?[^#%]*)?$/;
const DOT_SEGMENT = /\/\.\.?(?:\/|$|\?)|\/\//;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** type/subtype and simple parameters (`application/json; charset=utf-8`). */
const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+(?:\s*;\s*[a-z0-9!#$&^_.+-]+=(?:[a-z0-9!#$&^_.+-]+|"[^"\\]*"))*$/i;
/** Headers whose presence means the full path must handle the request. */
const REFUSED = new Set(["transfer-encoding", "expect", "upgrade", "origin", "http2-settings", "te", "trailer"]);
const MAX_HEADERS = 64;

/**
 * Reads the head at the start of `buf`: the request, INCOMPLETE (wait for
 * more bytes), or FALLBACK (hand the connection to the full path).
 */
export function readRequestHead(buf: Buffer, rules: HeadRules): FastRequest | typeof INCOMPLETE | typeof FALLBACK {
  // Most of a server's connections are not scoring calls: they go on at their first bytes.
  const prefix = buf[0] === 0x50 ? POST_PREFIX : GET_PREFIX;
  const n = Math.min(prefix.length, buf.length);
  if (buf.compare(prefix, 0, n, 0, n) !== 0) return FALLBACK;
  const end = buf.indexOf(CRLF2);
  if (end < 0) return buf.length > rules.maxHead ? FALLBACK : INCOMPLETE;
  const headLength = end + 4;
  if (headLength > rules.maxHead) return FALLBACK;
  const head = buf.toString("latin1", 0, end + 2);
  if (ODD.test(head)) return FALLBACK;
  const lineEnd = head.indexOf("\r\n");
  const requestLine = head.slice(0, lineEnd);
  const sp1 = requestLine.indexOf(" ");
  const sp2 = requestLine.indexOf(" ", sp1 + 1);
  if (sp1 < 0 || sp2 < 0 || requestLine.indexOf(" ", sp2 + 1) >= 0 || requestLine.slice(sp2 + 1) !== "HTTP/1.1") return FALLBACK;
  const method = requestLine.slice(0, sp1);
  if (method !== "POST" && method !== "GET") return FALLBACK;
  const target = requestLine.slice(sp1 + 1, sp2);
  const m = TARGET.exec(target);
  if (!m || DOT_SEGMENT.test(target)) return FALLBACK;
  // Only POST scores; GET reads the v2 protocol's metadata and health.
  if (method === "GET" && m[2] === "/invocations") return FALLBACK;

  const headers: Record<string, string> = {};
  let count = 0;
  let pos = lineEnd + 2;
  while (pos < head.length) {
    const eol = head.indexOf("\r\n", pos);
    const colon = head.indexOf(":", pos);
    if (colon < 0 || colon >= eol) return FALLBACK;
    const name = head.slice(pos, colon);
    if (!TOKEN.test(name) || ++count > MAX_HEADERS) return FALLBACK;
    const key = name.toLowerCase();
    if (headers[key] !== undefined || REFUSED.has(key)) return FALLBACK;
    headers[key] = head.slice(colon + 1, eol).trim();
    pos = eol + 2;
  }

  const host = headers.host;
  if (host === undefined || host === "" || !rules.hostAllowed(host)) return FALLBACK;
  const connection = headers.connection;
  if (connection !== undefined && connection.toLowerCase() !== "keep-alive") return FALLBACK;
  const length = headers["content-length"];
  let contentLength = 0;
  if (method === "POST") {
    if (length === undefined || !/^[1-9][0-9]{0,9}$/.test(length)) return FALLBACK;
    contentLength = Number(length);
    if (contentLength > rules.bodyLimit) return FALLBACK;
    const type = headers["content-type"];
    if (type === undefined || !MEDIA_TYPE.test(type)) return FALLBACK;
  } else if (length !== undefined) return FALLBACK;
  return { method, endpoint: m[1], path: target.slice(11 + m[1].length), headers, headLength, contentLength };
}
