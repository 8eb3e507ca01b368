/**
 * Test world for managed deployments: the real ciclo server in this process
 * on a loopback port, with the job runner polling quickly and the
 * deployments module starting real `ciclo models serve` children (from the
 * TypeScript source); registered versions of small js_function models whose
 * answers tell them apart (`x * factor`), one of which can fail every call
 * (HTTP 500).
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { deploymentsModule, type DeploymentsModuleOptions } from "../deployments/http/deployments-module.js";
import { serverModules } from "../modules.js";
import { ArtifactClient } from "../sdk/artifact-client.js";
import { resolveServerConfig } from "../server/config.js";
import { startServer, type RunningServer } from "../server/main.js";
import { readAnswer, type Answer } from "./http-answer.js";
import { tempDir } from "./temp-dir.js";
import { xyJsModel } from "./model-fixtures.js";

const FACTOR_MODULE = `// Test model: multiplies column x by its factor. A failing variant ends its inference thread on every call,
// which the scoring server answers 500 (an exception in predict is MLflow's 400 "unexpected error").
export function load(context) {
  return { factor: Number(context.modelConfig.factor), fail: String(context.modelConfig.fail) === "true" };
}
export function predict(input, params, state) {
  if (state.fail) process.exit(3);
  const x = input.columns.find((c) => c.name === "x").values;
  return Array.from(x, (v) => v * state.factor);
}
`;

/** A js_function model answering `x * factor` (or failing every call). */
export function factorModel(parent: string, name: string, factor: number, opts: { fail?: boolean } = {}): Promise<string> {
  return xyJsModel(parent, name, FACTOR_MODULE, { factor, fail: opts.fail === true });
}

export type { Answer };

export interface DeployWorld {
  url: string;
  server: RunningServer;
  dir: string;
  /** Registers a new version of `model` from a model folder; resolves with its version. */
  register(model: string, modelDir: string): Promise<string>;
  setAlias(model: string, alias: string, version: string): Promise<void>;
  /** A call to `/api/ciclo/v1<path>`. */
  api(method: string, path: string, body?: unknown): Promise<Answer>;
  /** `api` that must answer 200 (the assertion names the call and the answer): its JSON. */
  ok(method: string, path: string, body?: unknown): Promise<any>;
  /** POSTs `{dataframe_records: [{x}]}` to the endpoint. */
  invoke(endpoint: string, x: number, headers?: Record<string, string>): Promise<Answer>;
  close(): Promise<void>;
}

export async function startDeployWorld(opts: DeploymentsModuleOptions = {}): Promise<DeployWorld> {
  const dir = tempDir("ciclo-deploy-");
  const config = resolveServerConfig({
    backendStoreUri: `sqlite:///${join(dir.path, "ciclo.db")}`,
    artifactsDestination: join(dir.path, "artifacts"),
    host: "127.0.0.1",
    port: 0,
    logLevel: "silent",
    jobPollMs: 25,
  });
  const modules = serverModules(config).map((m) =>
    m.id === "deployments" ? deploymentsModule({ childEnv: { ...process.env, CICLO_FROM_SOURCE: "1" }, backoff: { baseMs: 100, maxMs: 2_000 }, drainSeconds: 2, ...opts }) : m,
  );
  const server = await startServer(config, { modules });
  const client = new ArtifactClient({ trackingUri: server.url });
  const call = async (url: string, init: RequestInit): Promise<Answer> => readAnswer(await fetch(url, init));
  const api = (method: string, path: string, body?: unknown) =>
    call(`${server.url}/api/ciclo/v1${path}`, {
      method,
      headers: body === undefined ? undefined : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  return {
    url: server.url,
    server,
    dir: dir.path,
    async register(model, modelDir) {
      const run = await client.tracking.createRun({ experimentId: "0" });
      await client.logArtifacts(run.info.runId, modelDir, "model");
      return (await client.registry.registerModel(`runs:/${run.info.runId}/model`, model)).version;
    },
    setAlias: (model, alias, version) => client.registry.setRegisteredModelAlias(model, alias, version),
    api,
    async ok(method, path, body) {
      const r = await api(method, path, body);
      assert.equal(r.status, 200, `${method} ${path}: ${JSON.stringify(r.json)}`);
      return r.json;
    },
    invoke: (endpoint, x, headers = {}) =>
      call(`${server.url}/endpoints/${endpoint}/invocations`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ dataframe_records: [{ x }] }),
        // A hung answer fails the call instead of stalling a test's client loop.
        signal: AbortSignal.timeout(60_000),
      }),
    async close() {
      await server.close();
      dir.remove();
    },
  };
}
