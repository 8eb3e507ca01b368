/**
 * An HTTP test fixture for the tracking API: a real SQLite store in a temp
 * dir, the app from `buildApp`, and small helpers over Fastify's `inject()`
 * that speak MLflow's wire format (JSON bodies, query strings, both prefixes).
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../server/app.js";
import { openStores } from "../store/open-store.js";
import type { SqlTrackingStore } from "../store/sql/sql-tracking-store.js";
import { tempDir } from "./temp-dir.js";

export const API = "/api/2.0/mlflow";
export const AJAX = "/ajax-api/2.0/mlflow";
export const PREFIXES = [API, AJAX] as const;

/** A parsed response: status, content type, raw text and parsed JSON (undefined when not JSON). */
export interface Reply {
  status: number;
  contentType: string;
  text: string;
  json: any;
}

export type Query = Record<string, string | number | Array<string | number>>;

/** Builds `a=1&b=x&b=y` with repeated keys for arrays. */
export function queryString(q: Query): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(q)) {
    for (const item of Array.isArray(v) ? v : [v]) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(item))}`);
  }
  return parts.join("&");
}

export interface TrackingApp {
  app: FastifyInstance;
  store: SqlTrackingStore;
  /** POST a JSON body (an object, or raw text sent as-is) to `<prefix><path>`. */
  post(path: string, body?: unknown, opts?: { prefix?: string; contentType?: string }): Promise<Reply>;
  /** GET `<prefix><path>?<query>`. */
  get(path: string, query?: Query | string, opts?: { prefix?: string }): Promise<Reply>;
  /** Any request by full URL. */
  request(method: "GET" | "POST" | "PUT" | "DELETE" | "PATCH", url: string, body?: string, headers?: Record<string, string>): Promise<Reply>;
  /** Creates an experiment through the API and returns its id. */
  createExperiment(name?: string): Promise<string>;
  /** Creates a run through the API and returns its run id. */
  createRun(experimentId: string, body?: Record<string, unknown>): Promise<string>;
  /** GET runs/get and return `run`. */
  getRun(runId: string): Promise<any>;
  /** A unique name for this fixture. */
  uniq(prefix: string): string;
  close(): Promise<void>;
}

export interface TrackingAppOptions {
  bodyLimit?: number;
  /** Another backend store (e.g. a PostgreSQL test database); default: SQLite in a temp dir. */
  storeUri?: string;
  /** Runs after the store is closed (e.g. dropping the test database). */
  onClose?: () => Promise<void>;
}

export async function openTrackingApp(opts: TrackingAppOptions = {}): Promise<TrackingApp> {
  const dir = tempDir("ciclo-http-");
  const uri = opts.storeUri ?? `sqlite:///${join(dir.path, "ciclo.db")}`;
  const { tracking } = await openStores(uri, { defaultArtifactRoot: "mlflow-artifacts:/" });
  const app = await buildApp({ trackingStore: tracking, bodyLimit: opts.bodyLimit });
  let n = 0;

  const request: TrackingApp["request"] = async (method, url, body, headers) => {
    const res = await app.inject({ method, url, payload: body, headers });
    const contentType = String(res.headers["content-type"] ?? "");
    let json: unknown;
    try {
      json = JSON.parse(res.body);
    } catch {
      json = undefined;
    }
    return { status: res.statusCode, contentType, text: res.body, json };
  };

  const fx: TrackingApp = {
    app,
    store: tracking,
    post(path, body, o = {}) {
      const text = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
      const headers: Record<string, string> = {};
      if (o.contentType !== "") headers["content-type"] = o.contentType ?? "application/json";
      return request("POST", `${o.prefix ?? API}${path}`, text, headers);
    },
    get(path, query, o = {}) {
      const qs = query === undefined ? "" : typeof query === "string" ? query : queryString(query);
      return request("GET", `${o.prefix ?? API}${path}${qs ? `?${qs}` : ""}`);
    },
    request,
    async createExperiment(name) {
      const r = await fx.post("/experiments/create", { name: name ?? fx.uniq("exp") });
      assert.equal(r.status, 200, r.text);
      return r.json.experiment_id as string;
    },
    async createRun(experimentId, body = {}) {
      const r = await fx.post("/runs/create", { experiment_id: experimentId, start_time: 1_700_000_000_000, ...body });
      assert.equal(r.status, 200, r.text);
      return r.json.run.info.run_id as string;
    },
    async getRun(runId) {
      const r = await fx.get("/runs/get", { run_id: runId });
      assert.equal(r.status, 200, r.text);
      return r.json.run;
    },
    uniq: (prefix) => `${prefix}-${n++}`,
    async close() {
      await app.close();
      await tracking.close();
      dir.remove();
      await opts.onClose?.();
    },
  };
  return fx;
}

/** Asserts MLflow's error envelope: exactly `{error_code, message}`, JSON, with the status. */
export function assertError(r: Reply, status: number, errorCode: string, message?: string | RegExp): void {
  assert.equal(r.status, status, `expected ${status} ${errorCode}, got ${r.status}: ${r.text}`);
  assert.match(r.contentType, /^application\/json/);
  assert.ok(r.json && typeof r.json === "object", `not JSON: ${r.text}`);
  assert.deepEqual(Object.keys(r.json).sort(), ["error_code", "message"], r.text);
  assert.equal(r.json.error_code, errorCode, r.text);
  if (typeof message === "string") assert.equal(r.json.message, message);
  else if (message) assert.match(r.json.message, message);
}

/** Asserts a 200 answer whose body is exactly `{}`. */
export function assertEmptyOk(r: Reply): void {
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, {}, r.text);
}

/** MLflow's suffix on request-validation messages. */
export const SEE_DOCS = " See the API docs for more information about request parameters.";
