/**
 * `ciclo auth|tokens|users|secrets` run as the real binary against a live
 * server with authentication on: login keeps a token (not the password) in a
 * 0600 file that later commands use; whoami; users and service accounts;
 * tokens created (stdout: the token only), used, revoked; secrets set from
 * stdin and never printed back; logout revokes; wrong passwords and missing
 * input give clear errors and exit codes.
 */
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runCiclo } from "../../testing/child-server.js";
import { saveCredential } from "../output/stored-credentials.js";
import { startLiveTrackingServer, type LiveTrackingServer } from "../../testing/live-tracking-server.js";
import { tempDir } from "../../testing/temp-dir.js";

const ADMIN = { username: "admin", password: "admin-password-1" };

describe("ciclo auth, tokens, users, secrets (binary against a live server, auth on)", () => {
  let live: LiveTrackingServer;
  const config = tempDir("ciclo-cli-config-");
  const baseEnv = () => ({
    CICLO_TRACKING_URI: live.url,
    CICLO_CONFIG_DIR: config.path,
    CICLO_HTTP_REQUEST_MAX_RETRIES: "0",
    MLFLOW_TRACKING_TOKEN: "",
    CICLO_TRACKING_TOKEN: "",
    MLFLOW_TRACKING_USERNAME: "",
    MLFLOW_TRACKING_PASSWORD: "",
    NO_COLOR: "1",
  });
  const cli = (args: string[], input?: string, env: Record<string, string> = {}) => runCiclo(args, { ...baseEnv(), ...env }, input);

  before(async () => {
    live = await startLiveTrackingServer({
      env: { CICLO_AUTH: "1", CICLO_ADMIN_USERNAME: ADMIN.username, CICLO_ADMIN_PASSWORD: ADMIN.password, CICLO_SECRETS_KEY: "11".repeat(32) },
    });
  });
  after(async () => {
    await live?.close();
    config.remove();
  });

  test("login keeps a token in a 0600 file; whoami and later commands use it", async () => {
    const bad = await cli(["auth", "login", "-u", "admin"], "not-the-password\n");
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /ciclo auth login: Invalid username or password\. After 10 failed sign-ins in a row an account is locked for 15 minutes\. \(UNAUTHENTICATED\)/);
    assert.doesNotMatch(bad.stderr, /Sign in from this machine/, "login itself is not told to log in");

    const r = await cli(["auth", "login", "-u", "admin", "--expires-in-days", "7"], `${ADMIN.password}\n`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Signed in to ${live.url} as admin\\. Token ciclo_.{4}… kept in .*credentials\\.json until `));
    const file = join(config.path, "credentials.json");
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const kept = readFileSync(file, "utf8");
    assert.doesNotMatch(kept, new RegExp(ADMIN.password), "the password is not stored");
    assert.match(kept, /"token": "ciclo_/);

    const who = await cli(["auth", "whoami"]);
    assert.equal(who.code, 0, who.stderr);
    assert.equal(who.stdout.trim(), `admin (admin) at ${live.url}, signed in with a token`);
  });

  test("users: create (password from stdin), service account, admin flag, list, delete", async () => {
    const empty = await cli(["users", "create", "alice"], "");
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /No password given: pipe it on stdin/);
    assert.equal((await cli(["users", "create", "alice"], "alice-password-1\n")).stdout, "Created user alice.\n");
    assert.match((await cli(["users", "service-account", "ci"])).stdout, /Created service account ci/);
    assert.equal((await cli(["users", "set-admin", "alice", "true"])).stdout, "alice is now an admin.\n");
    const list = JSON.parse((await cli(["users", "list", "--json"])).stdout) as Array<{ username: string; is_admin: boolean; is_service_account: boolean }>;
    assert.deepEqual(list.map((u) => `${u.username}:${u.is_admin}:${u.is_service_account}`).sort(), ["admin:true:false", "alice:true:false", "ci:false:true"]);
    const table = (await cli(["users", "list"])).stdout;
    assert.match(table, /^\s*ID\s+USERNAME\s+KIND\s+ADMIN\s+CREATED/);
    assert.match(table, /ci\s+service account\s+no/);
    // alice signs in with the password piped in.
    const alice = await cli(["auth", "whoami"], undefined, { MLFLOW_TRACKING_USERNAME: "alice", MLFLOW_TRACKING_PASSWORD: "alice-password-1" });
    assert.match(alice.stdout, /^alice \(admin\) at .* signed in with a password/);
    assert.equal((await cli(["users", "delete", "alice"])).stdout, "Deleted user alice.\n");
    const gone = await cli(["users", "delete", "alice"]);
    assert.equal(gone.code, 3, "not found exits 3");
  });

  test("tokens: created for a service account (stdout is the token only), used, listed, revoked", async () => {
    const created = await cli(["tokens", "create", "github-actions", "--user", "ci", "--expires-in-days", "30"]);
    assert.equal(created.code, 0, created.stderr);
    const token = created.stdout.trim();
    assert.match(token, /^ciclo_[A-Za-z0-9_-]{40,}$/);
    assert.equal(created.stdout, `${token}\n`);
    assert.match(created.stderr, /created; it is not shown again/);
    const asCi = await cli(["auth", "whoami"], undefined, { MLFLOW_TRACKING_TOKEN: token });
    assert.match(asCi.stdout, /^ci \(service account\) at .* signed in with a token/);
    const list = JSON.parse((await cli(["tokens", "list", "--user", "ci", "--json"])).stdout) as Array<{ id: number; name: string; hint: string }>;
    assert.equal(list.length, 1);
    assert.equal(list[0]!.name, "github-actions");
    assert.ok(token.startsWith(list[0]!.hint.replace("…", "")));
    assert.doesNotMatch((await cli(["tokens", "list", "--user", "ci"])).stdout, new RegExp(token.slice(12)));
    assert.equal((await cli(["tokens", "revoke", String(list[0]!.id), "--user", "ci"])).stdout, `Revoked token ${list[0]!.id}.\n`);
    const refused = await cli(["auth", "whoami"], undefined, { MLFLOW_TRACKING_TOKEN: token });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /Invalid, expired or revoked token\. \(UNAUTHENTICATED\)/);
    // The token was given and refused: the hint says so and how to get a new one, not "set a token".
    assert.match(refused.stderr, /\nThe token in MLFLOW_TRACKING_TOKEN was refused: it has expired, was revoked, or belongs to another server\. Get a new one with 'ciclo auth login -u <user>' then 'ciclo tokens create <name>'/);
    assert.doesNotMatch(refused.stderr, /or set MLFLOW_TRACKING_USERNAME/);
    assert.equal((await cli(["tokens", "revoke", "x"])).code, 2);
  });

  test("auth password: the current password and the new one from stdin; the old one stops working", async () => {
    assert.equal((await cli(["users", "create", "pat"], "pat-password-1\n")).stdout, "Created user pat.\n");
    const asPat = { MLFLOW_TRACKING_USERNAME: "pat", MLFLOW_TRACKING_PASSWORD: "pat-password-1" };
    // A refusal for want of permission says which account signed in and who can grant, not only "Permission denied".
    const denied = await cli(["users", "list"], undefined, asPat);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /^ciclo users list: Permission denied \(PERMISSION_DENIED\)\nThe credentials sign in, but that account may not do this\. 'ciclo auth whoami' shows which account they are; an admin, or a user with MANAGE on the experiment or registered model, can grant a permission\.\n$/);
    const wrong = await cli(["auth", "password"], "not-my-password\npat-password-2\n", asPat);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /current password is not right/);
    const one = await cli(["auth", "password"], "pat-password-1\n", asPat);
    assert.equal(one.code, 2);
    assert.match(one.stderr, /two lines/);
    const ok = await cli(["auth", "password"], "pat-password-1\npat-password-2\n", asPat);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^Password changed at /);
    assert.doesNotMatch(ok.stdout + ok.stderr, /pat-password/);
    assert.equal((await cli(["auth", "whoami"], undefined, asPat)).code, 1);
    assert.match((await cli(["auth", "whoami"], undefined, { ...asPat, MLFLOW_TRACKING_PASSWORD: "pat-password-2" })).stdout, /^pat at /);
  });

  test("secrets: the value comes from stdin or a file and is never printed", async () => {
    const value = "s3cr3t-registry-password";
    const set = await cli(["secrets", "set", "registry.password", "--description", "push to the team registry"], `${value}\n`);
    assert.equal(set.stdout, "Created secret registry.password.\n", set.stderr);
    const dir = tempDir("ciclo-secret-");
    try {
      const path = join(dir.path, "value.txt");
      (await import("node:fs")).writeFileSync(path, "rotated-value\n");
      assert.equal((await cli(["secrets", "set", "registry.password", "--from-file", path])).stdout, "Updated secret registry.password.\n");
    } finally {
      dir.remove();
    }
    const list = await cli(["secrets", "list"]);
    assert.match(list.stdout, /registry\.password\s+push to the team registry/);
    assert.doesNotMatch(list.stdout + list.stderr, /s3cr3t|rotated-value/);
    const resolved = await live.server.services.secrets!.resolve("registry.password");
    assert.equal(resolved, "rotated-value", "the file's value, one trailing newline dropped");
    assert.equal((await cli(["secrets", "delete", "registry.password"])).stdout, "Deleted secret registry.password.\n");
    assert.equal((await cli(["secrets", "list", "--json"])).stdout.trim(), "[]");
  });

  test("a kept token the server refuses: the hint says to sign in again, not to set a variable", async () => {
    const other = tempDir("ciclo-cli-config-stale-");
    try {
      saveCredential(live.url, { token: "ciclo_revoked-or-expired-token-000000000000000", username: "admin", tokenId: 999 }, { CICLO_CONFIG_DIR: other.path });
      const list = await cli(["experiments", "list"], undefined, { CICLO_CONFIG_DIR: other.path });
      assert.equal(list.code, 1);
      assert.match(list.stderr, /\(UNAUTHENTICATED\)\nThe token 'ciclo auth login' kept for http:\/\/\S+ was refused: it has expired or was revoked\. Sign in again with 'ciclo auth login -u <user>'/);
    } finally {
      other.remove();
    }
  });

  test("logout revokes the kept token; whoami then needs credentials again", async () => {
    const out = await cli(["auth", "logout"]);
    assert.equal(out.stdout, `Signed out of ${live.url}: token revoked and forgotten.\n`, out.stderr);
    const who = await cli(["auth", "whoami"]);
    assert.equal(who.code, 1);
    assert.match(who.stderr, /UNAUTHENTICATED/);
    assert.match((await cli(["auth", "logout"])).stdout, /Not signed in/);
    // Any command refused for want of credentials says how to sign in.
    const list = await cli(["experiments", "list"]);
    assert.equal(list.code, 1);
    assert.match(list.stderr, /\(UNAUTHENTICATED\)\nSign in from this machine with 'ciclo auth login -u <user>' \(it keeps a token\), or set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, or CICLO_TRACKING_TOKEN\.\n$/);
  });
});
