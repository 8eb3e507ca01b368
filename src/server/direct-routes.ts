/**
 * Direct routes: the hottest MLflow write routes (log-metric, create run)
 * answered before Fastify: on the server's socket path
 * (`shared/node/http-socket-path.ts`) when the request is a plain keep-alive
 * HTTP/1.1 one, so no node request or response object is made for it, and
 * otherwise on node's `request` event. A tracking write's own
 * work is small next to the framework's per-request machinery (request and
 * reply objects, hook runners, an async resource per body, the router); here
 * a plain request goes straight from node's parser to the same steps the
 * route runs: the same JSON reading (`json-body.ts`), the same compiled
 * schema validator, the same handler, the same response serializer and the
 * same error mapping (`errors.ts`), so the answer is the one the route gives,
 * byte for byte, on either path (`direct-run-routes.test.ts` compares them).
 *
 * Only requests no hook could change are taken: POST to the route's exact path
 * (no query, no repeated slash), `Content-Type: application/json`, a
 * Content-Length body within the limit, no Origin (CORS), no Expect or
 * Transfer-Encoding, a Host the network policy allows; everything else, and
 * every request once the app is closing, goes to Fastify untouched (nothing
 * of it has been read). A module registers them only with authentication off
 * (the permission hook must see every request), and never under
 * `--static-prefix` or `--artifacts-only` (`raw-request-gate.ts`).
 * `--expose-prometheus`'s histogram counts them under the route's pattern.
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { socketPath, type PlainHead, type SocketAnswer, type SocketHandler } from "../shared/node/http-socket-path.js";
import { errorCodes, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { errorAnswer } from "./errors.js";
import { API_PREFIXES, type ApiName } from "./http/api-prefixes.js";
import { parseJsonBody } from "./http/json-body.js";
import { rawRequestGate, type RawRequestGate } from "./http/raw-request-gate.js";

export interface DirectRoute {
  /** The path below the API's prefixes (`/runs/log-metric`), registered as a Fastify route too. */
  path: string;
  /** The route's body schema and its 200 response schema: the same objects the Fastify route declares. */
  body: object;
  response: object;
  /** The route's handler on a validated body; its result is serialized by `response`. */
  handle(body: never): Promise<unknown>;
  /**
   * Optional: the handler's work started straight from the body's text, for a body of a shape the route reads
   * without JSON.parse and the schema walk, and whose answer is provably the one `handle` would give; `undefined`
   * (nothing started) for every other body, which then takes the steps above.
   */
  handleText?(text: string): Promise<unknown> | undefined;
}

/** What the app gives the table: its compiled validators and serializers (shared with its routes), its limits. */
export interface DirectRouteSupport {
  validator(schema: object): ((data: unknown) => boolean) & { errors?: unknown };
  serializer(schema: object): (data: unknown) => string;
  bodyLimit: number;
  logger: FastifyBaseLogger;
}

interface Entry {
  /** The route pattern the metrics name (prefix and path). */
  pattern: string;
  validate: ((data: unknown) => boolean) & { errors?: unknown };
  serialize: (data: unknown) => string;
  handle(body: unknown): Promise<unknown>;
  handleText: ((text: string) => Promise<unknown> | undefined) | undefined;
}

const tables = new WeakMap<FastifyInstance, DirectRoutes>();

/**
 * Adds direct routes to an app `buildApp` made (a module's `ctx.http.raw`), under each of the API's prefixes;
 * nothing when the app lets no request skip it (`--static-prefix`, `--artifacts-only`). The caller registers the
 * same routes with Fastify too (the requests not taken here) and adds none when authentication is on.
 */
export function addDirectRoutes(app: FastifyInstance, api: ApiName, routes: readonly DirectRoute[]): void {
  const table = tables.get(app);
  if (table) for (const route of routes) table.add(api, route);
}

/** How many requests an app's direct routes took, and how many of them on the socket path (tests check that they were used). */
export function directRouteStats(app: FastifyInstance): { taken: number; onSockets: number } | undefined {
  return tables.get(app)?.stats;
}

