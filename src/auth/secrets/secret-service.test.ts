/**
 * Secrets: encrypted at rest with AES-256-GCM, never answered after creation,
 * readable by server code by name; admins only when auth is on.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { assertError } from "../../testing/test-app.js";
import { ADMIN, openAuthTestApp, type AuthTestApp } from "../http/auth-test-app.js";
import { SecretCipher } from "./secret-cipher.js";

const KEY = randomBytes(32).toString("base64");
const VALUE = "registry-password-7f3a9c";

describe("secrets", () => {
  let fx: AuthTestApp;
  let bob: { username: string; password: string };
  before(async () => {
    fx = await openAuthTestApp({ config: { secretsKey: KEY } });
    bob = await fx.addUser("bob");
  });
  after(() => fx?.close());

  test("created once, never answered, stored encrypted, resolved by name", async () => {
    const created = await fx.as(ADMIN, "POST", "/api/ciclo/v1/secrets/create", { name: "registry.password", value: VALUE, description: "push to the team registry" });
    assert.equal(created.status, 200, created.text);
    assert.ok(!created.text.includes(VALUE));
    assert.equal(created.json.secret.created_by, "admin");
    const listed = await fx.as(ADMIN, "GET", "/api/ciclo/v1/secrets/list");
    assert.deepEqual(listed.json.secrets.map((s: { name: string }) => s.name), ["registry.password"]);
    assert.ok(!listed.text.includes(VALUE));
    const rows = await fx.snapshotTables(["auth_secrets"]);
    assert.ok(!JSON.stringify(rows).includes(VALUE), "the value is not stored in clear");
    assert.ok(!JSON.stringify(rows).includes(Buffer.from(VALUE).toString("base64")));
    const secrets = (await import("../../server/app.js")).moduleServices(fx.app).secrets!;
    assert.equal(await secrets.resolve("registry.password"), VALUE);
    assertError(await fx.as(ADMIN, "POST", "/api/ciclo/v1/secrets/create", { name: "registry.password", value: "x" }), 400, "RESOURCE_ALREADY_EXISTS");
    assert.equal((await fx.as(ADMIN, "POST", "/api/ciclo/v1/secrets/update", { name: "registry.password", value: "rotated" })).status, 200);
    assert.equal(await secrets.resolve("registry.password"), "rotated");
  });

  test("admins only; bad names and values refused", async () => {
    assertError(await fx.as(bob, "GET", "/api/ciclo/v1/secrets/list"), 403, "PERMISSION_DENIED");
    assertError(await fx.as(bob, "POST", "/api/ciclo/v1/secrets/create", { name: "mine", value: "v" }), 403, "PERMISSION_DENIED");
    assertError(await fx.as(undefined, "GET", "/api/ciclo/v1/secrets/list"), 401, "UNAUTHENTICATED");
    assertError(await fx.as(ADMIN, "POST", "/api/ciclo/v1/secrets/create", { name: "../etc", value: "v" }), 400, "INVALID_PARAMETER_VALUE");
    assertError(await fx.as(ADMIN, "POST", "/api/ciclo/v1/secrets/create", { name: "empty", value: "" }), 400, "INVALID_PARAMETER_VALUE");
    assertError(await fx.as(ADMIN, "DELETE", "/api/ciclo/v1/secrets/delete", { name: "nope" }), 404, "RESOURCE_DOES_NOT_EXIST");
  });
});

test("the cipher: another name, another key or an altered value does not decrypt", () => {
  const a = SecretCipher.fromText(KEY, "test");
  const b = SecretCipher.fromText(randomBytes(32).toString("hex"), "test");
  const stored = a.encrypt("s1", "value");
  assert.equal(a.decrypt("s1", stored), "value");
  assert.notEqual(a.encrypt("s1", "value"), stored, "a fresh IV each time");
  assert.throws(() => a.decrypt("s2", stored));
  assert.throws(() => b.decrypt("s1", stored));
  const raw = Buffer.from(stored, "base64");
  raw[raw.length - 1]! ^= 1;
  assert.throws(() => a.decrypt("s1", raw.toString("base64")));
  assert.throws(() => SecretCipher.fromText("too-short", "CICLO_SECRETS_KEY"), /32 random bytes/);
});
