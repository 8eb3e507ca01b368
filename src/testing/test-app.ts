/**
 * The one HTTP test fixture: a temp "world" folder, a real metadata store
 * (SQLite in the folder, or a given backend such as a PostgreSQL test
 * database), a real artifacts folder served as the proxied store, the app
 * built from a list of modules exactly as `ciclo server` builds it, and
 * helpers over Fastify's `inject()` that speak MLflow's wire format.
 *
 * The world also holds what the server must never touch (`outside/`), and
 * snapshots of the folder and the database, so a test can prove a refused
 * request changed nothing.
 * @module
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { FastifyInstance } from "fastify";
import type { ArtifactRepository } from "../artifacts/artifact-repository.js";
import { serverModules } from "../modules.js";
import { buildApp, moduleServices } from "../server/app.js";
import type { NetworkPolicy } from "../server/http/network-policy.js";
import type { CicloModule } from "../server/module.js";
import { MLFLOW_AJAX_API, MLFLOW_API, MLFLOW_API_ROOTS } from "../shared/api-paths.js";
import { migrateToLatest, migrationSequence } from "../store/migrations/migrator.js";
import { openConnection } from "../store/open-store.js";
import type { SqlConnection } from "../store/sql/sql-dialect.js";
import { inboxOf } from "../store/sql/tracking/metric-inbox.js";
import type { SqlLoggedModelStore } from "../store/sql/logged-models/sql-logged-model-store.js";
import type { SqlRegistryStore } from "../store/sql/registry/sql-registry-store.js";
import type { SqlTrackingStore } from "../store/sql/tracking/sql-tracking-store.js";
import { createTestDatabase, postgresUnavailable } from "./postgres-fixture.js";
import type { BackendFixture } from "./backend-tests.js";
import { tempDir } from "./temp-dir.js";

export const API = MLFLOW_API;
export const AJAX = MLFLOW_AJAX_API;
export const PREFIXES = [API, AJAX] as const;
/** Where the artifact proxy and run artifact lists are served. */
export const ARTIFACT_PREFIXES = MLFLOW_API_ROOTS;

/**
 * What the server runs, less the web UI (its assets have their own test,
 * `ui-assets.test.ts`) and the job runner (its tests start real servers).
 */
export function testModules(): CicloModule[] {
  return serverModules().filter((m) => m.id !== "web-ui" && m.id !== "jobs");
}

/** The registry's tables. */
export const REGISTRY_TABLES = ["registered_models", "model_versions", "registered_model_tags", "model_version_tags", "registered_model_aliases", "registry_events"] as const;
/** What MLflow 3.x model flows write. */
export const LOGGED_MODEL_TABLES = ["experiments", "runs", "logged_models", "logged_model_params", "logged_model_tags", "run_outputs", "run_model_inputs", "metrics", "metric_chunks", "registered_models", "model_versions"] as const;

type Method = "GET" | "POST" | "PUT" | "DELETE" | "PATCH" | "HEAD";

/** A parsed response: status, content type, raw text and parsed JSON (undefined when not JSON). */
export interface Reply {
  status: number;
  contentType: string;
  text: string;
  json: any;
}

type RawReply = Reply & { headers: Record<string, unknown>; raw: Buffer };

export type Query = Record<string, string | number | Array<string | number>>;