const JSON_TYPE = "application/json; charset=utf-8";
const LENGTH = /^[1-9][0-9]{0,9}$/;

/** The app's table of direct routes: each one a route of the server's socket path, and consulted by its request listener before Fastify's. */
export class DirectRoutes {
  /** Requests taken here (the rest went to Fastify), and those of them taken on the socket path. */
  readonly stats = { taken: 0, onSockets: 0 };
  private readonly routes = new Map<string, Entry>();
  private closing = false;
  private support: DirectRouteSupport | undefined;
  private gate: RawRequestGate | undefined;
  private app: FastifyInstance | undefined;

  attach(app: FastifyInstance, support: DirectRouteSupport): void {
    tables.set(app, this);
    this.app = app;
    this.support = support;
    this.gate = rawRequestGate(app);
    // Fastify answers 503 once closing starts: from then on every request goes to it.
    app.addHook("preClose", (done) => {
      this.closing = true;
      done();
    });
  }

  add(api: ApiName, route: DirectRoute): void {
    const support = this.support;
    if (!support || !this.gate?.bypassable) return;
    for (const prefix of API_PREFIXES[api]) {
      const pattern = `${prefix}${route.path}`;
      const entry: Entry = {
        pattern,
        validate: support.validator(route.body),
        serialize: support.serializer(route.response),
        handle: route.handle as (body: unknown) => Promise<unknown>,
        handleText: route.handleText,
      };
      this.routes.set(pattern, entry);
      this.addToSockets(entry);
    }
  }

  /** The route on the server's socket path: the same rules as {@link serve}, on a plain head. */
  private addToSockets(entry: Entry): void {
    const support = this.support!;
    const gate = this.gate!;
    const handler: SocketHandler = (head, body, headAt) => this.answerOnSocket(entry, head, body!, headAt);
    socketPath(this.app!.server).add({
      starts: [`POST ${entry.pattern} `],
      take: (head) => {
        if (this.closing || head.method !== "POST" || head.target !== entry.pattern) return undefined;
        const h = head.headers;
        const type = h["content-type"];
        if (type !== "application/json" && type !== JSON_TYPE) return undefined;
        if (head.contentLength > support.bodyLimit || !gate.hostAllowed(h.host)) return undefined;
        this.stats.taken++;
        this.stats.onSockets++;
        return handler;
      },
    });
  }

  /** `headAt`: when the head was read (the duration metric counts the body's arrival, as Fastify's does). */
  private async answerOnSocket(entry: Entry, head: PlainHead, body: Buffer, headAt: number): Promise<SocketAnswer> {
    const text = body.toString("utf8");
    const { status, payload, close } = await runRoute(entry, text, { headers: head.headers, cicloJsonText: text }, this.support!.logger, head.target);
    this.gate!.observe?.("POST", entry.pattern, status, (performance.now() - headAt) / 1000);
    return close
      ? { status, headers: { connection: "close", "content-type": JSON_TYPE }, body: payload, close }
      : { status, headers: { "content-type": JSON_TYPE }, body: payload };
  }

  /** Answers the request when it is one of the table's (true); false leaves it, unread, to Fastify. */
  serve(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.routes.size === 0 || this.closing || req.method !== "POST") return false;
    const entry = this.routes.get(req.url!);
    if (entry === undefined) return false;
    const h = req.headers;
    const type = h["content-type"];
    if (type !== "application/json" && type !== JSON_TYPE) return false;
    const length = h["content-length"];
    if (length === undefined || !LENGTH.test(length) || Number(length) > this.support!.bodyLimit) return false;
    if (h.origin !== undefined || h.expect !== undefined || h["transfer-encoding"] !== undefined) return false;
    if (h.host === undefined || !this.gate!.hostAllowed(h.host)) return false;
    this.stats.taken++;
    new DirectRequest(this.support!, this.gate!, entry, req, res, Number(length));
    return true;
  }
}

