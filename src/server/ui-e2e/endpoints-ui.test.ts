/**
 * The endpoint pages at the paths a user types, in a real browser against a real server: the header's
 * "Endpoints" and the CLI's `<server>/endpoints/<name>/invocations` both say "endpoints", so `/endpoints` and
 * `/endpoints/<name>` show the same pages as `/deployments…` (they were "Page not found"). The monitors page
 * without monitors says how to make one from the CLI.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { openUiHarness, type UiHarness, type UiPage } from "../../testing/browser.js";

describe("endpoint pages under /endpoints (browser)", () => {
  let ui: UiHarness | undefined;
  let p: UiPage;
  before(async () => {
    ui = await openUiHarness();
    if (!ui) return;
    const res = await fetch(`${ui.url}/api/ciclo/v1/endpoints`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "fraud" }) });
    assert.equal(res.status, 200, await res.text());
    p = await ui.newPage({ viewport: { width: 1280, height: 900 } });
  });
  after(async () => {
    await p?.close();
    await ui?.close();
  });

  test("/endpoints lists the endpoints and /endpoints/<name> is the endpoint's page, with the header's tab current", async (t) => {
    if (!ui) return t.skip("Chromium is not available");
    await p.goto("/endpoints");
    await p.page.getByRole("heading", { name: "Endpoints", level: 1 }).waitFor();
    assert.equal(await p.page.getByText("Page not found").count(), 0);
    assert.equal(await p.page.getByRole("link", { name: "fraud" }).count(), 1);
    await p.goto("/endpoints/fraud");
    await p.page.getByRole("heading", { name: "fraud", level: 1 }).waitFor();
    assert.match(await p.page.locator("main, body").first().innerText(), /POST \/endpoints\/fraud\/invocations/);
    assert.equal(await p.page.locator("a.topnav-link.active").innerText(), "Endpoints");
    p.assertClean();
  });

  test("the monitors page without monitors says how to create one", async (t) => {
    if (!ui) return t.skip("Chromium is not available");
    await p.goto("/monitoring");
    const empty = p.page.getByText("No monitors yet");
    await empty.waitFor();
    assert.match(await p.page.locator("body").innerText(), /ciclo monitor create fraud-drift\.json/);
    p.assertClean();
  });
});
