/**
 * Test world for pipelines: the real ciclo server in this process on a
 * loopback port (SQLite in a temp folder, the job runner polling quickly),
 * its pipelines module running step processes from the TypeScript source,
 * allowed to notify loopback webhooks, checking for cancels every 100 ms;
 * plus helpers to write a project, start a pipeline and wait for it.
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pipelinesModule, type PipelinesModuleOptions } from "../pipelines/http/pipelines-module.js";
import { serverModules } from "../modules.js";
import { resolveServerConfig } from "../server/config.js";
import { startServer, type RunningServer } from "../server/main.js";
import { readAnswer, type Answer } from "./http-answer.js";
import { tempDir } from "./temp-dir.js";
import { waitFor } from "./wait-for.js";

export type { Answer };

export interface PipelineWorld {
  /** The current server's URL (a restart changes it). */
  url: string;
  server: RunningServer;
  dir: string;
  /** Writes files (path → content) under a new project folder; returns its path. */
  project(name: string, files: Record<string, string>): string;
  /** `/api/ciclo/v1<path>` */
  api(method: string, path: string, body?: unknown): Promise<Answer>;
  /** `/api/2.0/mlflow<path>` */
  mlflow(method: string, path: string, body?: unknown): Promise<Answer>;
  /** Starts a pipeline run; fails the test unless the server accepted it. */
  start(project: string, pipeline: string, inputs?: Record<string, unknown>, extra?: Record<string, unknown>): Promise<any>;
  /** Waits until the run's status is one of `statuses` (default: finished); returns the run. */
  until(runId: string, statuses?: string[], timeoutMs?: number): Promise<any>;
  /** Stops the server (running steps are handed back after `jobDrainMs`) and starts another on the same database. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export interface PipelineWorldOptions {
  /** Another metadata store (a PostgreSQL test database's URI); default SQLite in the world's folder. */
  backend?: string;
  /** How long running steps may take on shutdown before they are handed back, ms (the server's default otherwise). */
  jobDrainMs?: number;
}

/** `backend`: another metadata store (a PostgreSQL test database's URI), or {@link PipelineWorldOptions}. */
export async function startPipelineWorld(opts: PipelinesModuleOptions = {}, backendOrOptions?: string | PipelineWorldOptions): Promise<PipelineWorld> {
  const world: PipelineWorldOptions = typeof backendOrOptions === "string" ? { backend: backendOrOptions } : (backendOrOptions ?? {});
  const backend = world.backend;
  const dir = tempDir("ciclo-pipes-");
  const config = resolveServerConfig({
    backendStoreUri: backend ?? `sqlite:///${join(dir.path, "ciclo.db")}`,
    artifactsDestination: join(dir.path, "artifacts"),
    host: "127.0.0.1",
    port: 0,
    logLevel: "silent",
    jobPollMs: 25,
    ...(world.jobDrainMs !== undefined && { jobDrainMs: world.jobDrainMs }),
  });
  const modules = () => serverModules(config).map((m) =>
    m.id === "pipelines"
      ? pipelinesModule({ childEnv: { ...process.env, CICLO_FROM_SOURCE: "1", CICLO_HTTP_REQUEST_MAX_RETRIES: "0" }, notifyPolicy: { allowPrivate: true }, cancelPollMs: 100, workDir: join(dir.path, "work"), ...opts })
      : m,
  );
  let server = await startServer(config, { modules: modules() });
  const call = async (url: string, method: string, body?: unknown): Promise<Answer> =>
    readAnswer(await fetch(url, { method, headers: body === undefined ? undefined : { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) }));
  const api = (method: string, path: string, body?: unknown) => call(`${server.url}/api/ciclo/v1${path}`, method, body);
  const FINISHED = ["succeeded", "failed", "cancelled"];
  return {
    get url() {
      return server.url;
    },
    get server() {
      return server;
    },
    dir: dir.path,
    project(name, files) {
      const root = join(dir.path, "projects", name);
      for (const [path, content] of Object.entries(files)) {
        mkdirSync(dirname(join(root, path)), { recursive: true });
        writeFileSync(join(root, path), content);
      }
      return root;
    },
    api,
    mlflow: (method, path, body) => call(`${server.url}/api/2.0/mlflow${path}`, method, body),
    async start(project, pipeline, inputs, extra) {
      const r = await api("POST", "/pipelines/runs", { project, pipeline, ...(inputs && { inputs }), ...extra });
      if (r.status !== 200) throw new Error(`starting ${pipeline} failed: ${r.status} ${JSON.stringify(r.json)}`);
      return r.json.pipeline_run;
    },
    until: (runId, statuses = FINISHED, timeoutMs = 90_000) =>
      waitFor(
        async () => (await api("GET", `/pipelines/runs/${runId}`)).json.pipeline_run,
        (r) => statuses.includes(r?.status),
        { what: `pipeline run ${runId} to be ${statuses.join(" or ")}`, timeoutMs, intervalMs: 50 },
      ),
    async restart() {
      await server.close();
      server = await startServer(config, { modules: modules() });
    },
    async close() {
      await server.close();
      dir.remove();
    },
  };
}
