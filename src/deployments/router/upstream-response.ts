/**
 * Reads one HTTP/1.1 answer of a replica from the bytes its connection
 * delivers: the status line, the few headers the router passes on (and those
 * that frame the body), and the body framed by Content-Length, chunked
 * transfer coding, or the connection's end. Anything malformed is an error
 * (the router then treats the replica as unreachable): values with control
 * characters, bare CR or LF, conflicting lengths, an unknown transfer coding.
 * @module
 */

/** Response headers the router passes on to its caller. */
const KEPT = new Set(["content-type", "retry-after", "x-request-id"]);
const CRLF2 = Buffer.from("\r\n\r\n");
const CRLF = Buffer.from("\r\n");
/** Control characters (tab aside), DEL, or a CR or LF that is not part of a CRLF. */
const BAD_HEAD = /[\0-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)|(?<!\r)\n/;
const MAX_HEAD = 64 * 1024;
const MAX_CHUNK_LINE = 4096;

export class UpstreamProtocolError extends Error {}

const enum Mode {
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailer,
  UntilClose,
  Done,
}

export class ResponseReader {
  status = 0;
  headers: Record<string, string> = {};
  /** Whether the connection may carry another request after this answer. */
  keepAlive = true;
  /** The replica's `Keep-Alive: timeout=N`, ms (undefined: none given). */
  keepAliveMs: number | undefined;
  private mode = Mode.Head;
  private pending: Buffer | undefined;
  private remaining = 0;
  private body: Buffer[] = [];

  /** Ready for the next answer on the same connection. */
  reset(): void {
    this.status = 0;
    this.headers = {};
    this.keepAlive = true;
    this.keepAliveMs = undefined;
    this.mode = Mode.Head;
    this.pending = undefined;
    this.remaining = 0;
    this.body = [];
  }

  /** Whether the answer is complete. */
  get done(): boolean {
    return this.mode === Mode.Done;
  }

  /** Whether the answer ends when the connection does (no length given). */
  get untilClose(): boolean {
    return this.mode === Mode.UntilClose;
  }

  /** The body received so far (the whole body once `done`). */
  bodyBytes(): Buffer {
    const b = this.body;
    return b.length === 1 ? b[0] : b.length === 0 ? EMPTY : Buffer.concat(b);
  }

  /** Marks an until-close answer complete (its connection ended). */
  finishAtClose(): void {
    if (this.mode === Mode.UntilClose) this.mode = Mode.Done;
  }

  /**
   * Takes the next bytes of the connection from `start` (a buffer the caller
   * may reuse afterwards: what is kept is copied). Returns -1 while the answer
   * is incomplete (every byte taken), or the index in `data` just after the
   * answer's last byte (what follows is the next answer's: requests may be
   * pipelined). Throws {@link UpstreamProtocolError} on a malformed answer.
   */
  feed(data: Buffer, start = 0): number {
    let buf = data;
    let at = start;
    let carried = 0;
    if (this.pending) {
      carried = this.pending.length;
      buf = Buffer.concat([this.pending, data.subarray(start)]);
      at = 0;
      this.pending = undefined;
    }
    while (this.mode !== Mode.Done && at < buf.length) {
      switch (this.mode) {
        case Mode.Head: {
          const end = buf.indexOf(CRLF2, at);
          if (end < 0) {
            if (buf.length - at > MAX_HEAD) throw new UpstreamProtocolError("the replica's answer has a head over 64 KiB");
            this.pending = Buffer.from(buf.subarray(at));
            return -1;
          }
          this.head(buf.toString("latin1", at, end + 2));
          at = end + 4;
          break;
        }
        case Mode.Length: {
          const n = Math.min(this.remaining, buf.length - at);
          this.body.push(Buffer.from(buf.subarray(at, at + n)));
          at += n;
          this.remaining -= n;
          if (this.remaining === 0) this.mode = Mode.Done;
          break;
        }
        case Mode.UntilClose:
          this.body.push(Buffer.from(buf.subarray(at)));
          at = buf.length;
          break;
        case Mode.ChunkSize:
        case Mode.ChunkDataEnd:
        case Mode.Trailer: {
          const eol = buf.indexOf(CRLF, at);
          if (eol < 0) {
            if (buf.length - at > MAX_CHUNK_LINE) throw new UpstreamProtocolError("a chunk line of the replica's answer is too long");
            this.pending = Buffer.from(buf.subarray(at));
            return -1;
          }
          this.line(buf.toString("latin1", at, eol));
          at = eol + 2;
          break;
        }
        case Mode.ChunkData: {
          const n = Math.min(this.remaining, buf.length - at);
          this.body.push(Buffer.from(buf.subarray(at, at + n)));
          at += n;
          this.remaining -= n;
          if (this.remaining === 0) this.mode = Mode.ChunkDataEnd;
          break;
        }
      }
    }
    if (this.mode !== Mode.Done) return -1;
    // Back to `data`'s indices: the carried bytes came before `start`.
    return carried > 0 ? start + at - carried : at;
  }

