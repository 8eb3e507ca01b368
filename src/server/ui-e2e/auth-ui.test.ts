/**
 * Sign-in and the auth pages in a real browser against a real server with
 * authentication on: the sign-in page (a wrong password's message, then the
 * admin lands signed in with their name in the header), users (a new user
 * through the dialog), tokens (shown once, works as a Bearer token, revoked
 * stops working), the sharing dialog on an experiment, the audit log, sign
 * out — and single sign-on against a real OpenID provider (`oidc-provider`,
 * started here): "Sign in with SSO", sign in at the provider, land signed in;
 * the provider's groups decide who is a ciclo admin, and what a member may do
 * (CICLO_OIDC_GROUP_PERMISSIONS).
 *
 * With CICLO_UPDATE_SCREENSHOTS=1 also writes the screenshots docs/auth.md shows (docs/images/auth-*.png).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { docScreenshotPath } from "../../testing/doc-screenshots.js";
import { openUiHarness, type UiHarness, type UiPage } from "../../testing/browser.js";
import { OIDC_CLIENT, reserveOidcProvider, type OidcProviderFixture } from "../../testing/oidc-provider.js";

const ADMIN = { username: "admin", password: "admin-password-1" };
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}`;

describe("sign-in and auth pages (browser, auth on)", () => {
  let ui: UiHarness | undefined;
  let idp: OidcProviderFixture | undefined;
  let p: UiPage;
  before(async () => {
    idp = await reserveOidcProvider();
    ui = await openUiHarness({
      env: {
        CICLO_AUTH: "1",
        CICLO_ADMIN_USERNAME: ADMIN.username,
        CICLO_ADMIN_PASSWORD: ADMIN.password,
        CICLO_DEFAULT_PERMISSION: "READ",
        CICLO_OIDC_ISSUER: idp.issuer,
        CICLO_OIDC_CLIENT_ID: OIDC_CLIENT.id,
        // The client secret from ciclo's secrets store, by name (set below, before anyone signs in).
        CICLO_SECRETS_KEY: "7".repeat(64),
        CICLO_OIDC_CLIENT_SECRET_NAME: "oidc.client-secret",
        CICLO_OIDC_SCOPES: "openid profile groups",
        CICLO_OIDC_ADMIN_GROUPS: "ml-admins",
        CICLO_OIDC_ALLOWED_GROUPS: "ml-team",
        // Team members may write to every experiment and model (the default for others stays READ).
        CICLO_OIDC_GROUP_PERMISSIONS: "ml-team=EDIT",
      },
    });
    if (!ui) return;
    const secret = await fetch(`${ui.url}/api/ciclo/v1/secrets/create`, {
      method: "POST",
      headers: { authorization: basic(ADMIN.username, ADMIN.password), "content-type": "application/json" },
      body: JSON.stringify({ name: "oidc.client-secret", value: OIDC_CLIENT.secret }),
    });
    assert.equal(secret.status, 200, await secret.text());
    await idp.start({
      redirectUri: `${ui.url}/api/ciclo/v1/auth/oidc/callback`,
      groups: { carol: ["ml-team", "ml-admins"], dave: ["ml-team"], eve: ["sales"] },
    });
    p = await ui.newPage({ viewport: { width: 1280, height: 800 } });
  });
  after(async () => {
    await p?.close();
    await ui?.close();
    await idp?.close();
  });
  const it = (title: string, fn: (ui: UiHarness) => Promise<void>) =>
    test(title, async (t) => {
      if (!ui) return t.skip("Chromium unavailable");
      await fn(ui);
      p.assertClean();
    });
  const api = async (method: string, path: string, body?: unknown, auth = basic(ADMIN.username, ADMIN.password)) => {
    const res = await fetch(`${ui!.url}${path}`, {
      method,
      headers: { authorization: auth, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : {} };
  };
  const signIn = async (page: UiPage, who: { username: string; password: string }) => {
    const form = page.page.getByRole("form", { name: "Sign in" });
    await form.getByLabel("Username").fill(who.username);
    await form.getByLabel("Password").fill(who.password);
    await form.getByRole("button", { name: "Sign in", exact: true }).click();
  };

  it("the sign-in page: a wrong password is refused with its message, then the admin lands signed in", async () => {
    // The app's first calls answer 401 before the sign-in page replaces it (on purpose: no session yet).
    p.expectHttpError(401, "/ajax-api/");
    await p.page.goto("/experiments");
    const form = p.page.getByRole("form", { name: "Sign in" });
    await form.waitFor();
    assert.equal(await form.getByRole("link", { name: "Sign in with SSO" }).count(), 1);
    await p.page.screenshot({ path: docScreenshotPath("auth-login.png") });
    p.expectHttpError(401, "/auth/login");
    await signIn(p, { username: "admin", password: "wrong-password" });
    await p.page.getByRole("alert").getByText(/^Invalid username or password\./).waitFor();
    await signIn(p, ADMIN);
    await p.page.getByRole("button", { name: "New experiment" }).waitFor();
    assert.match(await p.page.locator(".user-menu summary").innerText(), /admin/);
    assert.match(p.page.url(), /\/experiments$/);
  });

  it("change password: the form needs the current password; then the old one stops working and the new one signs in", async (h) => {
    assert.equal((await api("POST", "/api/2.0/mlflow/users/create", { username: "gail", password: "gail-password-1" })).status, 200);
    const gail = await h.newPage();
    try {
      gail.expectHttpError(401, "/ajax-api/");
      await gail.page.goto("/experiments");
      await signIn(gail, { username: "gail", password: "gail-password-1" });
      await gail.page.locator(".user-menu summary").getByText("gail").waitFor();
      await gail.page.locator(".user-menu summary").click();
      await gail.page.getByRole("menuitem", { name: "Change password" }).click();
      const form = gail.page.getByRole("form", { name: "Change password" });
      await form.getByLabel("Current password").fill("not-my-password");
      await form.getByLabel("New password", { exact: true }).fill("gail-password-2");
      await form.getByLabel("New password again").fill("gail-password-2");
      gail.expectHttpError(403, "/auth/password");
      await form.getByRole("button", { name: "Change password" }).click();
      await gail.page.getByRole("alert").getByText(/current password is not right/).waitFor();
      await form.getByLabel("Current password").fill("gail-password-1");
      await form.getByRole("button", { name: "Change password" }).click();
      await gail.page.getByRole("status").getByText(/Password changed/).waitFor();
      assert.equal((await api("GET", "/api/ciclo/v1/auth/me", undefined, basic("gail", "gail-password-1"))).status, 401);
      assert.equal((await api("GET", "/api/ciclo/v1/auth/me", undefined, basic("gail", "gail-password-2"))).status, 200);
      // This browser's session stays signed in.
      await gail.page.reload();
      await gail.page.locator(".user-menu summary").getByText("gail").waitFor();
      gail.assertClean();
    } finally {
      await gail.close();
    }
  });

  it("a user without admin rights opening Monitoring is told why it is refused and who can grant, with no Retry", async (h) => {
    assert.equal((await api("POST", "/api/2.0/mlflow/users/create", { username: "hank", password: "hank-password-1" })).status, 200);
    const hank = await h.newPage();
    try {
      hank.expectHttpError(401, "/ajax-api/");
      await hank.page.goto("/experiments");
      await signIn(hank, { username: "hank", password: "hank-password-1" });
      await hank.page.locator(".user-menu summary").getByText("hank").waitFor();
      hank.expectHttpError(403, "/monitoring/monitors");
      await hank.page.goto("/monitoring");
      const alert = hank.page.getByRole("alert");
      await alert.getByText(/^Permission denied\. Your account may not see this or do this\. Monitoring, endpoints, pipelines and users are the admins'/).waitFor();
      assert.equal(await alert.getByRole("button", { name: "Retry" }).count(), 0, "retrying cannot help");
      hank.assertClean();
    } finally {
      await hank.close();
    }
  });

  it("users: an admin creates a user through the dialog; the users page lists people and service accounts", async () => {
    assert.equal((await api("POST", "/api/ciclo/v1/auth/service-accounts", { username: "ci" })).status, 200);
    await p.page.locator(".user-menu summary").click();
    await p.page.getByRole("menuitem", { name: "Users" }).click();
    const table = p.page.getByRole("table", { name: "Users" });
    await table.waitFor();
    await p.page.getByRole("button", { name: "New user" }).click();
    await p.page.getByLabel("New username").fill("bob");
    await p.page.getByLabel("New user's password").fill("bob-password-1");
    await p.page.getByRole("dialog").getByRole("button", { name: "Create" }).click();
    await table.getByRole("cell", { name: "bob", exact: true }).waitFor();
    assert.match(await table.getByRole("row", { name: /\bci\b/ }).innerText(), /service account/);
    await p.page.screenshot({ path: docScreenshotPath("auth-users.png") });
    // bob signs in with the password set here.
    assert.equal((await api("GET", "/api/ciclo/v1/auth/me", undefined, basic("bob", "bob-password-1"))).json.user.username, "bob");
  });

  it("tokens: created and shown once, it signs in as Bearer; revoked, it stops", async () => {
    await p.page.goto("/settings/tokens");
    await p.page.getByLabel("Token name").fill("laptop");
    await p.page.getByRole("button", { name: "Create token" }).click();
    const token = (await p.page.getByTestId("new-token").innerText()).trim();
    assert.match(token, /^ciclo_/);
    assert.equal((await api("GET", "/api/ciclo/v1/auth/me", undefined, `Bearer ${token}`)).json.user.username, "admin");
    const row = p.page.getByRole("table", { name: "Tokens" }).getByRole("row", { name: /laptop/ });
    assert.doesNotMatch(await row.innerText(), new RegExp(token.slice(12)), "the list shows a hint, not the token");
    await p.page.getByRole("button", { name: "Done" }).click();
    assert.equal(await p.page.getByTestId("new-token").count(), 0);
    await row.getByRole("button", { name: "Revoke laptop" }).click();
    await p.page.getByRole("dialog").getByRole("button", { name: "Revoke" }).click();
    await row.getByText("revoked").waitFor();
    assert.equal((await api("GET", "/api/ciclo/v1/auth/me", undefined, `Bearer ${token}`)).status, 401);
  });

  it("sharing: an experiment's Share dialog grants bob EDIT, then READ; the server holds exactly that", async () => {
    const exp = (await api("POST", "/api/2.0/mlflow/experiments/create", { name: "fraud-training" })).json.experiment_id as string;
    await p.goto(`/experiments/${exp}`);
    await p.page.getByRole("button", { name: "Share" }).click();
    const dialog = p.page.getByRole("dialog", { name: "Share fraud-training" });
    await dialog.getByLabel("Username to share with").fill("bob");
    await dialog.getByLabel("Permission to grant").selectOption("EDIT");
    await dialog.getByRole("button", { name: "Share" }).click();
    await dialog.getByLabel("Permission of bob").waitFor();
    const perm = () => api("GET", `/api/2.0/mlflow/experiments/permissions/get?experiment_id=${exp}&username=bob`);
    assert.equal((await perm()).json.experiment_permission.permission, "EDIT");
    await dialog.getByLabel("Permission of bob").selectOption("READ");
    const deadline = Date.now() + 5000;
    while ((await perm()).json.experiment_permission.permission !== "READ" && Date.now() < deadline) await p.page.waitForTimeout(50);
    assert.equal((await perm()).json.experiment_permission.permission, "READ");
    // A stranger's name is refused with the server's message.
    p.expectHttpError(404, "/permissions/create");
    await dialog.getByLabel("Username to share with").fill("nobody-here");
    await dialog.getByRole("button", { name: "Share" }).click();
    await dialog.getByRole("alert").getByText(/nobody-here not found/).waitFor();
    await dialog.getByRole("button", { name: "Close" }).click();
  });

  it("the audit log lists sign-ins (failed ones too), the new user and the permission change", async () => {
    await p.goto("/admin/audit");
    const table = p.page.getByRole("table", { name: "Audit events" });
    await table.waitFor();
    const text = await table.innerText();
    for (const type of ["login.failed", "login", "user.created", "token.created", "token.revoked", "permission.experiment.created"]) assert.match(text, new RegExp(`\\b${type.replace(/\./g, "\\.")}\\b`), type);
    await p.page.getByLabel("Event type").selectOption("login.failed");
    await p.page.waitForURL(/type=login\.failed/);
    await table.getByRole("row").nth(1).waitFor();
    const types = await table.locator("tbody td:nth-child(2)").allInnerTexts();
    assert.ok(types.length > 0 && types.every((t) => t === "login.failed"), types.join(","));
  });

  it("sign out returns to the sign-in page, and the old session no longer works", async () => {
    await p.page.locator(".user-menu summary").click();
    await p.page.getByRole("menuitem", { name: "Sign out" }).click();
    await p.page.getByRole("form", { name: "Sign in" }).waitFor();
    // Reloaded without a session, the page's own call answers 401 before the sign-in page replaces it.
    p.expectHttpError(401, "/auth/audit");
    await p.page.reload();
    await p.page.getByRole("form", { name: "Sign in" }).waitFor();
  });

  /** Signs in at the provider's own pages (its development login: any password) and consents. */
  const ssoAs = async (page: UiPage, login: string) => {
    page.expectHttpError(401, "/ajax-api/");
    await page.page.goto("/models");
    await page.page.getByRole("link", { name: "Sign in with SSO" }).click();
    await page.page.waitForURL((u) => u.href.startsWith(idp!.issuer));
    await page.page.locator('input[name="login"]').fill(login);
    await page.page.locator('input[name="password"]').fill("anything");
    await page.page.getByRole("button", { name: "Sign-in" }).click();
    await page.page.getByRole("button", { name: "Continue" }).click();
    await page.page.waitForURL((u) => u.href.startsWith(ui!.url));
  };
  /** The provider's pages load a web font from the internet, which this machine may not reach: not ciclo's problem. */
  const ssoClean = (page: UiPage) => {
    const ours = page.problems.filter((m) => !m.includes(idp!.issuer) && !m.includes("fonts.googleapis.com"));
    page.problems.length = 0;
    page.problems.push(...ours);
    page.assertClean();
  };

  test("SSO: sign in at the OpenID provider, land signed in where you started; an admin group makes an admin", async (t) => {
    if (!ui) return t.skip("Chromium unavailable");
    const carol = await ui.newPage();
    try {
      await ssoAs(carol, "carol");
      await carol.page.waitForURL(/\/models$/);
      await carol.page.locator(".user-menu summary").getByText("carol").waitFor();
      await carol.page.locator(".user-menu summary").click();
      await carol.page.getByRole("menuitem", { name: "Users" }).waitFor();
      const me = await api("GET", "/api/ciclo/v1/auth/users");
      const created = me.json.users.find((u: { username: string }) => u.username === "carol");
      assert.equal(created.is_admin, true);
      ssoClean(carol);
    } finally {
      await carol.close();
    }
  });

  test("SSO: a member of the team but not of the admin group signs in without admin rights; others are refused", async (t) => {
    if (!ui) return t.skip("Chromium unavailable");
    const dave = await ui.newPage();
    try {
      await ssoAs(dave, "dave");
      await dave.page.locator(".user-menu summary").getByText("dave").waitFor();
      await dave.page.locator(".user-menu summary").click();
      await dave.page.getByRole("menuitem", { name: "Access tokens" }).waitFor();
      assert.equal(await dave.page.getByRole("menuitem", { name: "Users" }).count(), 0);
      ssoClean(dave);
    } finally {
      await dave.close();
    }
    const eve = await ui.newPage();
    try {
      await ssoAs(eve, "eve");
      await eve.page.getByRole("alert").getByText(/'eve' is in none of the groups allowed/).waitFor();
      await eve.page.getByRole("form", { name: "Sign in" }).waitFor();
      ssoClean(eve);
    } finally {
      await eve.close();
    }
    const users = (await api("GET", "/api/ciclo/v1/auth/users")).json.users.map((u: { username: string; is_admin: boolean }) => `${u.username}:${u.is_admin}`);
    assert.ok(users.includes("dave:false"), users.join(" "));
    // The ml-team group's EDIT (CICLO_OIDC_GROUP_PERMISSIONS), applied at dave's sign-in: he may write where the default only lets read.
    const exp = await api("POST", "/api/2.0/mlflow/experiments/create", { name: "team-shared" });
    assert.equal(exp.status, 200);
    const daveToken = (await api("POST", "/api/ciclo/v1/auth/tokens", { name: "t", username: "dave" })).json.token as string;
    assert.equal((await api("POST", "/api/2.0/mlflow/runs/create", { experiment_id: exp.json.experiment_id }, `Bearer ${daveToken}`)).status, 200);
    assert.equal((await api("POST", "/api/2.0/mlflow/users/create", { username: "frank", password: "frank-password-1" })).status, 200);
    assert.equal((await api("POST", "/api/2.0/mlflow/runs/create", { experiment_id: exp.json.experiment_id }, basic("frank", "frank-password-1"))).status, 403, "without the group: the default READ");
    assert.ok(!users.some((u: string) => u.startsWith("eve:")), "a refused identity creates no user");
  });
});
