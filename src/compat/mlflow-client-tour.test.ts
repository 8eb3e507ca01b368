/**
 * The real MLflow client (the shared oracle, 2.10.2 and 3.3) against a real
 * `ciclo server`, through what users do (mlflow-client-tour.py, beside this
 * file): experiments, runs, log_batch, artifacts up and down, dataset inputs,
 * an sklearn model registered, aliased, staged, searched and loaded through
 * `models:/name@alias`, logged models (3.3), delete/restore. The script
 * asserts as it goes and prints a JSON summary checked here. Skips with the
 * reason when the oracle cannot run (fails under CICLO_REQUIRE_ALL=1).
 *
 * With `CICLO_TOUR_AUTH=basic` or `=token` (the second CI pass, `.ci/run`'s
 * "auth on" section), the server runs with authentication on
 * (`--app-name basic-auth`, MLflow's config file in MLFLOW_AUTH_CONFIG_PATH)
 * and the tour runs as a non-admin user: `basic` signs in with
 * MLFLOW_TRACKING_USERNAME/PASSWORD, `token` as a service account with
 * MLFLOW_TRACKING_TOKEN. `CICLO_TOUR_VERSIONS=2.10` (comma list) picks versions.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { startChildServer, type ChildServer } from "../testing/child-server.js";
import { findMlflowPython, type MlflowVersion } from "../testing/mlflow-python.js";
import { tempDir } from "../testing/temp-dir.js";

const run = promisify(execFile);
const TOUR = fileURLToPath(new URL("./mlflow-client-tour.py", import.meta.url));

/** The caller's environment without credentials of its own (the auth pass sets the tour's). */
function clientEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ["MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN"]) delete env[k];
  return env;
}

/** What mlflow-client-tour.py prints. */
interface TourSummary {
  mlflow: string;
  experiment: unknown;
  runs: unknown;
  log_batch: unknown;
  search_runs: unknown;
  artifacts: { files: number; model_in_run: boolean; tree: string[]; deeper: string[] };
  datasets: { names: string[]; contexts: Record<string, string>; source_type: string };
  registry: unknown;
  logged_model?: { found: number; status: string };
  lifecycle: unknown;
}

const AUTH = process.env.CICLO_TOUR_AUTH;
if (AUTH !== undefined && AUTH !== "basic" && AUTH !== "token") throw new Error(`CICLO_TOUR_AUTH must be 'basic' or 'token', got '${AUTH}'`);
const VERSIONS = (process.env.CICLO_TOUR_VERSIONS?.split(",").map((v) => v.trim()) ?? ["2.10", "3.3"]) as MlflowVersion[];
const ADMIN = { username: "admin", password: "tour-admin-password-1" };

