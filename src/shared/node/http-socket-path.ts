/**
 * The socket path: requests answered on an HTTP server's own sockets, below
 * node's HTTP stack (no IncomingMessage, no ServerResponse, no parser
 * callbacks) and the app's framework. It takes over the server's
 * `connection` event, once per server ({@link socketPath}); routes plug into
 * it by the start of the request line they may take (`POST /endpoints/`).
 * Each connection's bytes are read by `http-request-head.ts`, and as long
 * as they are plain keep-alive requests a route takes, the route answers
 * them here (the body handed on as the bytes received, the answer written
 * as one buffer). At the first request that is anything else — a path no
 * route takes, a chunked or oversized body, an odd header, a head over
 * 16 KiB, HTTP/1.0 — the connection is handed, with every byte not yet
 * answered, to the server's own connection handling, as if it had just been
 * accepted: node's parser, the app's hooks and routes answer it exactly as
 * they would have.
 *
 * Connections stay within the server's limits: idle ones close after its
 * `keepAliveTimeout`, a request still incomplete after `headersTimeout` /
 * `requestTimeout` is answered 408 (as node does), and closing the server
 * (`close()`, `closeIdleConnections()`, `closeAllConnections()`) closes them
 * too — an answer in flight is sent with `Connection: close` first.
 * @module
 */
import { STATUS_CODES, type Server } from "node:http";
import type { Socket } from "node:net";
import { FALLBACK, INCOMPLETE, readPlainHead, type PlainHead } from "./http-request-head.js";

export type { PlainHead };

/** An answer: its headers are written in their order, then content-type (unless given), content-length, Date, Connection. */
export interface SocketAnswer {
  status: number;
  /** Lowercase names. */
  headers: Record<string, string>;
  body: string | Buffer;
  /** Close the connection after this answer; `headers` then say so themselves (`connection: close`, where node puts it). */
  close?: boolean;
}

/**
 * A route's handler for one request it took. It must not reject (its errors are answers). `headAt` is
 * `performance.now()` when the request's head was read — before its body arrived, as node's own `request`
 * event (and so Fastify's `reply.elapsedTime`) starts a request's time.
 */
export type SocketHandler = (head: PlainHead, body: Buffer | undefined, headAt: number) => Promise<SocketAnswer>;

export interface SocketRoute {
  /** Request-line starts the route may take (`POST /api/2.0/mlflow/runs/`): other connections go on at their first bytes. */
  starts: readonly string[];
  /** The handler for a plain request, or undefined to hand the connection to the server's own handling. */
  take(head: PlainHead): SocketHandler | undefined;
}

export interface SocketPath {
  add(route: SocketRoute): void;
  /** Requests answered here, and connections handed to the server's own handling. */
  readonly stats: { answered: number; handedOff: number };
}

/** Node's own default for all headers of a request. */
const MAX_HEAD = 16 * 1024;
/** Bytes read ahead of a request in flight before the connection stops reading. */
const READ_AHEAD = 256 * 1024;

type ConnectionListener = (socket: Socket) => void;

/** `Date` header values, remade once a second (as node does). */
let dateSecond = 0;
let dateValue = "";
function httpDate(): string {
  const now = Date.now();
  const s = Math.floor(now / 1000);
  if (s !== dateSecond) {
    dateSecond = s;
    dateValue = new Date(now).toUTCString();
  }
  return dateValue;
}

/** The answer as bytes, as node writes it: status line, the route's headers, type, length, date, connection. */
function serialize(res: SocketAnswer, keepAliveSeconds: number, close: boolean): Buffer {
  const body = res.body;
  const noBody = res.status === 204 || res.status === 304;
  let head = `HTTP/1.1 ${res.status} ${STATUS_CODES[res.status] ?? "Unknown"}\r\n`;
  const h = res.headers;
  for (const name in h) head += `${name}: ${h[name]}\r\n`;
  if (h["content-type"] === undefined && !noBody) head += typeof body === "string" ? "content-type: text/plain; charset=utf-8\r\n" : "content-type: application/octet-stream\r\n";
  const bodyLength = noBody ? 0 : typeof body === "string" ? Buffer.byteLength(body) : body.length;
  if (!noBody) head += `content-length: ${bodyLength}\r\n`;
  head += `Date: ${httpDate()}\r\n`;
  if (res.close) head += "\r\n";
  else head += close ? "Connection: close\r\n\r\n" : `Connection: keep-alive\r\nKeep-Alive: timeout=${keepAliveSeconds}\r\n\r\n`;
  const out = Buffer.allocUnsafe(head.length + bodyLength);
  out.write(head, 0, "latin1");
  if (bodyLength > 0) {
    if (typeof body === "string") out.write(body, head.length, "utf8");
    else body.copy(out, head.length);
  }
  return out;
}