/** One request taken: its body read, then the route's steps (the route's own order and errors). */
class DirectRequest {
  private chunks: Buffer[] = [];
  private received = 0;
  private readonly t0: number;
  /** The body's text, which validation messages quote (read by `rawJsonBody`). */
  cicloJsonText: string | undefined;

  constructor(
    private readonly support: DirectRouteSupport,
    private readonly gate: RawRequestGate,
    private readonly entry: Entry,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly contentLength: number,
  ) {
    this.t0 = gate.observe ? performance.now() : 0;
    req.on("data", this.onData);
    req.on("end", this.onEnd);
    req.on("error", this.onError);
  }

  get headers(): IncomingMessage["headers"] {
    return this.req.headers;
  }

  private readonly onData = (chunk: Buffer) => {
    this.chunks.push(chunk);
    this.received += chunk.length;
  };

  /** An aborted upload: Fastify's answer to it (a 400) cannot reach the client either. */
  private readonly onError = () => {
    this.detach();
    this.res.destroy();
  };

  private detach(): void {
    this.req.removeListener("data", this.onData);
    this.req.removeListener("end", this.onEnd);
    this.req.removeListener("error", this.onError);
  }

  private readonly onEnd = () => {
    this.detach();
    // As Fastify's body reader: the body decoded once, its length checked against the header.
    if (this.received !== this.contentLength) {
      const { status, body } = errorAnswer(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH(), this as unknown as Parameters<typeof errorAnswer>[1]);
      return this.send(status, body, true);
    }
    const text = this.chunks.length === 1 ? this.chunks[0].toString("utf8") : Buffer.concat(this.chunks, this.received).toString("utf8");
    this.chunks = [];
    this.cicloJsonText = text;
    void runRoute(this.entry, text, this, this.support.logger, this.req.url).then((a) => this.send(a.status, a.payload, a.close));
  };

  /** Fastify's headers, in its order: `connection: close` (set before the error), then type and length. */
  private send(status: number, payload: string, close: boolean): void {
    const res = this.res;
    const length = String(Buffer.byteLength(payload));
    if (close) res.writeHead(status, { connection: "close", "content-type": JSON_TYPE, "content-length": length });
    else res.writeHead(status, { "content-type": JSON_TYPE, "content-length": length });
    res.end(payload);
    this.gate.observe?.("POST", this.entry.pattern, status, (performance.now() - this.t0) / 1000);
  }
}

/** The request as the error mapping reads it: its headers and the body's text (which validation messages quote). */
interface RouteRequest {
  headers: Record<string, string | string[] | undefined>;
  cicloJsonText: string | undefined;
}

/**
 * The route's steps on a body's text, in the route's order and with its errors: the status, the payload and
 * whether the connection closes after it (Fastify closes it after a body it could not parse). Never rejects.
 */
async function runRoute(entry: Entry, text: string, req: RouteRequest, logger: FastifyBaseLogger, url: string | undefined): Promise<{ status: number; payload: string; close: boolean }> {
  const fail = (err: unknown, close: boolean) => {
    const { status, body, log } = errorAnswer(err, req as unknown as Parameters<typeof errorAnswer>[1]);
    if (log) logger.error({ err, url }, "request failed");
    return { status, payload: body, close };
  };
  let handled: Promise<unknown> | undefined;
  try {
    handled = entry.handleText?.(text);
  } catch (err) {
    return fail(err, false);
  }
  if (handled === undefined) {
    let body: unknown;
    try {
      body = parseJsonBody(text);
    } catch (err) {
      return fail(err, true);
    }
    const { validate } = entry;
    if (!validate(body)) return fail({ validation: validate.errors, validationContext: "body" }, false);
    handled = entry.handle(body);
  }
  let value: unknown;
  try {
    value = await handled;
  } catch (err) {
    return fail(err, false);
  }
  try {
    return { status: 200, payload: entry.serialize(value), close: false };
  } catch (err) {
    return fail(err, false);
  }
}
