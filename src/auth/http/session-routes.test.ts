/**
 * The web UI's sign-in on the real app: the session cookie's attributes, the
 * CSRF token on cookie-authenticated writes (refused writes change nothing),
 * logout, lockout messages, no browser dialog for the UI's own calls, a
 * password change ending sessions, and expiry (SessionService on the real
 * store with a moving clock). With authentication off, the UI learns it has
 * nothing to sign in to.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { SqlAuthStore } from "../../store/sql/auth/sql-auth-store.js";
import { assertError, openTestApp } from "../../testing/test-app.js";
import { SessionService } from "../sessions.js";
import { ADMIN, openAuthTestApp, type AuthTestApp } from "./auth-test-app.js";

const API = "/api/2.0/mlflow";
const AUTH = "/api/ciclo/v1/auth";

function cookieOf(setCookie: unknown): { value: string; attrs: string } {
  const line = [setCookie].flat().map(String).find((c) => c.startsWith("ciclo_session="));
  assert.ok(line, `no ciclo_session cookie in ${String(setCookie)}`);
  const value = line.slice("ciclo_session=".length).split(";")[0]!;
  return { value, attrs: line };
}

describe("UI sessions (auth on)", () => {
  let fx: AuthTestApp;
  let alice: { username: string; password: string };
  before(async () => {
    fx = await openAuthTestApp();
    alice = await fx.addUser("alice");
  });
  after(() => fx?.close());

  const login = async (who: { username: string; password: string }) => {
    const r = await fx.as(undefined, "POST", `${AUTH}/login`, who);
    assert.equal(r.status, 200, r.text);
    return { cookie: cookieOf(r.headers["set-cookie"]), csrf: r.json.csrf_token as string, body: r.json };
  };
  const withCookie = (cookie: string, method: string, url: string, body?: unknown, headers: Record<string, string> = {}) =>
    fx.as(undefined, method, url, body, { cookie: `ciclo_session=${cookie}`, ...headers });

  test("no session: the UI learns sign-in is needed, and its calls get 401 without a browser dialog", async () => {
    const s = await fx.as(undefined, "GET", `${AUTH}/session`);
    assert.equal(s.status, 200);
    assert.deepEqual(s.json, { auth_enabled: true });
    const ui = await fx.as(undefined, "POST", `${API}/experiments/search`, { max_results: 10 }, { "x-requested-with": "ciclo-ui" });
    assertError(ui, 401, "UNAUTHENTICATED");
    assert.equal(ui.headers["www-authenticate"], undefined);
    const other = await fx.as(undefined, "POST", `${API}/experiments/search`, { max_results: 10 });
    assert.match(String(other.headers["www-authenticate"]), /^Basic/);
  });

  test("login sets an HttpOnly SameSite=Strict cookie (not Secure over http) and the session names the user", async () => {
    const { cookie, csrf, body } = await login(alice);
    assert.match(cookie.attrs, /HttpOnly/);
    assert.match(cookie.attrs, /SameSite=Strict/);
    assert.match(cookie.attrs, /Path=\//);
    assert.doesNotMatch(cookie.attrs, /Secure/);
    assert.equal(body.user.username, "alice");
    assert.equal(body.user.is_admin, false);
    const s = await withCookie(cookie.value, "GET", `${AUTH}/session`);
    assert.equal(s.json.user.username, "alice");
    assert.equal(s.json.csrf_token, csrf);
    const me = await withCookie(cookie.value, "GET", `${AUTH}/me`);
    assert.equal(me.status, 200, me.text);
    assert.equal(me.json.via, "session");
  });

  test("a write signed in by the cookie needs the session's CSRF token; without it nothing changes", async () => {
    const { cookie, csrf } = await login(alice);
    const forged = await withCookie(cookie.value, "POST", `${API}/experiments/create`, { name: "forged" });
    assertError(forged, 403, "PERMISSION_DENIED");
    assert.match(forged.json.message, /CSRF/);
    const wrong = await withCookie(cookie.value, "POST", `${API}/experiments/create`, { name: "forged" }, { "x-csrf-token": `${csrf.slice(0, -2)}xx` });
    assertError(wrong, 403, "PERMISSION_DENIED");
    const look = await fx.as(ADMIN, "GET", `${API}/experiments/get-by-name?experiment_name=forged`);
    assertError(look, 404, "RESOURCE_DOES_NOT_EXIST");
    const ok = await withCookie(cookie.value, "POST", `${API}/experiments/create`, { name: "by-session" }, { "x-csrf-token": csrf });
    assert.equal(ok.status, 200, ok.text);
    // The creator's MANAGE is recorded for the session's user, as for Basic.
    const perm = await fx.as(ADMIN, "GET", `${API}/experiments/permissions/get?experiment_id=${ok.json.experiment_id}&username=alice`);
    assert.equal(perm.json.experiment_permission.permission, "MANAGE");
    // Reads need no token, MLflow's POST searches included (a cross-site page cannot read their answers).
    assert.equal((await withCookie(cookie.value, "GET", `${API}/experiments/get?experiment_id=${ok.json.experiment_id}`)).status, 200);
    const search = await withCookie(cookie.value, "POST", `${API}/experiments/search`, { max_results: 5 });
    assert.equal(search.status, 200, search.text);
  });

  test("logout needs the token, ends the session and clears the cookie", async () => {
    const { cookie, csrf } = await login(alice);
    assertError(await withCookie(cookie.value, "POST", `${AUTH}/logout`), 403, "PERMISSION_DENIED");
    const out = await withCookie(cookie.value, "POST", `${AUTH}/logout`, undefined, { "x-csrf-token": csrf });
    assert.equal(out.status, 200, out.text);
    assert.match(String(out.headers["set-cookie"]), /ciclo_session=;.*Expires=Thu, 01 Jan 1970/);
    const after = await withCookie(cookie.value, "GET", `${API}/experiments/search?max_results=1`);
    assertError(after, 401, "UNAUTHENTICATED");
    assert.match(after.json.message, /session has expired or was signed out/);
    const audit = await fx.as(ADMIN, "GET", `${AUTH}/audit?type=logout`);
    assert.equal(audit.json.events[0].actor, "alice");
  });

  test("a password change signs the user out of every session", async () => {
    const bob = await fx.addUser("bob");
    const { cookie } = await login(bob);
    const r = await fx.as(ADMIN, "PATCH", `${API}/users/update-password`, { username: "bob", password: "bob-new-password-2" });
    assert.equal(r.status, 200, r.text);
    assertError(await withCookie(cookie.value, "GET", `${AUTH}/me`), 401, "UNAUTHENTICATED");
  });

  test("wrong passwords: a clear 401 stating the lockout rule; a locked account answers as an unknown name does", async () => {
    const carol = await fx.addUser("carol");
    const bad = await fx.as(undefined, "POST", `${AUTH}/login`, { username: "carol", password: "not-her-password" });
    assertError(bad, 401, "UNAUTHENTICATED");
    assert.equal(bad.json.message, "Invalid username or password. After 10 failed sign-ins in a row an account is locked for 15 minutes.");
    assert.equal(bad.headers["set-cookie"], undefined);
    assert.equal(bad.headers["www-authenticate"], undefined);
    for (let i = 0; i < 9; i++) await fx.as(undefined, "POST", `${AUTH}/login`, { username: "carol", password: "not-her-password" });
    // Locked: even her right password is refused, with the very answer an unknown name gets (before: 429 with
    // the time left, which told that the name exists).
    const locked = await fx.as(undefined, "POST", `${AUTH}/login`, carol);
    const unknown = await fx.as(undefined, "POST", `${AUTH}/login`, { username: "no-carol-here", password: carol.password });
    assertError(locked, 401, "UNAUTHENTICATED");
    const seen = (r: typeof locked) => [r.status, r.json, r.headers["retry-after"], r.headers["set-cookie"], r.headers["www-authenticate"]];
    assert.deepEqual(seen(locked), seen(unknown));
    const audit = await fx.as(ADMIN, "GET", `${AUTH}/audit?type=user.locked`);
    assert.deepEqual(audit.json.events.map((e: { subject: string }) => e.subject), ["carol"], "the admin sees the lockout");
  });

  test("login takes JSON only (a cross-site form cannot sign a browser in)", async () => {
    const r = await fx.request("POST", `${AUTH}/login`, "username=alice&password=alice-password-1", { "content-type": "application/x-www-form-urlencoded" });
    assert.ok(r.status >= 400 && r.status < 500, `status ${r.status}`);
    assert.equal(r.headers["set-cookie"], undefined);
  });
});

describe("session expiry (real store, moving clock)", () => {
  test("a session ends after its idle time and after its lifetime, and is deleted then", async () => {
    const fx = await openAuthTestApp();
    try {
      const store = new SqlAuthStore(fx.db);
      const user = (await store.getUser(ADMIN.username))!;
      let now = 1_000_000;
      const sessions = new SessionService(store, { ttlMs: 10 * 60_000, idleMs: 3 * 60_000 }, () => now);
      const a = await sessions.create(user, "password");
      now += 2 * 60_000;
      assert.equal((await sessions.resolve(a.id))?.user.username, "admin"); // touched: idle clock restarts
      now += 2 * 60_000;
      assert.ok(await sessions.resolve(a.id), "within idle time of the last request");
      now += 3 * 60_000;
      assert.equal(await sessions.resolve(a.id), undefined, "idle too long");
      now = 1_000_000;
      const b = await sessions.create(user, "password");
      for (let t = 1; t <= 9; t++) {
        now = 1_000_000 + t * 60_000;
        assert.ok(await sessions.resolve(b.id), `minute ${t}`);
      }
      now = 1_000_000 + 10 * 60_000;
      assert.equal(await sessions.resolve(b.id), undefined, "past its lifetime");
      now = 1_000_000;
      assert.equal(await sessions.resolve(b.id), undefined, "deleted when found expired");
    } finally {
      await fx.close();
    }
  });
});

describe("UI sessions (auth off)", () => {
  test("the session route says authentication is off; nothing else changes", async () => {
    const fx = await openTestApp();
    try {
      const r = await fx.get("/auth/session", undefined, { prefix: "/api/ciclo/v1" });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json, { auth_enabled: false });
    } finally {
      await fx.close();
    }
  });
});
