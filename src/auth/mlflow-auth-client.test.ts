/**
 * The real MLflow client (the shared oracle, 2.10.2 and 3.3) against
 * `ciclo server --app-name basic-auth` with MLflow's own auth configuration
 * file: `AuthServiceClient` manages users and permissions, the tracking
 * client signs in with MLFLOW_TRACKING_USERNAME/PASSWORD and with
 * MLFLOW_TRACKING_TOKEN. Skips with the reason when the oracle cannot run
 * (fails under CICLO_REQUIRE_ALL=1).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, describe, test } from "node:test";
import { findOracle, type MlflowVersion } from "../mlflow-import/testing/mlflow-oracle.js";
import { startChildServer, type ChildServer } from "../testing/child-server.js";
import { tempDir } from "../testing/temp-dir.js";

const run = promisify(execFile);
const FLOW = fileURLToPath(new URL("./testing/mlflow-auth-flow.py", import.meta.url));

for (const version of ["2.10", "3.3"] as MlflowVersion[]) {
  describe(`MLflow ${version} client with auth on`, () => {
    const dir = tempDir("ciclo-auth-client-");
    let server: ChildServer | undefined;
    after(async () => {
      server?.proc.kill("SIGTERM");
      if (server) await server.exited;
      dir.remove();
    });

    test("AuthServiceClient, Basic and token sign-in, permissions as MLflow's basic-auth app", { timeout: 300_000 }, async (t) => {
      const oracle = await findOracle(dir.path);
      if (!oracle) return t.skip("the MLflow oracle cannot run here");
      const ini = join(dir.path, "basic_auth.ini");
      writeFileSync(ini, "[mlflow]\ndefault_permission = READ\ndatabase_uri = sqlite:///ignored.db\nadmin_username = admin\nadmin_password = admin-password-1\n");
      server = await startChildServer(`sqlite:///${join(dir.path, "ciclo.db")}`, join(dir.path, "artifacts"), {
        args: ["--app-name", "basic-auth"],
        env: { MLFLOW_AUTH_CONFIG_PATH: ini },
      });
      const env = { ...oracle.env(version) };
      // MLflow 3's auth package imports Flask-WTF (for its server's CSRF) even when only the client is used; the
      // oracle lacks it, so an inert stand-in on the path lets `AuthServiceClient` import. Test tooling only.
      const shim = join(dir.path, "flask-wtf-shim");
      mkdirSync(join(shim, "flask_wtf"), { recursive: true });
      writeFileSync(join(shim, "flask_wtf", "__init__.py"), "");
      writeFileSync(join(shim, "flask_wtf", "csrf.py"), "class CSRFProtect:\n    def __init__(self, *a, **k):\n        pass\n\n    def init_app(self, *a, **k):\n        pass\n\n    def exempt(self, f):\n        return f\n");
      env.PYTHONPATH = `${env.PYTHONPATH}:${shim}`;
      for (const k of ["MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN"]) delete env[k];
      const { stdout } = await run("/usr/bin/python3", [FLOW, server.url, "admin", "admin-password-1"], { env, maxBuffer: 16 * 1024 * 1024, timeout: 240_000 }).catch((err: { stderr?: string }) => {
        throw new Error(`the MLflow flow failed:\n${err.stderr}\n--- server stderr:\n${server?.stderr()}`);
      });
      const r = JSON.parse(stdout.trim().split("\n").pop()!) as Record<string, unknown>;
      assert.deepEqual(r.alice, { username: "alice", is_admin: false, id: (r.alice as { id: number }).id });
      assert.equal(r.creator_permission, "MANAGE");
      assert.equal(r.creator_model_permission, "MANAGE");
      assert.equal(r.bob_reads_run, "0.1");
      assert.equal(r.bob_writes, "PERMISSION_DENIED");
      assert.equal(r.bob_downloads, "alice-notes");
      assert.equal(r.bob_creates_user, "PERMISSION_DENIED");
      assert.equal(r.bob_writes_with_edit, "ok");
      assert.equal(r.bob_deletes_with_edit, "PERMISSION_DENIED");
      assert.equal(r.bob_permission, "NO_PERMISSIONS");
      assert.equal(r.bob_get_run_hidden, "RESOURCE_DOES_NOT_EXIST");
      assert.equal(r.bob_get_experiment_hidden, "RESOURCE_DOES_NOT_EXIST");
      assert.equal(r.bob_get_model_hidden, "RESOURCE_DOES_NOT_EXIST");
      assert.ok(!(r.bob_search_experiments as string[]).includes("alice-exp"), String(r.bob_search_experiments));
      assert.ok(!(r.bob_search_models as string[]).includes("alice-model"));
      assert.equal(r.bob_reads_alice_user, "PERMISSION_DENIED");
      assert.equal(r.bob_reads_self, "bob");
      assert.equal(r.old_password, "UNAUTHENTICATED");
      assert.equal(r.token_run_logged, true);
      assert.equal(r.token_hidden_run, "RESOURCE_DOES_NOT_EXIST");
      assert.equal(r.bad_token, "UNAUTHENTICATED");
      assert.equal(r.admin_reads_run, true);
      assert.equal(r.bob_admin, true);
      assert.equal(r.bob_deleted, "RESOURCE_DOES_NOT_EXIST");
    });
  });
}
