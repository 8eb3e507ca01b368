/**
 * Safe defaults of `ciclo server`: a non-loopback address needs
 * authentication (or --insecure); authentication needs a first admin (no
 * built-in password); MLflow's --app-name basic-auth turns it on.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { assertSafeExposure, isLoopback, resolveServerConfig } from "../server/config.js";
import { runCiclo } from "../testing/child-server.js";
import { tempDir } from "../testing/temp-dir.js";

test("loopback addresses", () => {
  for (const h of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"]) assert.equal(isLoopback(h), true, h);
  for (const h of ["0.0.0.0", "::", "10.0.0.5", "192.168.1.2", "example.com", "128.0.0.1"]) assert.equal(isLoopback(h), false, h);
});

test("a public address without auth is refused unless --insecure; --app-name basic-auth and --auth turn auth on", () => {
  const open = resolveServerConfig({ host: "0.0.0.0" }, {});
  assert.throws(() => assertSafeExposure(open), /Refusing to listen on 0\.0\.0\.0 without authentication.*--insecure/s);
  assert.doesNotThrow(() => assertSafeExposure(resolveServerConfig({ host: "0.0.0.0", insecure: true }, {})));
  assert.doesNotThrow(() => assertSafeExposure(resolveServerConfig({ host: "0.0.0.0" }, { CICLO_INSECURE: "1" })));
  assert.doesNotThrow(() => assertSafeExposure(resolveServerConfig({ host: "127.0.0.1" }, {})));
  const mlflowStyle = resolveServerConfig({ host: "0.0.0.0", appName: "basic-auth" }, { MLFLOW_AUTH_CONFIG_PATH: "/x/basic_auth.ini" });
  assert.equal(mlflowStyle.auth?.enabled, true);
  assert.equal(mlflowStyle.auth?.configPath, "/x/basic_auth.ini");
  assert.doesNotThrow(() => assertSafeExposure(mlflowStyle));
  assert.equal(resolveServerConfig({ auth: true }, {}).auth?.enabled, true);
  assert.equal(resolveServerConfig({}, {}).auth?.enabled, false, "off by default");
  assert.throws(() => resolveServerConfig({ appName: "oauth" }, {}), /Unknown --app-name 'oauth'/);
});

test("ciclo server refuses 0.0.0.0 without auth, and auth without a first admin", { timeout: 120_000 }, async () => {
  const dir = tempDir("ciclo-exposure-");
  try {
    const db = `sqlite:///${join(dir.path, "ciclo.db")}`;
    const open = await runCiclo(["server", "--host", "0.0.0.0", "--port", "0", "--backend-store-uri", db]);
    assert.equal(open.code, 1, open.stdout + open.stderr);
    assert.match(open.stderr + open.stdout, /Refusing to listen on 0\.0\.0\.0 without authentication/);
    const noAdmin = await runCiclo(["server", "--auth", "--port", "0", "--backend-store-uri", db], { CICLO_ADMIN_USERNAME: "", CICLO_ADMIN_PASSWORD: "", MLFLOW_AUTH_CONFIG_PATH: "" });
    assert.equal(noAdmin.code, 1, noAdmin.stdout + noAdmin.stderr);
    assert.match(noAdmin.stderr + noAdmin.stdout, /no first admin is configured: set admin_username and admin_password/);
  } finally {
    dir.remove();
  }
});
