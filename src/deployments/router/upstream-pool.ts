/**
 * Keep-alive HTTP/1.1 connections from the router to one replica, one
 * request at a time per connection (no pipelining), written and read by hand:
 * a request is one socket write (head and body together when small), an
 * answer is read by {@link ResponseReader} straight from the socket's reads
 * (net's `onread` into one reused buffer, no stream per read). Up to
 * `connections` sockets per replica; requests beyond wait in order.
 *
 * A connection the replica closes while idle is dropped; a request sent on a
 * reused connection that ends before any byte of an answer (the replica closed
 * it at that moment) is sent once more on a new one. Connections idle longer
 * than the replica's `Keep-Alive: timeout` (less a second) are closed first.
 * Deadlines are checked once a second, not per request.
 * @module
 */
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { ResponseReader, UpstreamProtocolError } from "./upstream-response.js";

export type Upstream = { ok: true; status: number; headers: Record<string, string>; body: Buffer } | { ok: false; message: string; error?: Error };

export interface UpstreamRequest {
  method: string;
  /** Path with its query, as sent. */
  path: string;
  /** Header names (lowercase) and values; Host and Content-Length are the pool's. */
  headers: Record<string, string>;
  body: Buffer | undefined;
}

export interface UpstreamPoolOptions {
  /** Connections at most (default 32). */
  connections?: number;
  /** Deadline of an answer, ms (default 120 s). */
  timeoutMs?: number;
  /** Idle time before a connection is closed when the replica gives no Keep-Alive timeout, ms (default 60 s). */
  keepAliveMs?: number;
}

/** A header value that can go on the wire as is (no CR, LF or other control characters). */
const SAFE_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const SAFE_PATH = /^\/[\x21-\x7e\x80-\xff]*$/;
const SAFE_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
/** Bodies up to this size are copied into the head's buffer: one write, one syscall. */
const COPY_BODY = 16 * 1024;
/** One read buffer for every plain connection: each read is handled (and what is kept copied) before the next. */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

type Done = (r: Upstream) => void;

interface Pending {
  req: UpstreamRequest;
  done: Done;
}

class UpstreamConnection {
  readonly socket: Socket;
  readonly reader = new ResponseReader();
  private current: Pending | undefined;
  private received = false;
  /** Requests this connection has carried (a reused connection's failure before an answer is retried once). */
  served = 0;
  /** The sweep tick the current request was sent at, or the connection went idle at. */
  since = 0;
  idleLimitTicks = 0;

  constructor(private readonly pool: UpstreamPool) {
    const { host, port, tls } = pool.target;
    const onread = { buffer: READ_BUFFER, callback: (n: number, buf: Uint8Array) => (this.onData((buf as Buffer).subarray(0, n)), true) };
    this.socket = tls ? tlsConnect({ host, port, servername: host, ALPNProtocols: ["http/1.1"] }) : netConnect({ host, port, noDelay: true, onread });
    if (tls) this.socket.on("data", (d: Buffer) => this.onData(d));
    this.socket.on("error", (err) => this.onEnd(err));
    this.socket.on("close", () => this.onEnd(undefined));
  }

  get busy(): boolean {
    return this.current !== undefined;
  }

  send(p: Pending, tick: number): void {
    this.current = p;
    this.received = false;
    this.since = tick;
    this.reader.reset();
    const { req } = p;
    let head = `${req.method} ${req.path} HTTP/1.1\r\nhost: ${this.pool.target.hostHeader}\r\n`;
    for (const name in req.headers) head += `${name}: ${req.headers[name]}\r\n`;
    const body = req.body;
    if (body !== undefined) head += `content-length: ${body.length}\r\n\r\n`;
    else head += req.method === "GET" || req.method === "HEAD" ? "\r\n" : "content-length: 0\r\n\r\n";
    if (body === undefined || body.length === 0) this.socket.write(head, "latin1");
    else if (body.length <= COPY_BODY) {
      const out = Buffer.allocUnsafe(head.length + body.length);
      out.write(head, 0, "latin1");
      body.copy(out, head.length);
      this.socket.write(out);
    } else {
      this.socket.cork();
      this.socket.write(head, "latin1");
      this.socket.write(body);
      this.socket.uncork();
    }
  }

  private onData(data: Buffer): void {
    const p = this.current;
    if (!p) {
      // Bytes nobody asked for: the connection cannot be trusted with another request.
      this.socket.destroy();
      return;
    }
    this.received = true;
    let complete: boolean;
    try {
      complete = this.reader.feed(data);
    } catch (err) {
      this.fail(err instanceof UpstreamProtocolError ? err.message : String(err), err as Error);
      this.socket.destroy();
      return;
    }
    if (complete) this.finish(p);
  }

  private finish(p: Pending): void {
    const r = this.reader;
    this.current = undefined;
    this.served++;
    const result: Upstream = { ok: true, status: r.status, headers: r.headers, body: r.bodyBytes() };
    if (r.keepAlive && r.extra === 0 && !this.socket.destroyed) this.pool.release(this, r.keepAliveMs);
    else this.socket.destroy();
    p.done(result);
  }

  /** Fails the request in flight, if any, with why. */
  fail(message: string, error?: Error): void {
    const p = this.current;
    if (!p) return;
    this.current = undefined;
    p.done({ ok: false, message, error });
  }

