/**
 * An HTTP test fixture for MLflow 3.x flows: a real SQLite store (or another
 * backend URI), a real local artifacts destination, and the app from
 * `buildApp` with tracking, registry, logged models, ciclo's views and proxied artifacts —
 * what `ciclo server` serves — plus `inject()` helpers that speak MLflow's
 * wire format.
 * @module
 */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { LocalArtifactRepository } from "../artifacts/local-artifact-repository.js";
import { buildApp } from "../server/app.js";
import { openStores, type OpenedStores } from "../store/open-store.js";
import { SqlTrackingInsightsStore } from "../store/sql/sql-tracking-insights-store.js";
import { snapshotTree } from "./artifact-app.js";
import { tempDir } from "./temp-dir.js";
import { queryString, type Query, type Reply } from "./tracking-app.js";

export const API = "/api/2.0/mlflow";

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD";

export interface LoggedModelApp {
  app: FastifyInstance;
  stores: OpenedStores;
  /** The artifacts destination folder (`mlflow-artifacts:/` maps here). */
  artifactsDir: string;
  /** A JSON call under `/api/2.0/mlflow` (or `prefix`); GET and HEAD take `query`. */
  call(method: Method, path: string, body?: unknown, opts?: { query?: Query; prefix?: string }): Promise<Reply>;
  /** Any request by full URL with a raw body. */
  raw(method: Method, url: string, body?: string | Buffer, headers?: Record<string, string>): Promise<Reply & { raw: Buffer }>;
  /** A snapshot of the artifacts folder and the database's logical content, to prove a refusal changed nothing. */
  snapshot(): Promise<unknown>;
  uniq(prefix: string): string;
  close(): Promise<void>;
}

const TABLES = ["experiments", "runs", "logged_models", "logged_model_params", "logged_model_tags", "run_outputs", "run_model_inputs", "metrics", "registered_models", "model_versions"];

export async function openLoggedModelApp(opts: { storeUri?: string; onClose?: () => Promise<void> } = {}): Promise<LoggedModelApp> {
  const dir = tempDir("ciclo-lm-http-");
  const artifactsDir = join(dir.path, "artifacts");
  mkdirSync(artifactsDir);
  const stores = await openStores(opts.storeUri ?? `sqlite:///${join(dir.path, "ciclo.db")}`, { defaultArtifactRoot: "mlflow-artifacts:/" });
  const app = await buildApp({
    trackingStore: stores.tracking,
    registryStore: stores.registry,
    loggedModelStore: stores.loggedModels,
    insightsStore: new SqlTrackingInsightsStore(stores.connection),
    artifacts: { destination: new LocalArtifactRepository(artifactsDir) },
  });
  let n = 0;
  const raw: LoggedModelApp["raw"] = async (method, url, body, headers) => {
    const res = await app.inject({ method, url, payload: body, headers });
    let json: unknown;
    try {
      json = JSON.parse(res.body);
    } catch {
      json = undefined;
    }
    return { status: res.statusCode, contentType: String(res.headers["content-type"] ?? ""), text: res.body, json, raw: res.rawPayload };
  };
  return {
    app,
    stores,
    artifactsDir,
    raw,
    call(method, path, body, o = {}) {
      const qs = o.query ? `?${queryString(o.query)}` : "";
      const text = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
      return raw(method, `${o.prefix ?? API}${path}${qs}`, text, text === undefined ? {} : { "content-type": "application/json" });
    },
    async snapshot() {
      const db: Record<string, unknown> = {};
      for (const t of TABLES) {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const rows: unknown[] = await (stores.connection.db as any).selectFrom(t).selectAll().execute();
        // Sorted: PostgreSQL may return unchanged rows in another physical order.
        db[t] = rows.map((r) => JSON.stringify(r)).sort();
      }
      return { db, files: snapshotTree(artifactsDir) };
    },
    uniq: (p) => `${p}-${n++}`,
    async close() {
      await app.close();
      await stores.tracking.close();
      dir.remove();
      await opts.onClose?.();
    },
  };
}

/** Asserts a 200 JSON answer and returns its body. */
export function ok(r: Reply): any {
  assert.equal(r.status, 200, r.text);
  assert.match(r.contentType, /^application\/json/);
  return r.json;
}
