/**
 * A signed-in user changes their own password (`POST /api/ciclo/v1/auth/password`)
 * on the real app: the current password is required (a wrong one is refused,
 * audited and throttled like a sign-in), the new one must be strong and new;
 * the user's other web UI sessions end while the one used stays; the old
 * password stops working; the audit log says who did it. A service account
 * has no password to change; a cookie-signed change needs the CSRF token.
 * On SQLite and PostgreSQL (skipped with the reason when it is unreachable,
 * failing under CICLO_REQUIRE_ALL=1).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createTestDatabase, postgresUnavailable } from "../../testing/postgres-fixture.js";
import { assertError } from "../../testing/test-app.js";
import { ADMIN, openAuthTestApp, type AuthTestApp } from "./auth-test-app.js";

const AUTH = "/api/ciclo/v1/auth";

const pgUnavailable = await postgresUnavailable();

for (const backend of ["sqlite", "postgres"] as const) describe(`changing one's own password (${backend})`, { skip: backend === "postgres" && pgUnavailable }, () => {
  let fx: AuthTestApp;
  before(async () => {
    const pg = backend === "postgres" ? await createTestDatabase() : undefined;
    fx = await openAuthTestApp({ backend: pg?.uri, onClose: pg && (() => pg.drop()) });
  });
  after(() => fx?.close());

  const login = async (who: { username: string; password: string }) => {
    const r = await fx.as(undefined, "POST", `${AUTH}/login`, who);
    assert.equal(r.status, 200, r.text);
    const line = [r.headers["set-cookie"]].flat().map(String).find((c) => c.startsWith("ciclo_session="))!;
    return { cookie: `ciclo_session=${line.slice("ciclo_session=".length).split(";")[0]}`, csrf: r.json.csrf_token as string };
  };
  const session = (s: { cookie: string }) => fx.as(undefined, "GET", `${AUTH}/session`, undefined, { cookie: s.cookie });

  test("from the web UI: the current password is checked, other sessions end, this one stays, the audit log says so", async () => {
    const carol = await fx.addUser("carol");
    const here = await login(carol);
    const elsewhere = await login(carol);
    const change = (body: unknown, headers: Record<string, string> = { cookie: here.cookie, "x-csrf-token": here.csrf }) => fx.as(undefined, "POST", `${AUTH}/password`, body, headers);

    assertError(await change({ current_password: carol.password, new_password: "carol-new-password-2" }, { cookie: here.cookie }), 403, "PERMISSION_DENIED");
    const wrong = await change({ current_password: "not-it", new_password: "carol-new-password-2" });
    assertError(wrong, 403, "PERMISSION_DENIED");
    assert.match(wrong.json.message, /current password is not right/);
    assertError(await change({ current_password: carol.password, new_password: "short" }), 400, "INVALID_PARAMETER_VALUE");
    assertError(await change({ current_password: carol.password, new_password: carol.password }), 400, "INVALID_PARAMETER_VALUE");
    assert.equal((await session(elsewhere)).json.user?.username, "carol", "refused changes end nothing");

    const ok = await change({ current_password: carol.password, new_password: "carol-new-password-2" });
    assert.equal(ok.status, 200, ok.text);
    assert.equal((await session(here)).json.user?.username, "carol", "the session used stays signed in");
    assert.equal((await session(elsewhere)).json.user, undefined, "the other session is signed out");
    assertError(await fx.as(carol, "GET", `${AUTH}/me`), 401, "UNAUTHENTICATED");
    assert.equal((await fx.as({ username: "carol", password: "carol-new-password-2" }, "GET", `${AUTH}/me`)).json.user.username, "carol");

    const audit = (await fx.as(ADMIN, "GET", `${AUTH}/audit?max_results=50`)).json.events as Array<{ type: string; actor?: string; subject?: string }>;
    assert.ok(audit.some((e) => e.type === "user.password_changed" && e.actor === "carol" && e.subject === "carol"), JSON.stringify(audit.slice(0, 5)));
    assert.ok(audit.some((e) => e.type === "user.password_change_failed" && e.subject === "carol"));
  });

  test("with HTTP Basic or a token: every web UI session of the user ends; a service account has no password", async () => {
    const dan = await fx.addUser("dan");
    const s = await login(dan);
    const r = await fx.as(dan, "POST", `${AUTH}/password`, { current_password: dan.password, new_password: "dan-new-password-2" });
    assert.equal(r.status, 200, r.text);
    assert.equal((await session(s)).json.user, undefined);

    assert.equal((await fx.as(ADMIN, "POST", `${AUTH}/service-accounts`, { username: "ci-bot" })).status, 200);
    const token = (await fx.as(ADMIN, "POST", `${AUTH}/tokens`, { name: "t", username: "ci-bot" })).json.token as string;
    const sa = await fx.as({ token }, "POST", `${AUTH}/password`, { current_password: "x", new_password: "ci-bot-password-2" });
    assertError(sa, 400, "INVALID_PARAMETER_VALUE");
    assert.match(sa.json.message, /service account/);
    assertError(await fx.as(undefined, "POST", `${AUTH}/password`, { current_password: "x", new_password: "y-password-long" }), 401, "UNAUTHENTICATED");
  });
});
