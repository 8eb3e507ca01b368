/**
 * Keep-alive HTTP/1.1 connections from the router to one replica, written
 * and read by hand. Requests that arrive in the same turn of the event loop
 * (the replies to one batch of a model server bring the callers' next
 * requests together) leave in groups: up to {@link DEPTH} requests pipelined
 * on one connection in one socket write (to an IP address: one server; a
 * host name may be a load balancer spreading connections, so there each
 * request gets its own connection), their answers read back in order
 * from the socket's reads (net's `onread` into one reused buffer, no stream
 * per read; {@link ResponseReader}). On a loopback or a LAN most of a
 * forwarded request's CPU is the kernel's work per write and read, so fewer,
 * fuller writes are what makes the router cheap; the model server (node's
 * HTTP server) answers pipelined requests concurrently and flushes their
 * answers together too. Up to `connections` sockets per replica; requests
 * beyond wait in order.
 *
 * A connection the replica closes while idle is dropped; requests written to
 * a reused connection that ends before any byte of an answer (the replica
 * closed it at that moment: it saw none of them) are sent once more on a new
 * one. Connections idle longer than the replica's `Keep-Alive: timeout` (less
 * a second) are closed first. Deadlines are checked once a second, not per
 * request.
 * @module
 */
import { isIP, connect as netConnect, type Socket } from "node:net";
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
  /** Connections at most (default 64). */
  connections?: number;
  /** Deadline of an answer, ms (default 120 s). */
  timeoutMs?: number;
  /** Idle time before a connection is closed when the replica gives no Keep-Alive timeout, ms (default 60 s). */
  keepAliveMs?: number;
  /**
   * Requests pipelined per connection at most (default {@link DEPTH} when the origin's host is an IP address: one
   * server; 1 when it is a name, which may stand for a load balancer that spreads connections over many replicas,
   * as a Kubernetes Service does).
   */
  depth?: number;
}

/** Requests pipelined on one connection at most. */
export const DEPTH = 8;
/** A header value that can go on the wire as is (no CR, LF or other control characters). */
const SAFE_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const SAFE_PATH = /^\/[\x21-\x7e\x80-\xff]*$/;
const SAFE_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
/** Writes up to this size are copied into one buffer: one syscall. */
const COPY_LIMIT = 64 * 1024;
/** One read buffer for every plain connection: each read is handled (and what is kept copied) before the next. */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

type Done = (r: Upstream) => void;

interface Pending {
  req: UpstreamRequest;
  done: Done;
  /** Sent once more after its connection ended before answering. */
  retried?: boolean;
}

function headOf(req: UpstreamRequest, hostHeader: string): string {
  let head = `${req.method} ${req.path} HTTP/1.1\r\nhost: ${hostHeader}\r\n`;
  for (const name in req.headers) head += `${name}: ${req.headers[name]}\r\n`;
  const body = req.body;
  if (body !== undefined) return `${head}content-length: ${body.length}\r\n\r\n`;
  return req.method === "GET" || req.method === "HEAD" ? `${head}\r\n` : `${head}content-length: 0\r\n\r\n`;
}