  /** A chunk-size line, the CRLF after a chunk's data, or a trailer line. */
  private line(text: string): void {
    if (this.mode === Mode.ChunkDataEnd) {
      if (text !== "") throw new UpstreamProtocolError("a chunk of the replica's answer does not end where its size says");
      this.mode = Mode.ChunkSize;
      return;
    }
    if (this.mode === Mode.Trailer) {
      if (text === "") this.mode = Mode.Done;
      else if (BAD_HEAD.test(text)) throw new UpstreamProtocolError("the replica's answer has a malformed trailer");
      return;
    }
    const semi = text.indexOf(";");
    const hex = (semi < 0 ? text : text.slice(0, semi)).trim();
    if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) throw new UpstreamProtocolError("the replica's answer has a malformed chunk size");
    const size = parseInt(hex, 16);
    if (size === 0) this.mode = Mode.Trailer;
    else {
      this.remaining = size;
      this.mode = Mode.ChunkData;
    }
  }

  /** The status line and headers, up to and including the last header's CRLF. */
  private head(text: string): void {
    if (BAD_HEAD.test(text)) throw new UpstreamProtocolError("the replica's answer has control characters in its head");
    const first = text.indexOf("\r\n");
    const statusLine = text.slice(0, first);
    const m = /^HTTP\/1\.([01]) ([1-5][0-9][0-9])(?: |$)/.exec(statusLine);
    if (!m) throw new UpstreamProtocolError(`the replica's answer does not start with an HTTP/1.x status line: '${statusLine.slice(0, 60)}'`);
    const http10 = m[1] === "0";
    const status = Number(m[2]);
    let length: number | undefined;
    let chunked = false;
    let connection = "";
    const headers: Record<string, string> = {};
    let pos = first + 2;
    while (pos < text.length) {
      const eol = text.indexOf("\r\n", pos);
      const line = text.slice(pos, eol);
      pos = eol + 2;
      const colon = line.indexOf(":");
      if (colon <= 0 || line.charCodeAt(0) === 32 || line.charCodeAt(0) === 9) throw new UpstreamProtocolError("the replica's answer has a malformed header line");
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === "content-length") {
        if (!/^[0-9]{1,15}$/.test(value) || (length !== undefined && length !== Number(value))) throw new UpstreamProtocolError("the replica's answer has an invalid Content-Length");
        length = Number(value);
      } else if (name === "transfer-encoding") {
        if (value.toLowerCase() !== "chunked" || chunked) throw new UpstreamProtocolError(`the replica's answer uses a transfer coding the router does not read: '${value.slice(0, 40)}'`);
        chunked = true;
      } else if (name === "connection") connection = value.toLowerCase();
      else if (name === "keep-alive") {
        const t = /(?:^|,)\s*timeout\s*=\s*([0-9]{1,6})/i.exec(value);
        if (t) this.keepAliveMs = Number(t[1]) * 1000;
      } else if (KEPT.has(name) && headers[name] === undefined) headers[name] = value;
    }
    if (chunked && length !== undefined) throw new UpstreamProtocolError("the replica's answer has both Content-Length and Transfer-Encoding");
    if (status < 200) {
      // An interim answer (100 Continue, 103 Early Hints): the real one follows.
      if (status === 101) throw new UpstreamProtocolError("the replica switched protocols");
      return;
    }
    this.status = status;
    this.headers = headers;
    this.keepAlive = http10 ? /\bkeep-alive\b/.test(connection) : !/\bclose\b/.test(connection);
    if (status === 204 || status === 304) this.mode = Mode.Done;
    else if (chunked) this.mode = Mode.ChunkSize;
    else if (length !== undefined) {
      this.remaining = length;
      this.mode = length === 0 ? Mode.Done : Mode.Length;
    } else {
      this.mode = Mode.UntilClose;
      this.keepAlive = false;
    }
  }
}

const EMPTY = Buffer.alloc(0);