  private onEnd(err: Error | undefined): void {
    const p = this.current;
    this.pool.forget(this);
    if (!p) return;
    if (this.reader.untilClose && !err) {
      this.reader.finishAtClose();
      this.finish(p);
      return;
    }
    if (!this.received && this.served > 0 && !err?.message.includes("ECONNREFUSED")) {
      // The replica closed this idle connection as the request went out: it never saw it.
      this.current = undefined;
      this.pool.retry(p);
      return;
    }
    this.fail(err ? err.message : this.received ? "the replica closed the connection before its answer ended" : "other side closed");
  }
}

export interface UpstreamTarget {
  host: string;
  port: number;
  tls: boolean;
  /** The Host header: the origin's host and port as the URL spells them. */
  hostHeader: string;
}

export function upstreamTarget(origin: string): UpstreamTarget {
  const u = new URL(origin);
  const tls = u.protocol === "https:";
  if (!tls && u.protocol !== "http:") throw new Error(`A replica's URL must be http or https: '${origin}'`);
  const host = u.hostname.startsWith("[") ? u.hostname.slice(1, -1) : u.hostname;
  return { host, port: u.port ? Number(u.port) : tls ? 443 : 80, tls, hostHeader: u.host };
}

export class UpstreamPool {
  readonly target: UpstreamTarget;
  private readonly idle: UpstreamConnection[] = [];
  private readonly all = new Set<UpstreamConnection>();
  private readonly queue: Pending[] = [];
  private readonly max: number;
  private readonly timeoutTicks: number;
  private readonly defaultIdleTicks: number;
  private tick = 0;
  private closed = false;
  private readonly sweeper: NodeJS.Timeout;

  constructor(origin: string, opts: UpstreamPoolOptions = {}) {
    this.target = upstreamTarget(origin);
    this.max = opts.connections ?? 32;
    this.timeoutTicks = Math.ceil((opts.timeoutMs ?? 120_000) / 1000);
    this.defaultIdleTicks = Math.max(1, Math.floor((opts.keepAliveMs ?? 60_000) / 1000));
    this.sweeper = setInterval(() => this.sweep(), 1000);
    this.sweeper.unref();
  }

  /** Sends a request; `done` is called once, with the answer or why there is none. */
  request(req: UpstreamRequest, done: Done): void {
    if (this.closed) return done({ ok: false, message: "the router is closing" });
    if (!SAFE_PATH.test(req.path)) return done({ ok: false, message: "the path cannot be forwarded (control characters)" });
    for (const name in req.headers) {
      if (!SAFE_NAME.test(name) || !SAFE_VALUE.test(req.headers[name])) return done({ ok: false, message: `header '${name.slice(0, 40)}' cannot be forwarded (control characters)` });
    }
    this.dispatch({ req, done });
  }

  private dispatch(p: Pending): void {
    const c = this.idle.pop();
    if (c) c.send(p, this.tick);
    else if (this.all.size < this.max) this.open().send(p, this.tick);
    else this.queue.push(p);
  }

  private open(): UpstreamConnection {
    const c = new UpstreamConnection(this);
    this.all.add(c);
    return c;
  }

  /** A connection that finished its answer and may be used again. */
  release(c: UpstreamConnection, keepAliveMs: number | undefined): void {
    if (this.closed) return void c.socket.destroy();
    const next = this.queue.shift();
    if (next) return c.send(next, this.tick);
    c.since = this.tick;
    // A second less than the replica's own limit, so that it never closes a connection the router is about to use.
    c.idleLimitTicks = keepAliveMs === undefined ? this.defaultIdleTicks : Math.min(this.defaultIdleTicks, Math.floor(keepAliveMs / 1000) - 1);
    if (c.idleLimitTicks <= 0) return void c.socket.destroy();
    this.idle.push(c);
  }

  /** A connection that ended; queued requests get a new one. */
  forget(c: UpstreamConnection): void {
    if (!this.all.delete(c)) return;
    const i = this.idle.indexOf(c);
    if (i >= 0) this.idle.splice(i, 1);
    if (!this.closed && this.queue.length > 0 && this.all.size < this.max) this.open().send(this.queue.shift()!, this.tick);
  }

  /** Sends a request again on a new connection (its first one ended before any answer). */
  retry(p: Pending): void {
    if (this.closed) return p.done({ ok: false, message: "the router is closing" });
    this.open().send(p, this.tick);
  }

  private sweep(): void {
    const t = ++this.tick;
    for (const c of this.all) {
      if (c.busy) {
        if (t - c.since > this.timeoutTicks) {
          c.fail(`no answer within ${this.timeoutTicks} s`);
          c.socket.destroy();
        }
      } else if (t - c.since > c.idleLimitTicks) c.socket.destroy();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    for (const p of this.queue.splice(0)) p.done({ ok: false, message: "the router is closing" });
    const open = [...this.all];
    for (const c of open) {
      if (!c.busy) c.socket.destroy();
    }
    // Requests in flight finish (or fail) on their own; their connections close after.
    await Promise.all(open.filter((c) => !c.socket.destroyed).map((c) => new Promise<void>((r) => c.socket.once("close", () => r()))));
  }
}