class UpstreamConnection {
  readonly socket: Socket;
  private readonly reader = new ResponseReader();
  /** Requests written and not yet answered, in order. */
  readonly inflight: Pending[] = [];
  /** Whether any byte of an answer arrived since the last write. */
  private received = false;
  /** Answers this connection has read. */
  served = 0;
  /** The sweep tick of the last progress (a write, an answer), or of going idle. */
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
    return this.inflight.length > 0;
  }

  /** Writes `batch` (pipelined, in order) in as few writes as their sizes allow. */
  send(batch: Pending[], tick: number): void {
    this.since = tick;
    if (this.inflight.length === 0) this.received = false;
    const host = this.pool.target.hostHeader;
    const heads: string[] = new Array(batch.length);
    let size = 0;
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i];
      this.inflight.push(p);
      heads[i] = headOf(p.req, host);
      size += heads[i].length + (p.req.body?.length ?? 0);
    }
    if (size <= COPY_LIMIT) {
      const out = Buffer.allocUnsafe(size);
      let at = 0;
      for (let i = 0; i < batch.length; i++) {
        at += out.write(heads[i], at, "latin1");
        const body = batch[i].req.body;
        if (body !== undefined) at += body.copy(out, at);
      }
      this.socket.write(out);
      return;
    }
    this.socket.cork();
    for (let i = 0; i < batch.length; i++) {
      this.socket.write(heads[i], "latin1");
      const body = batch[i].req.body;
      if (body !== undefined && body.length > 0) this.socket.write(body);
    }
    this.socket.uncork();
  }

  private onData(data: Buffer): void {
    if (this.inflight.length === 0) {
      // Bytes nobody asked for: the connection cannot be trusted with another request.
      this.socket.destroy();
      return;
    }
    this.received = true;
    let at = 0;
    while (at < data.length) {
      const p = this.inflight[0];
      if (!p) {
        this.socket.destroy();
        return;
      }
      let end: number;
      try {
        end = this.reader.feed(data, at);
      } catch (err) {
        this.failAll(err instanceof UpstreamProtocolError ? err.message : String(err), err as Error);
        this.socket.destroy();
        return;
      }
      if (end < 0) return;
      at = end;
      this.answered();
      if (this.socket.destroyed) return;
    }
  }

  /** The first request in flight has its whole answer. */
  private answered(): void {
    const r = this.reader;
    const p = this.inflight.shift()!;
    this.served++;
    this.since = this.pool.tick;
    const result: Upstream = { ok: true, status: r.status, headers: r.headers, body: r.bodyBytes() };
    const keepAlive = r.keepAlive;
    const keepAliveMs = r.keepAliveMs;
    r.reset();
    if (!keepAlive) {
      // Requests pipelined behind this answer will not be answered on this connection.
      this.socket.destroy();
    } else if (this.inflight.length === 0) this.pool.release(this, keepAliveMs);
    p.done(result);
  }

  /** Fails every request in flight with why. */
  failAll(message: string, error?: Error): void {
    for (const p of this.inflight.splice(0)) p.done({ ok: false, message, error });
  }

  private onEnd(err: Error | undefined): void {
    this.pool.forget(this);
    if (this.inflight.length === 0) return;
    if (this.reader.untilClose && !err) {
      this.reader.finishAtClose();
      this.answered();
    }
    const left = this.inflight.splice(0);
    if (left.length === 0) return;
    if (!this.received && this.served > 0 && !err?.message.includes("ECONNREFUSED") && left.every((p) => !p.retried)) {
      // A reused connection ended before any byte of an answer to what was written on it: the replica closed it,
      // idle, as the requests went out, and saw none of them.
      for (const p of left) p.retried = true;
      this.pool.retry(left);
      return;
    }
    const message = err ? err.message : this.received ? "the replica closed the connection before its answer ended" : "other side closed";
    for (const p of left) p.done({ ok: false, message, error: err });
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
  /** Requests of this turn of the event loop, written together at its end. */
  private outbox: Pending[] = [];
  private flushing = false;
  /** Requests waiting for a connection (every one open and full). */
  private readonly queue: Pending[] = [];
  private readonly max: number;
  private readonly depth: number;
  private readonly timeoutTicks: number;
  private readonly defaultIdleTicks: number;
  tick = 0;
  private closed = false;
  private readonly sweeper: NodeJS.Timeout;

  constructor(origin: string, opts: UpstreamPoolOptions = {}) {
    this.target = upstreamTarget(origin);
    this.max = opts.connections ?? 64;
    this.depth = Math.max(1, opts.depth ?? (isIP(this.target.host) ? DEPTH : 1));
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
    this.outbox.push({ req, done });
    if (!this.flushing) {
      this.flushing = true;
      // After the poll phase: every request that arrived in this turn is in the outbox by then.
      setImmediate(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.flushing = false;
    const batch = this.outbox;
    this.outbox = [];
    this.place(batch);
  };

  /** Writes requests in groups of up to `depth`: on idle connections, new ones, then behind the shortest pipelines. */
  private place(batch: Pending[]): void {
    let i = 0;
    while (i < batch.length) {
      const left = batch.length - i;
      if (this.idle.length > 0 || this.all.size < this.max) {
        const group = Math.min(this.depth, left);
        const c = this.idle.pop() ?? this.open();
        c.send(batch.slice(i, i + group), this.tick);
        i += group;
        continue;
      }
      // Every connection busy: pipeline behind the one with the fewest in flight, or wait.
      let best: UpstreamConnection | undefined;
      for (const c of this.all) if (!c.socket.destroyed && c.inflight.length < this.depth && (!best || c.inflight.length < best.inflight.length)) best = c;
      if (!best) {
        for (; i < batch.length; i++) this.queue.push(batch[i]);
        return;
      }
      const n = Math.min(this.depth - best.inflight.length, left);
      best.send(batch.slice(i, i + n), this.tick);
      i += n;
    }
  }

  private open(): UpstreamConnection {
    const c = new UpstreamConnection(this);
    this.all.add(c);
    return c;
  }

  /** A connection with nothing in flight, which may be used again. */
  release(c: UpstreamConnection, keepAliveMs?: number): void {
    if (this.closed) return void c.socket.destroy();
    if (this.queue.length > 0) return c.send(this.queue.splice(0, this.depth), this.tick);
    c.since = this.tick;
    // A second less than the replica's own limit, so that it never closes a connection the router is about to use.
    c.idleLimitTicks = keepAliveMs === undefined ? this.defaultIdleTicks : Math.min(this.defaultIdleTicks, Math.floor(keepAliveMs / 1000) - 1);
    if (c.idleLimitTicks <= 0) return void c.socket.destroy();
    this.idle.push(c);
  }

  /** A connection that ended; waiting requests get a new one. */
  forget(c: UpstreamConnection): void {
    if (!this.all.delete(c)) return;
    const i = this.idle.indexOf(c);
    if (i >= 0) this.idle.splice(i, 1);
    if (!this.closed && this.queue.length > 0 && this.all.size < this.max) this.open().send(this.queue.splice(0, this.depth), this.tick);
  }

  /** Sends requests again on a new connection (theirs ended before any answer). */
  retry(ps: Pending[]): void {
    if (this.closed) {
      for (const p of ps) p.done({ ok: false, message: "the router is closing" });
      return;
    }
    this.open().send(ps, this.tick);
  }

  private sweep(): void {
    const t = ++this.tick;
    for (const c of this.all) {
      if (c.busy) {
        if (t - c.since > this.timeoutTicks) {
          c.failAll(`no answer within ${this.timeoutTicks} s`);
          c.socket.destroy();
        }
      } else if (t - c.since > c.idleLimitTicks) c.socket.destroy();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    for (const p of [...this.outbox.splice(0), ...this.queue.splice(0)]) p.done({ ok: false, message: "the router is closing" });
    const open = [...this.all];
    for (const c of open) {
      if (!c.busy) c.socket.destroy();
    }
    // Requests in flight finish (or fail) on their own; their connections close after.
    await Promise.all(open.filter((c) => !c.socket.destroyed).map((c) => new Promise<void>((r) => c.socket.once("close", () => r()))));
  }
}
