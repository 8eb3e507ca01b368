/**
 * The router: sends an endpoint's requests to its deployments by traffic
 * weight (or to the one named in the `ciclo-deployment` request header, or
 * by a sticky key), round-robin over the deployment's ready replicas through
 * keep-alive connection pools (upstream-pool.ts: HTTP/1.1 written and read by
 * hand, one socket write and read per request), and copies a share of requests to
 * mirrored deployments whose answers are discarded but timed and compared
 * with the primary's. Every answer names the deployment that gave it in the
 * `ciclo-deployment` response header. A replica that cannot be reached is
 * skipped for the next one of the same deployment.
 *
 * It knows nothing of where its table comes from: `ciclo server` builds it
 * from the database and the local target, `ciclo gateway` from the server's
 * route-table API.
 * @module
 */
import { randomUUID } from "node:crypto";
import type { SpanHandle, Tracing } from "../../telemetry/tracing.js";
import { DeploymentStats, predictionDivergence } from "./deployment-stats.js";
import { LOGGED_HEADER, type InferenceFeed } from "./inference-feed.js";
import { RouterMetrics, type DeploymentSeries, type HealthSample } from "./router-metrics.js";
import { UpstreamPool, type Upstream } from "./upstream-pool.js";

export const DEPLOYMENT_HEADER = "ciclo-deployment";

export interface RouteDeployment {
  name: string;
  /** The registered model (for inference logging; the gateway's table may not carry it). */
  modelName?: string;
  modelVersion: string;
  weight: number;
  mirror: number;
  /** Ready replicas' base URLs. */
  urls: string[];
}

export interface RouteEndpoint {
  name: string;
  stickyHeader?: string;
  deployments: RouteDeployment[];
}

export interface RouterRequest {
  endpoint: string;
  /** Path below the endpoint, with its query: `/invocations`, `/v2/models/m/infer`. */
  path: string;
  method: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer | undefined;
}

export interface RouterResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

interface Compiled {
  name: string;
  stickyHeader?: string;
  live: CompiledDeployment[];
  /** Cumulative weights of `live`, ending at the total. */
  cumulative: number[];
  total: number;
  mirrors: CompiledDeployment[];
  byName: Map<string, CompiledDeployment>;
}

interface CompiledDeployment extends RouteDeployment {
  /** `urls`' origins, parsed once per table (the pools' keys). */
  origins: string[];
  next: number;
  stats: DeploymentStats;
  series: DeploymentSeries;
}

const FORWARD_REQUEST = ["content-type", "accept", "traceparent", "tracestate", "content-encoding", "x-request-id"];
const REQUEST_ID = "x-request-id";
/** Scoring calls (logged for monitoring), not health or metadata reads. */
const SCORING_PATH = /^\/(?:invocations|v2\/models\/[^/?]+(?:\/versions\/[^/?]+)?\/infer)(?:\?|$)/;

function errorBody(status: number, code: string, message: string): RouterResponse {
  return { status, headers: { "content-type": "application/json" }, body: JSON.stringify({ error_code: code, message }) };
}

/** FNV-1a of a sticky key, as a point in [0, 100). */
function stickyPoint(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return ((h >>> 0) % 10_000) / 100;
}

export interface EndpointRouterOptions {
  /** Connections per replica (default 32). */
  connections?: number;
  /** Upstream deadline, ms (default 120 s; the model server's own deadline answers first). */
  timeoutMs?: number;
  random?: () => number;
  /** Extra health figures for the metrics (the target's replica counts). */
  health?: () => HealthSample[];
  /** Spans for each request and each call to a replica (absent: no tracing, and the caller's trace context is passed on as it came). */
  tracing?: Tracing;
  /** Where scoring requests are logged for monitoring (off the hot path: see inference-feed.ts). */
  feed?: InferenceFeed;
}

export class EndpointRouter {
  private table = new Map<string, Compiled>();
  private readonly pools = new Map<string, UpstreamPool>();
  private readonly stats = new Map<string, DeploymentStats>();
  readonly metrics: RouterMetrics;
  private readonly random: () => number;
  private feed: InferenceFeed | undefined;

  constructor(private readonly opts: EndpointRouterOptions = {}) {
    this.random = opts.random ?? Math.random;
    this.feed = opts.feed;
    this.metrics = new RouterMetrics(() => opts.health?.() ?? this.healthFromTable());
  }

  /** Logs scoring requests to `feed` from now on (undefined: no more; the replicas log what they answer). */
  logTo(feed: InferenceFeed | undefined): void {
    this.feed = feed;
  }

