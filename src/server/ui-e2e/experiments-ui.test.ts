/**
 * The experiments page in a real browser (Chromium via playwright-core)
 * against a real server: empty state, create, search, rename, delete and
 * restore, run counts, the theme toggle, and no console errors anywhere.
 */
import assert from "node:assert/strict";
import { describe } from "node:test";
import type { UiPage } from "../../testing/browser.js";
import { createExperiment, seedRun } from "../../testing/ui-seed.js";
import { docScreenshotPath } from "../../testing/doc-screenshots.js";
import { uiTests } from "../../testing/ui-tests.js";
import { waitFor } from "../../testing/wait-for.js";

/** Page-side globals used inside page.evaluate/waitForFunction callbacks (the project compiles without the DOM library). */
declare const document: any;
declare const window: any;
declare const getComputedStyle: any;

describe("experiments page (browser)", () => {
  let p: UiPage;
  const it = uiTests(async (ui) => (p = await ui.newPage()));

  it("/ opens the experiments list; a search without match shows its empty state", async () => {
    await p.goto("/");
    await p.page.waitForURL(/\/experiments$/);
    await p.page.getByRole("heading", { name: "Experiments" }).waitFor();
    await p.page.getByRole("link", { name: "Default" }).waitFor();
    await p.page.getByLabel("Search experiments").fill("nothing-like-this");
    await p.page.getByText("No experiment matches “nothing-like-this”").waitFor();
    assert.match(p.page.url(), /\?q=nothing-like-this$/, "the search is in the URL");
  });

  it("creates an experiment in a dialog and lands on its (empty) runs table", async () => {
    await p.goto("/experiments");
    await p.page.getByRole("button", { name: "New experiment" }).click();
    await p.page.getByLabel("Experiment name").fill("browser-made");
    await p.page.getByRole("button", { name: "Create" }).click();
    await p.page.getByRole("heading", { name: "browser-made" }).waitFor();
    await p.page.getByText("No runs yet").waitFor();
    assert.match(p.page.url(), /\/experiments\/\d+$/);
  });

  it("a duplicate name shows the server's message in the dialog", async () => {
    await p.goto("/experiments");
    await p.page.getByRole("button", { name: "New experiment" }).click();
    await p.page.getByLabel("Experiment name").fill("browser-made");
    await p.page.getByRole("button", { name: "Create" }).click();
    await p.page.getByRole("dialog").getByRole("alert").filter({ hasText: /already exists/ }).waitFor();
    p.expectHttpError(400, "/experiments/create");
    await p.page.getByRole("button", { name: "Cancel" }).click();
  });

  it("shows run counts and searches, renames, deletes and restores", async (h) => {
    const id = await createExperiment(h.api, "counted-exp");
    for (let i = 0; i < 3; i++) await seedRun(h.api, id, { name: `r${i}`, metrics: { loss: 1 / (i + 1) } });
    await p.goto("/experiments?q=counted");
    const row = p.page.getByRole("row", { name: /counted-exp/ });
    await row.waitFor();
    assert.equal((await row.getByRole("cell").nth(2).innerText()).trim(), "3");
    assert.equal(await p.page.getByRole("row").count(), 2, "header + the one match");

    await row.getByRole("button", { name: "Rename" }).click();
    await p.page.getByLabel("Experiment name").fill("counted-renamed");
    await p.page.getByRole("dialog").getByRole("button", { name: "Rename" }).click();
    await p.page.getByRole("dialog").waitFor({ state: "detached" });
    await p.goto("/experiments?q=renamed");
    const renamed = p.page.getByRole("row", { name: /counted-renamed/ });
    await renamed.getByRole("button", { name: "Delete" }).click();
    await p.page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
    await p.page.getByText("No experiment matches “renamed”").waitFor();

    await p.page.getByRole("button", { name: "Deleted" }).click();
    const deleted = p.page.getByRole("row", { name: /counted-renamed/ });
    await deleted.getByText("Deleted", { exact: true }).waitFor();
    await deleted.getByRole("button", { name: "Restore" }).click();
    await p.page.getByRole("dialog").getByRole("button", { name: "Restore" }).click();
    await p.page.getByText("No deleted experiments").or(p.page.getByText("No experiment matches")).waitFor();
    const exp = await h.api(`/experiments/get?experiment_id=${id}`);
    assert.equal(exp.experiment.lifecycle_stage, "active");
    assert.equal(exp.experiment.name, "counted-renamed");
  });

  it("the theme toggle switches light → dark and survives a reload", async () => {
    await p.goto("/experiments");
    const theme = () => p.page.evaluate(() => document.documentElement.dataset.theme);
    assert.equal(await theme(), "light", "the context prefers light");
    await p.page.getByRole("button", { name: "System theme" }).click();
    await p.page.getByRole("button", { name: "Light theme" }).click();
    assert.equal(await theme(), "dark");
    const bg = await p.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(bg, "rgb(15, 19, 26)");
    await p.page.reload();
    await p.page.locator(".topbar").waitFor();
    assert.equal(await theme(), "dark");
    await p.page.getByRole("button", { name: "Dark theme" }).click();
    assert.equal(await theme(), "light", "back to the system's choice");
  });

  it("an unknown page and an unknown run are shown in the page, not blank", async () => {
    await p.goto("/no/such/page");
    await p.page.getByText("Page not found").waitFor();
    // The API answers 404 for the run: a console error the browser prints for the failed fetch is expected here.
    await p.goto("/runs/0123456789abcdef0123456789abcdef");
    await p.page.getByRole("alert").filter({ hasText: /Run with id=0123456789abcdef0123456789abcdef not found|not found/i }).waitFor();
    p.expectHttpError(404, "/runs/get");
  });

  it("a narrow window: the top bar's links scroll inside the bar, the page itself does not scroll sideways", async () => {
    await p.page.setViewportSize({ width: 560, height: 800 });
    try {
      await p.goto("/experiments");
      await p.page.getByRole("heading", { name: "Experiments" }).waitFor();
      const sizes = await p.page.evaluate(() => ({
        page: document.documentElement.scrollWidth,
        window: document.documentElement.clientWidth,
        nav: document.querySelector(".topnav").scrollWidth,
        navBox: document.querySelector(".topnav").clientWidth,
        user: document.querySelector(".topbar-end").getBoundingClientRect().right,
      }));
      assert.ok(sizes.page <= sizes.window, `the page is ${sizes.page} px wide in a ${sizes.window} px window`);
      assert.ok(sizes.nav > sizes.navBox, "the links overflow the bar at this width (else this test shows nothing)");
      assert.ok(sizes.user <= sizes.window, "the theme and user menu stay in view");
      // With no scrollbar, the bar fades at the edge with more links beyond it: the end first, the start once scrolled.
      const fades = () =>
        p.page.evaluate(() => {
          const style = getComputedStyle(document.querySelector(".topnav"));
          return `${style.getPropertyValue("--topnav-fade-start")} ${style.getPropertyValue("--topnav-fade-end")}`;
        });
      await waitFor(fades, (f) => f === "0px 32px", { what: "the bar to fade at its end only" });
      await p.page.evaluate(() => document.querySelector(".topnav").scrollTo({ left: 1e6 }));
      await waitFor(fades, (f) => f === "32px 0px", { what: "the bar, scrolled to its end, to fade at its start only" });
      await p.page.screenshot({ path: docScreenshotPath("topbar-narrow.png"), clip: { x: 0, y: 0, width: 560, height: 64 } });
    } finally {
      await p.page.setViewportSize({ width: 1400, height: 900 });
    }
  });

  it("a wide window: nothing overflows the top bar, so it does not fade", async () => {
    await p.goto("/experiments");
    await p.page.getByRole("heading", { name: "Experiments" }).waitFor();
    const state = await p.page.evaluate(() => {
      const nav = document.querySelector(".topnav");
      const style = getComputedStyle(nav);
      return { overflows: nav.scrollWidth > nav.clientWidth, fade: `${style.getPropertyValue("--topnav-fade-start")} ${style.getPropertyValue("--topnav-fade-end")}` };
    });
    assert.deepEqual(state, { overflows: false, fade: "0px 0px" });
  });
});
