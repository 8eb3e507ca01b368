/**
 * An HTTP test fixture for the model registry: a real store (SQLite in a temp
 * folder, or a given PostgreSQL database), a real artifacts folder served as
 * the proxied store, MLflow 3.x logged models, the app from `buildApp`, and
 * `inject()` helpers for MLflow's methods (DELETE and PATCH carry JSON
 * bodies). `registrySnapshot()` dumps every registry table, so a test can
 * prove a refused request changed nothing.
 * @module
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { FastifyInstance } from "fastify";
import { LocalArtifactRepository } from "../artifacts/local-artifact-repository.js";
import { StoreLoggedModelLookup } from "../logged-models/store-logged-model-lookup.js";
import { buildApp } from "../server/app.js";
import { openStores } from "../store/open-store.js";
import type { SqlLoggedModelStore } from "../store/sql/sql-logged-model-store.js";
import type { SqlRegistryStore } from "../store/sql/sql-registry-store.js";
import type { SqlTrackingStore } from "../store/sql/sql-tracking-store.js";
import { tempDir } from "./temp-dir.js";
import { API, queryString, type Query, type Reply } from "./tracking-app.js";

type Method = "GET" | "POST" | "PATCH" | "DELETE" | "PUT" | "HEAD";

export interface RegistryApp {
  app: FastifyInstance;
  tracking: SqlTrackingStore;
  registry: SqlRegistryStore;
  loggedModels: SqlLoggedModelStore;
  /** Temp folder: `artifacts/` (the proxied destination, also the file: root), `outside/` (must never be reachable). */
  world: string;
  artifactsDir: string;
  outsideDir: string;
  /** A JSON call: GET bodies become query strings; other methods send JSON. */
  call(method: Method, path: string, body?: Record<string, unknown> | Query, opts?: { prefix?: string; headers?: Record<string, string> }): Promise<Reply>;
  /** Any request by full URL. */
  request(method: Method, url: string, headers?: Record<string, string>): Promise<Reply & { headers: Record<string, unknown> }>;
  createExperiment(name?: string): Promise<string>;
  /** Creates a run (in a new experiment unless given) and returns its ids and artifact URI. */
  createRun(experimentId?: string, body?: Record<string, unknown>): Promise<{ experimentId: string; runId: string; artifactUri: string }>;
  /** Writes a file under the proxied store (`<path>` relative to the destination). */
  putArtifact(path: string, content: string): void;
  /** Every row of every registry table, as text. */
  registrySnapshot(): Promise<string>;
  uniq(prefix: string): string;
  close(): Promise<void>;
}

export interface RegistryAppOptions {
  /** Another backend store (a PostgreSQL test database); default: SQLite in the temp folder. */
  storeUri?: string;
  onClose?: () => Promise<void>;
  /** false: no logged-model lookup (models:/<model_id> sources are then refused). */
  loggedModels?: boolean;
}

const TABLES = ["registered_models", "model_versions", "registered_model_tags", "model_version_tags", "registered_model_aliases", "registry_events"] as const;

export async function openRegistryApp(opts: RegistryAppOptions = {}): Promise<RegistryApp> {
  const dir = tempDir("ciclo-registry-");
  const world = dir.path;
  const artifactsDir = join(world, "artifacts");
  const outsideDir = join(world, "outside");
  mkdirSync(artifactsDir);
  mkdirSync(outsideDir);
  writeFileSync(join(outsideDir, "passwd"), "root:x:0:0:root:/root:/bin/bash\n");
  const uri = opts.storeUri ?? `sqlite:///${join(world, "ciclo.db")}`;
  const stores = await openStores(uri, { defaultArtifactRoot: "mlflow-artifacts:/" });
  const destination = new LocalArtifactRepository(artifactsDir);
  const app = await buildApp({
    trackingStore: stores.tracking,
    registryStore: stores.registry,
    artifacts: { destination },
    artifactRoots: { defaultArtifactRoot: "mlflow-artifacts:/", artifactsDestination: pathToFileURL(artifactsDir).href },
    // The logged-model routes (MLflow 3.x clients) and the registry's lookup of them.
    loggedModelStore: opts.loggedModels === false ? undefined : stores.loggedModels,
    loggedModelLookup: opts.loggedModels === false ? undefined : new StoreLoggedModelLookup(stores.loggedModels),
  });
  let n = 0;

  const request: RegistryApp["request"] = async (method, url, headers) => {
    const res = await app.inject({ method, url, headers });
    let json: unknown;
    try {
      json = JSON.parse(res.body);
    } catch {
      json = undefined;
    }
    return { status: res.statusCode, contentType: String(res.headers["content-type"] ?? ""), text: res.body, json, headers: res.headers };
  };

  const fx: RegistryApp = {
    app,
    tracking: stores.tracking,
    registry: stores.registry,
    loggedModels: stores.loggedModels,
    world,
    artifactsDir,
    outsideDir,
    async call(method, path, body, o = {}) {
      const prefix = o.prefix ?? API;
      let res;
      if (method === "GET") {
        const qs = body ? queryString(body as Query) : "";
        res = await app.inject({ method, url: `${prefix}${path}${qs ? `?${qs}` : ""}`, headers: o.headers });
      } else {
        res = await app.inject({
          method,
          url: `${prefix}${path}`,
          payload: body === undefined ? undefined : JSON.stringify(body),
          headers: { "content-type": "application/json", ...o.headers },
        });
      }
      let json: unknown;
      try {
        json = JSON.parse(res.body);
      } catch {
        json = undefined;
      }
      return { status: res.statusCode, contentType: String(res.headers["content-type"] ?? ""), text: res.body, json };
    },
    request,
    async createExperiment(name) {
      const r = await fx.call("POST", "/experiments/create", { name: name ?? fx.uniq("exp") });
      assert.equal(r.status, 200, r.text);
      return r.json.experiment_id as string;
    },
    async createRun(experimentId, body = {}) {
      const exp = experimentId ?? (await fx.createExperiment());
      const r = await fx.call("POST", "/runs/create", { experiment_id: exp, start_time: 1_700_000_000_000, ...body });
      assert.equal(r.status, 200, r.text);
      return { experimentId: exp, runId: r.json.run.info.run_id as string, artifactUri: r.json.run.info.artifact_uri as string };
    },
    putArtifact(path, content) {
      const file = join(artifactsDir, ...path.split("/"));
      mkdirSync(join(file, ".."), { recursive: true });
      writeFileSync(file, content);
    },
    async registrySnapshot() {
      const parts: string[] = [];
      for (const t of TABLES) {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const rows = await (stores.connection.db as any).selectFrom(t).selectAll().execute();
        const lines = rows.map((r: unknown) => JSON.stringify(r)).sort();
        parts.push(`${t}:\n${lines.join("\n")}`);
      }
      return parts.join("\n");
    },
    uniq: (prefix) => `${prefix}-${n++}`,
    async close() {
      await app.close();
      await stores.tracking.close();
      dir.remove();
      await opts.onClose?.();
    },
  };
  return fx;
}