/** With auth on: a user (or a service account's token) to run the tour as, made through the REST API. */
async function tourCredentials(url: string): Promise<Record<string, string>> {
  const call = async (path: string, body: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString("base64")}` },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${path}: ${res.status} ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  // Authentication is really on: an anonymous call is refused.
  const anon = await fetch(`${url}/api/2.0/mlflow/experiments/search?max_results=1`);
  assert.equal(anon.status, 401, "the server must refuse anonymous calls in the auth pass");
  if (AUTH === "basic") {
    await call("/api/2.0/mlflow/users/create", { username: "tour-user", password: "tour-user-password-1" });
    return { MLFLOW_TRACKING_USERNAME: "tour-user", MLFLOW_TRACKING_PASSWORD: "tour-user-password-1" };
  }
  await call("/api/ciclo/v1/auth/service-accounts", { username: "tour-ci" });
  const { token } = await call("/api/ciclo/v1/auth/tokens", { username: "tour-ci", name: "tour", expires_in_days: 1 });
  return { MLFLOW_TRACKING_TOKEN: String(token) };
}

describe(`the real MLflow client's tour against ciclo server${AUTH ? ` (auth on, ${AUTH})` : ""}`, () => {
  const dir = tempDir("ciclo-client-tour-");
  let server: ChildServer | undefined;
  let credentials: Record<string, string> = {};
  before(async () => {
    if (AUTH) {
      const ini = join(dir.path, "basic_auth.ini");
      writeFileSync(ini, `[mlflow]\ndefault_permission = READ\nadmin_username = ${ADMIN.username}\nadmin_password = ${ADMIN.password}\n`);
      server = await startChildServer(`sqlite:///${join(dir.path, "ciclo.db")}`, join(dir.path, "artifacts"), {
        args: ["--app-name", "basic-auth"],
        env: { MLFLOW_AUTH_CONFIG_PATH: ini },
      });
      credentials = await tourCredentials(server.url);
    } else {
      server = await startChildServer(`sqlite:///${join(dir.path, "ciclo.db")}`, join(dir.path, "artifacts"));
    }
  });
  after(async () => {
    server?.proc.kill("SIGTERM");
    if (server) await server.exited;
    dir.remove();
  });

  for (const version of VERSIONS) {
    test(`MLflow ${version}: tracking, artifacts, datasets, registry, pyfunc by alias, lifecycle`, { timeout: 480_000 }, async (t) => {
      const mp = await findMlflowPython(version, join(dir.path, `py-${version}`));
      if (!mp) return t.skip(`MLflow ${version} cannot run here`);
      const t0 = performance.now();
      const { stdout } = await run(mp.python, [TOUR, server!.url, version.replace(".", "")], {
        env: { ...clientEnv(), ...mp.env, MLFLOW_TRACKING_URI: server!.url, ...credentials },
        cwd: dir.path,
        maxBuffer: 16 * 1024 * 1024,
        timeout: 420_000,
      }).catch((err: { stderr?: string; message: string }) => {
        throw new Error(`the MLflow ${version} tour failed: ${err.message.split("\n")[0]}\n${(err.stderr ?? "").slice(-6000)}\n--- server stderr:\n${server?.stderr().slice(-3000)}`);
      });
      t.diagnostic(`MLflow ${version} tour: ${Math.round(performance.now() - t0)} ms`);
      const r = JSON.parse(stdout.trim().split("\n").pop()!) as TourSummary;
      assert.ok(String(r.mlflow).startsWith(version), r.mlflow);
      assert.deepEqual(r.experiment, { name: `tour-${version.replace(".", "")}`, tags: { team: "tour" }, stage: "active" });
      assert.deepEqual(r.runs, { params: { lr: "0.01", depth: "2", opt: "sgd" }, metrics: { loss: 0.25, acc: 0.6 }, history: 3 });
      assert.deepEqual(r.log_batch, { params: { p1: "a", p2: "b" }, metrics: { m: 8, other: 7.5 }, status: "FINISHED" });
      assert.deepEqual(r.search_runs, { by_acc_desc: 2, by_lr_asc: 3 });
      assert.deepEqual(r.artifacts.tree, ["tree/data.bin", "tree/sub", "tree/top.csv"]);
      assert.deepEqual(r.artifacts.deeper, ["tree/sub/deeper/z.json"]);
      assert.equal(r.artifacts.files, 9);
      assert.equal(r.artifacts.model_in_run, version === "2.10"); // MLflow 3 keeps models under the logged model
      assert.deepEqual(r.datasets.names, ["tour-eval", "tour-train"]);
      assert.deepEqual(r.datasets.contexts, { "tour-train": "training", "tour-eval": "eval" });
      assert.deepEqual(r.registry, { alias_version: "1", stage: "Staging", predictions_equal: true, n_predictions: 30 });
      if (version === "3.3") assert.equal(r.logged_model?.found, 1);
      else assert.equal(r.logged_model, undefined);
      assert.deepEqual(r.lifecycle, { run: "deleted-restored", experiment: "deleted-restored" });
    });
  }
});
