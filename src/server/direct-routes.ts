/**
 * Direct routes: the hottest MLflow write routes (log-metric, create run)
 * answered on node's `request` event, before Fastify. A tracking write's own
 * work is small next to the framework's per-request machinery (request and
 * reply objects, hook runners, an async resource per body, the router); here
 * a plain request goes straight from node's parser to the same steps the
 * route runs: the same JSON reading (`json-body.ts`), the same compiled
 * schema validator, the same handler, the same response serializer and the
 * same error mapping (`errors.ts`), so the answer is the one the route gives,
 * byte for byte (`direct-routes.test.ts` compares them).
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

/** How many requests an app's direct routes took (tests check that they were used). */
export function directRouteStats(app: FastifyInstance): { taken: number } | undefined {
  return tables.get(app)?.stats;
}

const JSON_TYPE = "application/json; charset=utf-8";
const LENGTH = /^[1-9][0-9]{0,9}$/;

/** The app's table of direct routes, consulted by the server's request listener before Fastify's. */
export class DirectRoutes {
  /** Requests taken here (the rest went to Fastify). */
  readonly stats = { taken: 0 };
  private readonly routes = new Map<string, Entry>();
  private closing = false;
  private support: DirectRouteSupport | undefined;
  private gate: RawRequestGate | undefined;

  attach(app: FastifyInstance, support: DirectRouteSupport): void {
    tables.set(app, this);
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
      this.routes.set(pattern, {
        pattern,
        validate: support.validator(route.body),
        serialize: support.serializer(route.response),
        handle: route.handle as (body: unknown) => Promise<unknown>,
      });
    }
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
    if (this.received !== this.contentLength) return this.fail(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH(), true);
    const text = this.chunks.length === 1 ? this.chunks[0].toString("utf8") : Buffer.concat(this.chunks, this.received).toString("utf8");
    this.chunks = [];
    this.cicloJsonText = text;
    let body: unknown;
    try {
      body = parseJsonBody(text);
    } catch (err) {
      // Fastify closes the connection after a body it could not parse (the client may send more of it).
      return this.fail(err, true);
    }
    const { validate } = this.entry;
    if (!validate(body)) return this.fail({ validation: validate.errors, validationContext: "body" }, false);
    let result: Promise<unknown>;
    try {
      result = this.entry.handle(body);
    } catch (err) {
      return this.fail(err, false);
    }
    result.then(
      (value) => {
        let payload: string;
        try {
          payload = this.entry.serialize(value);
        } catch (err) {
          return this.fail(err, false);
        }
        this.send(200, payload, false);
      },
      (err: unknown) => this.fail(err, false),
    );
  };

  private fail(err: unknown, close: boolean): void {
    const { status, body, log } = errorAnswer(err, this as unknown as Parameters<typeof errorAnswer>[1]);
    if (log) this.support.logger.error({ err, url: this.req.url }, "request failed");
    this.send(status, body, close);
  }

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