const paths = new WeakMap<Server, SocketPath>();

/**
 * The server's socket path, made (and the server's `connection` event taken
 * over) on the first call. Call before the server listens.
 */
export function socketPath(server: Server): SocketPath {
  let path = paths.get(server);
  if (!path) {
    path = install(server);
    paths.set(server, path);
  }
  return path;
}

function install(server: Server): SocketPath {
  const fallback: ConnectionListener[] = server.listeners("connection") as ConnectionListener[];
  server.removeAllListeners("connection");
  const connections = new Set<SocketConnection>();
  const stats = { answered: 0, handedOff: 0 };
  const routes: SocketRoute[] = [];
  let starts: Buffer[] = [];
  let tick = 0;

  /** Whether `buf`'s first bytes may begin a request some route takes (all of them, when it is shorter). */
  const mayTake = (buf: Buffer): boolean => {
    for (const s of starts) {
      const n = Math.min(s.length, buf.length);
      if (buf.compare(s, 0, n, 0, n) === 0) return true;
    }
    return false;
  };

  class SocketConnection {
    private chunks: Buffer[] = [];
    private buffered = 0;
    /** The head of the request being received, once read (its body is still arriving), and its handler. */
    private waiting: PlainHead | undefined;
    private handler: SocketHandler | undefined;
    /** When `waiting` was read (performance.now()). */
    private headAt = 0;
    private busy = false;
    private paused = false;
    /** The sweep tick the current partial request began at (-1: none), or the connection went idle at. */
    startedAt = -1;
    idleSince = tick;
    private readonly onData = (chunk: Buffer) => this.data(chunk);
    /** The client sent its last byte: answer what is in flight, then close. */
    private ended = false;
    private readonly onEnd = () => {
      this.ended = true;
      if (!this.busy) this.socket.destroy();
    };
    private readonly onError = () => this.socket.destroy();
    private readonly onClose = () => connections.delete(this);

    constructor(readonly socket: Socket) {
      connections.add(this);
      socket.on("data", this.onData);
      socket.on("end", this.onEnd);
      socket.on("error", this.onError);
      socket.on("close", this.onClose);
    }

    get idle(): boolean {
      return !this.busy && this.buffered === 0;
    }

    /** Whether the request being received has its head (its body is what is late). */
    get hasHead(): boolean {
      return this.waiting !== undefined;
    }

    private data(chunk: Buffer): void {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
      if (this.busy) {
        if (this.buffered > READ_AHEAD && !this.paused) {
          this.paused = true;
          this.socket.pause();
        }
        return;
      }
      this.next();
    }

    /** Reads and starts the next request, if all of it is here. */
    private next(): void {
      if (this.buffered === 0) {
        this.startedAt = -1;
        this.idleSince = tick;
        return;
      }
      let req = this.waiting;
      let handler = this.handler;
      let headAt = this.headAt;
      if (!req) {
        const buf = this.chunks.length === 1 ? this.chunks[0] : this.joined();
        if (!mayTake(buf)) return this.handOff();
        const r = readPlainHead(buf, MAX_HEAD);
        if (r === FALLBACK) return this.handOff();
        if (r === INCOMPLETE) {
          if (this.startedAt < 0) this.startedAt = tick;
          return;
        }
        handler = undefined;
        for (const route of routes) if ((handler = route.take(r)) !== undefined) break;
        if (handler === undefined) return this.handOff();
        req = r;
        headAt = performance.now();
      }
      const total = req.headLength + req.contentLength;
      if (this.buffered < total) {
        this.waiting = req;
        this.handler = handler;
        this.headAt = headAt;
        if (this.startedAt < 0) this.startedAt = tick;
        return;
      }
      this.waiting = undefined;
      this.handler = undefined;
      this.startedAt = -1;
      const buf = this.chunks.length === 1 ? this.chunks[0] : this.joined();
      const body = req.contentLength > 0 ? buf.subarray(req.headLength, total) : undefined;
      if (buf.length > total) {
        this.chunks = [buf.subarray(total)];
        this.buffered = buf.length - total;
      } else {
        this.chunks = [];
        this.buffered = 0;
      }
      this.busy = true;
      handler!(req, body, headAt).then(this.answer, this.failed);
    }

    private joined(): Buffer {
      const b = Buffer.concat(this.chunks);
      this.chunks = [b];
      return b;
    }

    private readonly answer = (res: SocketAnswer): void => {
      this.busy = false;
      stats.answered++;
      const socket = this.socket;
      if (socket.destroyed) return;
      // A closing server answers what it has begun and takes no more on this connection.
      const close = !server.listening || this.ended || res.close === true;
      const flushed = socket.write(serialize(res, Math.floor(server.keepAliveTimeout / 1000), close));
      if (close) return void socket.end();
      if (!flushed) {
        // A caller that does not read its answers gets no more until it does (reading stops at READ_AHEAD).
        this.busy = true;
        socket.once("drain", this.onDrain);
        return;
      }
      this.resumeReading();
    };

    /** A handler that broke its promise: nothing sensible can be answered. */
    private readonly failed = () => this.socket.destroy();

    private readonly onDrain = () => {
      this.busy = false;
      this.resumeReading();
    };

    private resumeReading(): void {
      if (this.paused) {
        this.paused = false;
        this.socket.resume();
      }
      this.next();
    }

    /** Gives the connection, with the bytes not yet answered, to the server's own handling. */
    handOff(): void {
      connections.delete(this);
      stats.handedOff++;
      const socket = this.socket;
      socket.removeListener("data", this.onData);
      socket.removeListener("end", this.onEnd);
      socket.removeListener("error", this.onError);
      socket.removeListener("close", this.onClose);
      socket.removeListener("drain", this.onDrain);
      const rest = this.buffered === 0 ? undefined : this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
      this.chunks = [];
      this.buffered = 0;
      for (const l of fallback) l.call(server, socket);
      if (this.paused) socket.resume();
      if (rest) socket.unshift(rest);
    }

    /** Node's answer to a request that took too long to arrive. */
    timeOut(): void {
      connections.delete(this);
      this.socket.end("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n", () => this.socket.destroy());
    }
  }

  const onConnection = (socket: Socket) => {
    // Listeners added to the server after this one was installed belong to its own handling too.
    if (server.listenerCount("connection") > 1) {
      for (const l of server.listeners("connection") as ConnectionListener[]) {
        if (l === onConnection) continue;
        fallback.push(l);
        server.removeListener("connection", l);
      }
    }
    // With no route, every connection is the server's own.
    if (routes.length === 0) {
      for (const l of fallback) l.call(server, socket);
      return;
    }
    sweeper ??= startSweeper();
    new SocketConnection(socket);
  };
  server.on("connection", onConnection);

  // Once a second (as node's own connection checks): idle connections past keepAliveTimeout close, requests past
  // headersTimeout (head incomplete) or requestTimeout (body incomplete) are answered 408.
  let sweeper: NodeJS.Timeout | undefined;
  const startSweeper = () => setInterval(() => {
    tick++;
    const idleTicks = Math.max(1, Math.floor(server.keepAliveTimeout / 1000));
    const headTicks = Math.max(1, Math.floor((server.headersTimeout || 60_000) / 1000));
    const requestTicks = server.requestTimeout > 0 ? Math.max(1, Math.floor(server.requestTimeout / 1000)) : Infinity;
    for (const c of connections) {
      if (c.startedAt >= 0) {
        if (tick - c.startedAt > (c.hasHead ? requestTicks : headTicks)) c.timeOut();
      } else if (c.idle && tick - c.idleSince > idleTicks) c.socket.destroy();
    }
  }, 1000).unref();

  const closeIdle = () => {
    for (const c of connections) if (c.idle) c.socket.destroy();
  };
  const ownIdle = server.closeIdleConnections.bind(server);
  const ownAll = server.closeAllConnections.bind(server);
  server.closeIdleConnections = () => {
    ownIdle();
    closeIdle();
  };
  server.closeAllConnections = () => {
    ownAll();
    for (const c of connections) c.socket.destroy();
  };
  server.on("close", () => {
    clearInterval(sweeper);
    sweeper = undefined;
  });
  return {
    stats,
    add(route) {
      routes.push(route);
      starts = [...starts, ...route.starts.map((s) => Buffer.from(s, "latin1"))];
    },
  };
}