/** Builds `a=1&b=x&b=y` with repeated keys for arrays. */
function queryString(q: Query): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(q)) {
    for (const item of Array.isArray(v) ? v : [v]) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(item))}`);
  }
  return parts.join("&");
}

export interface TestAppOptions {
  /** The modules to serve; default {@link testModules}. */
  modules?: readonly CicloModule[];
  /** Another backend store URI (a PostgreSQL test database); default: SQLite in the world folder. */
  backend?: string;
  /** Runs after the database is closed (e.g. dropping the test database). */
  onClose?: () => Promise<void>;
  /** false: `--no-serve-artifacts` (no proxied store). */
  serveArtifacts?: boolean;
  bodyLimit?: number;
  /** `mlflow server`'s network flags (none applied when absent); `--expose-prometheus`. */
  network?: NetworkPolicy;
  prometheus?: boolean;
}

export interface TestApp {
  app: FastifyInstance;
  db: SqlConnection;
  /** The stores behind the routes (undefined when their module is not served). */
  tracking: SqlTrackingStore;
  registry: SqlRegistryStore;
  loggedModels: SqlLoggedModelStore;
  /** The proxied artifact store, when served. */
  destination?: ArtifactRepository;
  /** The temp folder: `artifacts/` (the destination), `outside/` (never reachable), the database. */
  world: string;
  artifactsDir: string;
  outsideDir: string;
  /** POST a JSON body (an object, or raw text sent as-is) to `<prefix><path>`. */
  post(path: string, body?: unknown, opts?: { prefix?: string; contentType?: string }): Promise<Reply>;
  /** GET `<prefix><path>?<query>`. */
  get(path: string, query?: Query | string, opts?: { prefix?: string }): Promise<Reply>;
  /** A JSON call under the MLflow API: GET and HEAD send `body` (or `query`) as a query string, other methods as JSON. */
  call(method: Method, path: string, body?: unknown, opts?: { prefix?: string; headers?: Record<string, string>; query?: Query }): Promise<Reply>;
  /** Any request by full URL with a raw body. */
  request(method: Method | string, url: string, body?: string | Buffer, headers?: Record<string, string>): Promise<RawReply>;
  /** Creates an experiment through the API and returns its id. */
  createExperiment(name?: string, body?: Record<string, unknown>): Promise<string>;
  /** Creates a run through the API and returns its run id. */
  createRun(experimentId: string, body?: Record<string, unknown>): Promise<string>;
  /** Creates a run (in a new experiment unless given) and returns its ids and artifact URI. */
  createRunInfo(experimentId?: string, body?: Record<string, unknown>): Promise<{ experimentId: string; runId: string; artifactUri: string }>;
  /** GET runs/get and return `run`. */
  getRun(runId: string): Promise<any>;
  /** Writes a file under the proxied store (`<path>` relative to the destination). */
  putArtifact(path: string, content: string): void;
  /** Every entry of the world folder but the database files (type, size, mtime, hash, link target). */
  snapshotWorld(): Record<string, string>;
  /** Every row of `tables`, as sorted JSON lines per table. */
  snapshotTables(tables: readonly string[]): Promise<Record<string, string[]>>;
  /** The rows of `tables` and the artifacts folder: what a refused request must leave alone. */
  snapshot(tables: readonly string[]): Promise<{ db: Record<string, string[]>; files: Record<string, string> }>;
  /** A unique name for this fixture. */
  uniq(prefix: string): string;
  close(): Promise<void>;
}

/**
 * A test app on `backend` as a suite's fixture (`backendTests`): SQLite in its world folder, or a fresh PostgreSQL
 * test database dropped on close; without PostgreSQL its tests skip (the reason printed once).
 */
export function testAppOn(backend: "sqlite" | "postgres"): BackendFixture<TestApp> {
  return {
    async open() {
      if (backend === "sqlite") return openTestApp();
      if (await postgresUnavailable()) return undefined;
      const db = await createTestDatabase();
      return openTestApp({ backend: db.uri, onClose: () => db.drop() });
    },
    close: (fx) => fx.close(),
    unavailable: `${backend} unavailable`,
  };
}

export async function openTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const dir = tempDir("ciclo-app-");
  const world = dir.path;
  const artifactsDir = join(world, "artifacts");
  const outsideDir = join(world, "outside");
  mkdirSync(artifactsDir);
  mkdirSync(join(outsideDir, "victim"), { recursive: true });
  writeFileSync(join(outsideDir, "passwd"), "root:x:0:0:root:/root:/bin/bash\n");
  writeFileSync(join(outsideDir, "secret.txt"), "root:x:0:0:root:/root:/bin/bash\n");
  writeFileSync(join(outsideDir, "victim", "keep.txt"), "do not delete\n");
  const modules = opts.modules ?? testModules();
  const db = await openConnection(opts.backend ?? `sqlite:///${join(world, "ciclo.db")}`);
  let app: FastifyInstance;
  try {
    await migrateToLatest(db.db, db.dialect.name, undefined, migrationSequence(modules));
    app = await buildApp({
      modules,
      db,
      bodyLimit: opts.bodyLimit,
      network: opts.network,
      prometheus: opts.prometheus,
      settings: {
        defaultArtifactRoot: "mlflow-artifacts:/",
        artifactsDestination: opts.serveArtifacts === false ? undefined : pathToFileURL(artifactsDir).href,
      },
    });
  } catch (err) {
    await db.db.destroy();
    dir.remove();
    throw err;
  }
  const services = moduleServices(app);
  let n = 0;

  const request: TestApp["request"] = async (method, url, body, headers) => {
    const res = await app.inject({ method: method as Method, url, payload: body, headers });
    let json: unknown;
    try {
      json = JSON.parse(res.body);
    } catch {
      json = undefined;
    }
    return { status: res.statusCode, contentType: String(res.headers["content-type"] ?? ""), text: res.body, json, headers: res.headers, raw: res.rawPayload };
  };
  const reply = (r: RawReply): Reply => r;

  const fx: TestApp = {
    app,
    db,
    tracking: services.tracking?.store as SqlTrackingStore,
    registry: services.registry?.store as SqlRegistryStore,
    loggedModels: services.loggedModels?.store as SqlLoggedModelStore,
    destination: services.artifacts?.destination,
    world,
    artifactsDir,
    outsideDir,
    async post(path, body, o = {}) {
      const text = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
      const headers: Record<string, string> = {};
      if (o.contentType !== "") headers["content-type"] = o.contentType ?? "application/json";
      return reply(await request("POST", `${o.prefix ?? API}${path}`, text, headers));
    },
    async get(path, query, o = {}) {
      const qs = query === undefined ? "" : typeof query === "string" ? query : queryString(query);
      return reply(await request("GET", `${o.prefix ?? API}${path}${qs ? `?${qs}` : ""}`));
    },
    async call(method, path, body, o = {}) {
      const prefix = o.prefix ?? API;
      if (method === "GET" || method === "HEAD") {
        const q = [body ? queryString(body as Query) : "", o.query ? queryString(o.query) : ""].filter(Boolean).join("&");
        return reply(await request(method, `${prefix}${path}${q ? `?${q}` : ""}`, undefined, o.headers));
      }
      const text = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
      const qs = o.query ? `?${queryString(o.query)}` : "";
      return reply(await request(method, `${prefix}${path}${qs}`, text, { "content-type": "application/json", ...o.headers }));
    },
    request,
    async createExperiment(name, body = {}) {
      const r = await fx.post("/experiments/create", { name: name ?? fx.uniq("exp"), ...body });
      assert.equal(r.status, 200, r.text);
      return r.json.experiment_id as string;
    },
    async createRun(experimentId, body = {}) {
      return (await fx.createRunInfo(experimentId, body)).runId;
    },
    async createRunInfo(experimentId, body = {}) {
      const exp = experimentId ?? (await fx.createExperiment());
      const r = await fx.post("/runs/create", { experiment_id: exp, start_time: 1_700_000_000_000, ...body });
      assert.equal(r.status, 200, r.text);
      return { experimentId: exp, runId: r.json.run.info.run_id as string, artifactUri: r.json.run.info.artifact_uri as string };
    },
    async getRun(runId) {
      const r = await fx.get("/runs/get", { run_id: runId });
      assert.equal(r.status, 200, r.text);
      return r.json.run;
    },
    putArtifact(path, content) {
      const file = join(artifactsDir, ...path.split("/"));
      mkdirSync(join(file, ".."), { recursive: true });
      writeFileSync(file, content);
    },
    snapshotWorld: () => snapshotTree(world, (name) => name.startsWith("ciclo.db")),
    async snapshotTables(tables) {
      // Small metric writes wait in the inbox and fold into the history a moment later: fold them now, so a
      // background fold between two snapshots does not read as a change the request under test made.
      await inboxOf(db.dialect)?.settle();
      const out: Record<string, string[]> = {};
      for (const t of tables) {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const rows: unknown[] = await (db.db as any).selectFrom(t).selectAll().execute();
        // Sorted: PostgreSQL may return unchanged rows in another physical order.
        out[t] = rows.map((r) => JSON.stringify(r)).sort();
      }
      return out;
    },
    async snapshot(tables) {
      return { db: await fx.snapshotTables(tables), files: snapshotTree(artifactsDir) };
    },
    uniq: (prefix) => `${prefix}-${n++}`,
    async close() {
      try {
        await app.close();
      } finally {
        await db.db.destroy();
        dir.remove();
      }
      await opts.onClose?.();
    },
  };
  return fx;
}

/** Every entry under `dir` (symlinks not followed): type, size, mtime, content hash and link target. */
export function snapshotTree(dir: string, skipTopLevel: (name: string) => boolean = () => false): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (abs: string, rel: string) => {
    for (const name of readdirSync(abs).sort()) {
      if (rel === "" && skipTopLevel(name)) continue;
      const p = join(abs, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(p);
      if (st.isSymbolicLink()) out[r] = `link -> ${readlinkSync(p)}`;
      else if (st.isDirectory()) {
        out[r] = `dir mtime=${st.mtimeMs}`;
        walk(p, r);
      } else {
        const sha = createHash("sha256").update(readFileSync(p)).digest("hex").slice(0, 16);
        out[r] = `file size=${st.size} mtime=${st.mtimeMs} sha=${sha}`;
      }
    }
  };
  walk(dir, "");
  return out;
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

/** Asserts a 200 JSON answer and returns its body. */
export function ok(r: Reply): any {
  assert.equal(r.status, 200, r.text);
  assert.match(r.contentType, /^application\/json/);
  return r.json;
}

/** MLflow's suffix on request-validation messages. */
export const SEE_DOCS = " See the API docs for more information about request parameters.";
