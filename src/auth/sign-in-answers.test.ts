/**
 * A refused password sign-in tells nothing about the name it was given: an unknown name, a known name with a
 * wrong password, and a locked account (even given its right password) are refused with the same error and
 * message, and take the same time (each costs one scrypt hash) — while the lock still keeps the right password
 * out. AuthService on the real auth store (SQLite) and the real password hashing; the per-address throttle is
 * set out of the way so that only the account rule answers.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { SqlAuthStore } from "../store/sql/auth/sql-auth-store.js";
import { openAuthTestApp, type AuthTestApp } from "./http/auth-test-app.js";
import { UnauthenticatedError } from "./auth-errors.js";
import { AuthService } from "./auth-service.js";
import { DEFAULT_THROTTLE } from "./login-throttle.js";

/** The error a sign-in was refused with, and how long it took (ms). */
async function refusal(auth: AuthService, username: string, password: string): Promise<{ name: string; code: string; message: string; ms: number }> {
  const t0 = performance.now();
  const err = await auth.authenticatePassword(username, password, "10.0.0.1").then(
    () => assert.fail(`${username} signed in`),
    (e: unknown) => e as UnauthenticatedError,
  );
  return { name: err.constructor.name, code: err.errorCode, message: err.message, ms: performance.now() - t0 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe("refused sign-ins look the same for every name", () => {
  let fx: AuthTestApp;
  let auth: AuthService;
  let now = Date.now();
  before(async () => {
    fx = await openAuthTestApp();
    const throttle = { ...DEFAULT_THROTTLE, maxFailuresPerAddress: 10_000 };
    auth = new AuthService(new SqlAuthStore(fx.db), { defaultPermission: "READ", throttle, credentialCacheMs: 0, now: () => now });
    await auth.createUser(null, "dora", "dora-password-1");
    await auth.createUser(null, "emil", "emil-password-1");
  });
  after(() => fx?.close());

  test("unknown name, wrong password and locked account: one error, one message, one cost; the lock holds", async () => {
    // dora is locked: ten wrong passwords in a row.
    for (let i = 0; i < DEFAULT_THROTTLE.maxFailuresPerAccount; i++) await refusal(auth, "dora", `wrong-${i}-password`);
    const kinds = {
      unknown: () => refusal(auth, "nobody-by-this-name", "some-password-1"),
      wrong: () => refusal(auth, "emil", "not-emils-password"),
      locked: () => refusal(auth, "dora", "dora-password-1"), // the right password, refused while locked
    };
    const seen: Record<string, Array<Awaited<ReturnType<typeof refusal>>>> = { unknown: [], wrong: [], locked: [] };
    // emil must not be locked by the rounds below: his count is reset by a good sign-in every few rounds.
    for (let round = 0; round < 15; round++) {
      for (const [k, f] of Object.entries(kinds)) seen[k]!.push(await f());
      if (round % 5 === 4) await auth.authenticatePassword("emil", "emil-password-1", "10.0.0.1");
    }
    const answers = new Set(Object.values(seen).flat().map((r) => JSON.stringify([r.name, r.code, r.message])));
    assert.deepEqual([...answers], [JSON.stringify(["UnauthenticatedError", "UNAUTHENTICATED", "Invalid username or password. After 10 failed sign-ins in a row an account is locked for 15 minutes."])]);
    // Timing: each kind costs one scrypt hash (tens of ms); before, a locked account answered without one.
    const m = Object.fromEntries(Object.entries(seen).map(([k, rs]) => [k, median(rs.map((r) => r.ms))]));
    const lo = Math.min(...Object.values(m));
    const hi = Math.max(...Object.values(m));
    assert.ok(lo > 5, `every answer hashes: medians ${JSON.stringify(m)}`);
    assert.ok(hi / lo < 1.5, `medians within noise of each other: ${JSON.stringify(m)}`);
    // The lock holds over HTTP too (the server's own service, same database), with the same answer as an unknown name.
    const viaHttp = await fx.as({ username: "dora", password: "dora-password-1" }, "GET", "/api/ciclo/v1/auth/me");
    const unknownViaHttp = await fx.as({ username: "nobody-by-this-name", password: "dora-password-1" }, "GET", "/api/ciclo/v1/auth/me");
    assert.equal(viaHttp.status, 401);
    assert.deepEqual([viaHttp.status, viaHttp.json, viaHttp.headers["www-authenticate"], viaHttp.headers["retry-after"]], [unknownViaHttp.status, unknownViaHttp.json, unknownViaHttp.headers["www-authenticate"], unknownViaHttp.headers["retry-after"]]);
    // And it ends: once the lock time has passed, the right password signs dora in.
    now += DEFAULT_THROTTLE.lockMs + 1;
    assert.equal((await auth.authenticatePassword("dora", "dora-password-1", "10.0.0.1")).user.username, "dora");
  });
});