  /** Replaces the routing table (atomically: requests in flight keep the replicas they picked). */
  setTable(endpoints: RouteEndpoint[]): void {
    const next = new Map<string, Compiled>();
    const origins = new Set<string>();
    for (const e of endpoints) {
      const compile = (d: RouteDeployment): CompiledDeployment => {
        const own = d.urls.map((u) => new URL(u).origin);
        for (const o of own) origins.add(o);
        return { ...d, origins: own, next: 0, stats: this.statsOf(e.name, d.name), series: this.metrics.of(e.name, d.name) };
      };
      const all = e.deployments.map(compile);
      const live = all.filter((d) => d.weight > 0);
      const cumulative: number[] = [];
      let total = 0;
      for (const d of live) cumulative.push((total += d.weight));
      next.set(e.name, { name: e.name, stickyHeader: e.stickyHeader, live, cumulative, total, mirrors: all.filter((d) => d.mirror > 0), byName: new Map(all.map((d) => [d.name, d])) });
    }
    this.table = next;
    for (const [origin, pool] of this.pools) {
      if (!origins.has(origin)) {
        this.pools.delete(origin);
        void pool.close().catch(() => undefined);
      }
    }
  }

  statsOf(endpoint: string, deployment: string): DeploymentStats {
    const key = `${endpoint}\u0000${deployment}`;
    let s = this.stats.get(key);
    if (!s) this.stats.set(key, (s = new DeploymentStats()));
    return s;
  }

  has(endpoint: string): boolean {
    return this.table.has(endpoint);
  }

  async invoke(req: RouterRequest): Promise<RouterResponse> {
    if (!this.opts.tracing) return this.route(req, undefined);
    const span = this.opts.tracing.server(`${req.method} /endpoints/{name}`, req.headers, { "ciclo.endpoint": req.endpoint, "http.request.method": req.method, "url.path": `/endpoints/${req.endpoint}${req.path}` });
    const res = await this.route(req, span);
    const answered = res.headers[DEPLOYMENT_HEADER];
    if (answered !== undefined) span.setAttribute("ciclo.deployment", answered);
    span.end(res.status);
    return res;
  }

  private async route(req: RouterRequest, span: SpanHandle | undefined): Promise<RouterResponse> {
    const t0 = performance.now();
    const e = this.table.get(req.endpoint);
    if (!e) return errorBody(404, "RESOURCE_DOES_NOT_EXIST", `Endpoint '${req.endpoint.slice(0, 64)}' does not exist.`);
    const d = this.choose(e, req.headers);
    if (typeof d === "string") return errorBody(d.startsWith("Deployment") ? 404 : 503, d.startsWith("Deployment") ? "RESOURCE_DOES_NOT_EXIST" : "TEMPORARILY_UNAVAILABLE", d);
    // Logged requests carry a request id (the caller's, or one made up and answered) for labels to join on later.
    const logged = this.feed !== undefined && req.method === "POST" && SCORING_PATH.test(req.path);
    let requestId: string | undefined;
    if (logged) {
      const given = req.headers[REQUEST_ID];
      requestId = typeof given === "string" && given !== "" && given.length <= 256 ? given : randomUUID();
    }
    const time = logged ? Date.now() : 0;
    const res = await this.forward(d, req, span, false, requestId);
    const ms = performance.now() - t0;
    if (res.ok) {
      d.series.answered(res.status, ms / 1000);
      d.stats.record(ms, res.status >= 500, res.status >= 500 ? `HTTP ${res.status}: ${res.body.toString("utf8", 0, 200)}` : undefined);
    } else {
      d.series.failed();
      d.stats.record(ms, true, res.message);
    }
    if (e.mirrors.length > 0 && res.ok && res.status < 300) this.mirror(e, d, req, res.body, span, requestId);
    if (!res.ok) {
      const r = errorBody(503, "TEMPORARILY_UNAVAILABLE", `Deployment '${d.name}' of endpoint '${e.name}' could not be reached: ${res.message}. Check 'ciclo deployments logs ${e.name} ${d.name}'.`);
      r.headers[DEPLOYMENT_HEADER] = d.name;
      if (requestId !== undefined) {
        r.headers[REQUEST_ID] = requestId;
        this.log(e, d, req, requestId, time, 503, ms, r.body);
      }
      return r;
    }
    res.headers[DEPLOYMENT_HEADER] = d.name;
    if (requestId !== undefined) {
      res.headers[REQUEST_ID] = requestId;
      this.log(e, d, req, requestId, time, res.status, ms, res.body);
    }
    return { status: res.status, headers: res.headers, body: res.body };
  }

  private log(e: Compiled, d: CompiledDeployment, req: RouterRequest, requestId: string, time: number, status: number, latencyMs: number, response: Buffer | string): void {
    this.feed?.push({ requestId, time, modelName: d.modelName ?? "", modelVersion: d.modelVersion, endpoint: e.name, deployment: d.name, status, latencyMs, request: req.body, response });
  }

