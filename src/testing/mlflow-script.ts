/**
 * Test helper for the compat tests: runs a Python script with the real MLflow
 * client (the shared oracle, see mlflow-python.ts) against a live ciclo
 * server and returns the JSON summary it prints last; and the auth set-up
 * those tests repeat (a server with authentication on, a user made by its
 * admin). The script's caller credentials are only the ones passed: the
 * caller's own MLFLOW_TRACKING_USERNAME/PASSWORD/TOKEN are dropped.
 * @module
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import type { TestContext } from "node:test";
import { findMlflowPython, type MlflowVersion } from "./mlflow-python.js";
import { startLiveTrackingServer, type LiveTrackingServer } from "./live-tracking-server.js";

const run = promisify(execFile);

export interface MlflowScriptOptions {
  /** Arguments after the server's URL. */
  args?: string[];
  /** MLFLOW_TRACKING_USERNAME/PASSWORD (or TOKEN) to run as. */
  credentials?: Record<string, string>;
  version?: MlflowVersion;
  /** Names the script in a failure's message. */
  what?: string;
}

/**
 * Runs `script <server.url> ...args` under the real MLflow client (MLFLOW_TRACKING_URI set to the server) and
 * returns the JSON object on its last line of output, after checking it names the MLflow version it ran;
 * undefined when the oracle cannot run here (the test is marked skipped; a failure under CICLO_REQUIRE_ALL=1).
 */
export async function runMlflowScript(
  t: TestContext,
  server: Pick<LiveTrackingServer, "url" | "dir">,
  script: string,
  opts: MlflowScriptOptions = {},
): Promise<Record<string, any> | undefined> {
  const version = opts.version ?? "3.3";
  const mp = await findMlflowPython(version, join(server.dir, "py"));
  if (!mp) {
    t.skip(`MLflow ${version} cannot run here`);
    return undefined;
  }
  const env = { ...process.env };
  for (const k of ["MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN"]) delete env[k];
  const { stdout } = await run(mp.python, [script, server.url, ...(opts.args ?? [])], {
    env: { ...env, ...mp.env, MLFLOW_TRACKING_URI: server.url, ...opts.credentials },
    cwd: server.dir,
    maxBuffer: 16 * 1024 * 1024,
    timeout: 240_000,
  }).catch((err: { stderr?: string; message: string }) => {
    throw new Error(`the MLflow ${version} ${opts.what ?? "script"} failed: ${err.message.split("\n")[0]}\n${(err.stderr ?? "").slice(-6000)}`);
  });
  const r = JSON.parse(stdout.trim().split("\n").pop()!) as Record<string, any>;
  assert.ok(String(r.mlflow).startsWith(version), r.mlflow);
  return r;
}

export interface Account {
  username: string;
  password: string;
}

/** A live server with authentication on, `admin` its admin, and no permission by default. */
export function startLiveServerWithAuth(admin: Account): Promise<LiveTrackingServer> {
  return startLiveTrackingServer({
    env: { CICLO_AUTH: "1", CICLO_ADMIN_USERNAME: admin.username, CICLO_ADMIN_PASSWORD: admin.password, CICLO_DEFAULT_PERMISSION: "NO_PERMISSIONS" },
  });
}

/** Makes `user` through MLflow's users/create as `admin`; returns the credentials the client runs as. */
export async function createUserAs(url: string, admin: Account, user: Account): Promise<Record<string, string>> {
  const res = await fetch(`${url}/api/2.0/mlflow/users/create`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Basic ${Buffer.from(`${admin.username}:${admin.password}`).toString("base64")}` },
    body: JSON.stringify(user),
  });
  assert.equal(res.status, 200, await res.text());
  return { MLFLOW_TRACKING_USERNAME: user.username, MLFLOW_TRACKING_PASSWORD: user.password };
}
