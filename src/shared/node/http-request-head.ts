/**
 * The socket path's reading of a request head (`http-socket-path.ts`): it
 * accepts only the plainest well-formed HTTP/1.1 request — GET or POST, a
 * Content-Length body (POST) or none (GET), one non-empty Host, keep-alive,
 * printable ASCII only, no header twice, none of the headers whose meaning
 * is the full stack's (Transfer-Encoding, Expect, Upgrade, Origin, ...) —
 * and says "fallback" for anything else, which then goes to node's own
 * parser and the app exactly as if the socket path did not exist. So a
 * route on the socket path never has to answer odd input itself, and no
 * request can mean one thing to it and another to the full path (request
 * smuggling). What a route takes of a plain head (its paths, its content
 * type, its body limit, the Host) is the route's own check.
 * @module
 */

export interface PlainHead {
  method: "GET" | "POST";
  /** The request target as sent (origin-form: a path, maybe a query). */
  target: string;
  /** Header names in lowercase, values trimmed. */
  headers: Record<string, string>;
  /** Bytes of the head, its blank line included. */
  headLength: number;
  contentLength: number;
}

export const INCOMPLETE = 0;
export const FALLBACK = 1;

const CRLF2 = Buffer.from("\r\n\r\n");
/** Anything but tab, CR, LF and printable ASCII; or a CR or LF that is not part of a CRLF. */
const ODD = /[^\t\r\n\x20-\x7e]|\r(?!\n)|(?<!\r)\n/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const LENGTH = /^[1-9][0-9]{0,9}$/;
/** Headers whose presence means the full path must handle the request. */
const REFUSED = new Set(["transfer-encoding", "expect", "upgrade", "origin", "http2-settings", "te", "trailer"]);
const MAX_HEADERS = 64;

/**
 * Reads the head at the start of `buf`: the request, INCOMPLETE (wait for
 * more bytes), or FALLBACK (hand the connection to the full path).
 */
export function readPlainHead(buf: Buffer, maxHead: number): PlainHead | typeof INCOMPLETE | typeof FALLBACK {
  const end = buf.indexOf(CRLF2);
  if (end < 0) return buf.length > maxHead ? FALLBACK : INCOMPLETE;
  const headLength = end + 4;
  if (headLength > maxHead) return FALLBACK;
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
  if (target[0] !== "/") return FALLBACK;

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
  if (host === undefined || host === "") return FALLBACK;
  const connection = headers.connection;
  if (connection !== undefined && connection.toLowerCase() !== "keep-alive") return FALLBACK;
  const length = headers["content-length"];
  let contentLength = 0;
  if (method === "POST") {
    if (length === undefined || !LENGTH.test(length)) return FALLBACK;
    contentLength = Number(length);
  } else if (length !== undefined) return FALLBACK;
  return { method, target, headers, headLength, contentLength };
}