  /** The deployment for a request; a string says why none can answer. */
  private choose(e: Compiled, headers: RouterRequest["headers"]): CompiledDeployment | string {
    const direct = headers[DEPLOYMENT_HEADER];
    if (typeof direct === "string" && direct !== "") {
      const d = e.byName.get(direct);
      if (!d) return `Deployment '${direct.slice(0, 64)}' does not exist in endpoint '${e.name}' (header ${DEPLOYMENT_HEADER}).`;
      if (d.urls.length === 0) return `Deployment '${d.name}' of endpoint '${e.name}' has no ready replica yet.`;
      return d;
    }
    if (e.total === 0) return `Endpoint '${e.name}' sends no traffic to any deployment: set its traffic (ciclo endpoints traffic ${e.name} <deployment>=100).`;
    const key = e.stickyHeader ? headers[e.stickyHeader] : undefined;
    const point = typeof key === "string" && key !== "" ? (stickyPoint(key) * e.total) / 100 : this.random() * e.total;
    let i = 0;
    while (i < e.cumulative.length - 1 && point >= e.cumulative[i]) i++;
    const d = e.live[i];
    if (d.urls.length > 0) return d;
    // The chosen deployment has no ready replica (starting, restarting): another live one answers.
    const others = e.live.filter((x) => x.urls.length > 0);
    if (others.length === 0) return `No deployment of endpoint '${e.name}' has a ready replica yet.`;
    return others[Math.floor(this.random() * others.length)];
  }

  private pool(origin: string): UpstreamPool {
    let p = this.pools.get(origin);
    if (!p) this.pools.set(origin, (p = new UpstreamPool(origin, { connections: this.opts.connections ?? 64, timeoutMs: this.opts.timeoutMs })));
    return p;
  }

  /** Sends the request to the deployment's replicas in turn until one answers; `requestId`: logged under it (and sent with it). */
  private async forward(d: CompiledDeployment, req: RouterRequest, span: SpanHandle | undefined, mirrored: boolean, requestId: string | undefined): Promise<Upstream> {
    const headers: Record<string, string> = {};
    for (const h of FORWARD_REQUEST) {
      const v = req.headers[h];
      if (typeof v === "string") headers[h] = v;
    }
    if (requestId !== undefined) {
      headers[REQUEST_ID] = requestId;
      // Set here, never taken from the caller: the model server skips logging what the router logged.
      headers[LOGGED_HEADER] = "router";
    }
    let message = "no ready replica";
    // Each ready replica at most once, starting round-robin.
    const n = d.urls.length;
    const start = d.next++;
    for (let k = 0; k < n; k++) {
      const i = (start + k) % n;
      const origin = d.origins[i];
      // With tracing on, the replica continues this router's trace (our span replaces the caller's traceparent).
      const call = span?.child(`${req.method} ${d.name}`, "client", { "ciclo.deployment": d.name, "ciclo.model_version": d.modelVersion, "server.address": d.urls[i], "ciclo.mirrored": mirrored });
      call?.inject(headers);
      const pool = this.pools.get(origin) ?? this.pool(origin);
      const res = await new Promise<Upstream>((resolve) => pool.request({ path: req.path, method: req.method, headers, body: req.body }, resolve));
      if (res.ok) {
        call?.end(res.status);
        return res;
      }
      // Not answered (refused, reset, timed out): the next replica may be.
      message = res.message;
      call?.end(res.error ?? new Error(res.message));
    }
    return { ok: false, message };
  }

  private mirror(e: Compiled, primary: CompiledDeployment, req: RouterRequest, primaryBody: Buffer, span: SpanHandle | undefined, requestId: string | undefined): void {
    for (const m of e.mirrors) {
      if (m === primary || m.urls.length === 0 || this.random() * 100 >= m.mirror) continue;
      const t0 = performance.now();
      const time = Date.now();
      void this.forward(m, req, span, true, requestId).then((res) => {
        const ms = performance.now() - t0;
        // A shadow deployment's answers are monitored like any other's, under the same request id.
        if (requestId !== undefined) this.log(e, m, req, requestId, time, res.ok ? res.status : 503, ms, res.ok ? res.body : "");
        const ok = res.ok && res.status < 500;
        const div = res.ok && res.status < 300 ? predictionDivergence(primaryBody, res.body) : undefined;
        m.series.mirrored(ok, ms / 1000, div);
        m.stats.record(ms, !ok, ok ? undefined : res.ok ? `HTTP ${res.status} (mirrored)` : res.message);
        if (div !== undefined) m.stats.divergence(div);
      });
    }
  }

  private healthFromTable(): HealthSample[] {
    const out: HealthSample[] = [];
    for (const e of this.table.values()) {
      for (const d of e.byName.values()) out.push({ endpoint: e.name, deployment: d.name, ready: d.urls.length, desired: d.urls.length, restarts: 0, weight: d.weight, mirror: d.mirror });
    }
    return out;
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.close().catch(() => undefined)));
  }
}
