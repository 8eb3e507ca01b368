/**
 * The Compare grid in a real browser against a real server: one chart per
 * metric in sections by prefix (system/ folded), sections that fold and
 * unfold through the URL, the metric search, charts drawn only near the
 * view, and each metric's history fetched once however often its chart is
 * scrolled away and back; a metric with a single point per run is a bar
 * per run in the grid, and its points are marked in the large chart (a line
 * through one point draws nothing).
 */
import assert from "node:assert/strict";
import { describe } from "node:test";
import type { UiPage } from "../../testing/browser.js";
import { createExperiment, lossCurve, seedRun } from "../../testing/ui-seed.js";
import { uiTests } from "../../testing/ui-tests.js";

/** Page-side globals (the project compiles without the DOM library). */
declare const document: any;
declare const window: any;
declare const requestAnimationFrame: any;

const LAYERS = 30;

describe("compare grid (browser)", () => {
  let p: UiPage;
  const ids: string[] = [];
  /** get-history-bulk-interval requests seen, by metric key. */
  const asked = new Map<string, number>();
  const it = uiTests(async (ui) => {
    const exp = await createExperiment(ui.api, "grid");
    for (let r = 0; r < 2; r++) {
      const curve = lossCurve(120, r + 1);
      const metrics: Record<string, number[]> = {
        "train/loss": curve,
        "val/loss": curve.map((v) => v * 1.1),
        "val/acc": curve.map((v) => 1 - v / 3),
        "system/cpu": curve.map(() => 50 + r),
        lr: curve.map((_, s) => 0.01 / (1 + s)),
        // One point per run: a line has nothing to join, so the chart must mark the points themselves.
        "val/final": [0.5 + r / 4],
      };
      for (let l = 0; l < LAYERS; l++) metrics[`layers/l${l}`] = curve.map((v) => v * (1 + l / 10));
      ids.push(await seedRun(ui.api, exp, { name: `run-${r}`, metrics, status: "FINISHED" }));
    }
    p = await ui.newPage({ viewport: { width: 1440, height: 900 } });
    p.page.on("request", (req) => {
      const u = new URL(req.url());
      if (!u.pathname.endsWith("/metrics/get-history-bulk-interval")) return;
      const key = u.searchParams.get("metric_key") ?? "";
      asked.set(key, (asked.get(key) ?? 0) + 1);
    });
    return p;
  });
  const url = (extra = "") => `/compare?runs=${ids.join(",")}${extra}`;
  const sectionTitles = () => p.page.locator(".grid-section-title").allInnerTexts();
  const drawn = () => p.page.locator(".grid-chart canvas").count();

  it("one chart per metric, in sections by prefix; system/ starts folded", async () => {
    await p.goto(url());
    await p.page.getByRole("img", { name: "Chart of layers/l0" }).locator("canvas").waitFor();
    assert.deepEqual(await sectionTitles(), ["layers", "system", "train", "val", "Other"]);
    const system = p.page.getByRole("button", { name: /^system/ });
    assert.equal(await system.getAttribute("aria-expanded"), "false");
    assert.equal(await p.page.getByRole("region", { name: "Metric system/cpu" }).count(), 0);
    // 30 layer charts: the first 24, then a button for the rest.
    assert.equal(await p.page.getByRole("region", { name: "Section layers" }).locator(".grid-chart").count(), 24);
    await p.page.getByRole("button", { name: `Show all ${LAYERS} charts` }).waitFor();
    assert.equal(await p.page.getByRole("img", { name: "Chart of layers/l0" }).getAttribute("data-series"), "2");
  });

  it("only charts near the view are drawn, and a metric is fetched once however often it is scrolled back", async () => {
    asked.clear();
    await p.goto(url());
    await p.page.getByRole("img", { name: "Chart of layers/l0" }).locator("canvas").waitFor();
    const total = await p.page.locator(".grid-chart").count();
    const first = await drawn();
    assert.ok(first > 0 && first < total / 2, `${first} of ${total} charts drawn at the top`);
    assert.equal(asked.get("layers/l0"), 1);
    const l0 = p.page.getByRole("img", { name: "Chart of layers/l0" }).locator("canvas");
    for (let i = 0; i < 2; i++) {
      await p.page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
      await p.page.getByRole("img", { name: "Chart of lr" }).locator("canvas").waitFor();
      await l0.waitFor({ state: "detached" });
      await p.page.evaluate(() => window.scrollTo(0, 0));
      await l0.waitFor();
    }
    assert.ok((await drawn()) < total, "charts far from the view are not drawn");
    assert.equal(asked.get("layers/l0"), 1, "scrolling back redraws from memory");
    assert.ok(asked.has("lr") && !asked.has("layers/l29"), "the bottom charts loaded on the way, the unshown ones not at all");
    assert.ok([...asked.values()].every((n) => n === 1), `one request per metric: ${JSON.stringify([...asked])}`);
  });

  it("a metric with one value per run is a bar per run in the grid, with its value", async () => {
    await p.goto(url("&mq=final"));
    const bars = p.page.getByRole("list", { name: "val/final: one value per run" }).getByRole("listitem");
    await bars.first().waitFor();
    assert.deepEqual(await bars.allInnerTexts(), ["run-0\n0.5", "run-1\n0.75"]);
    const widths = await bars.locator(".value-bar-fill").evaluateAll((els) => els.map((e) => e.getBoundingClientRect().width));
    assert.ok(Math.abs(widths[0]! / widths[1]! - 0.5 / 0.75) < 0.02, `bar lengths compare as the values do: ${widths}`);
    assert.equal(await p.page.getByRole("img", { name: "Chart of val/final" }).count(), 0, "no line chart of lone dots");
    // Another metric with a history in the same grid stays a line chart.
    await p.goto(url("&mq=val/acc"));
    await p.page.getByRole("img", { name: "Chart of val/acc" }).locator("canvas").waitFor();
  });

  it("a metric with one point per run, opened large: each run's point is marked in its colour", async () => {
    await p.goto(url("&m=val/final"));
    const chart = p.page.getByRole("img", { name: "Chart of val/final" });
    await chart.locator("canvas").waitFor();
    await p.page.waitForFunction(() => {
      const el = document.querySelector('[aria-label="Chart of val/final"]');
      return el?.getAttribute("data-points") === "2" && el?.getAttribute("data-detailed") === "true";
    });
    // Pixels of a colour (the runs' lines and points are saturated; grid, axes and background are grey), after a paint.
    const coloured = async () =>
      p.page.evaluate(
        () =>
          new Promise<number>((resolve) =>
            requestAnimationFrame(() => {
              const canvas = document.querySelector('[aria-label="Chart of val/final"] canvas');
              const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
              let n = 0;
              for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 0 && Math.max(data[i], data[i + 1], data[i + 2]) - Math.min(data[i], data[i + 1], data[i + 2]) > 60) n++;
              resolve(n);
            }),
          ),
      );
    const n = await coloured();
    assert.ok(n >= 2 * 9, `both runs' points are drawn (${n} coloured pixels; before, none)`);
  });

  it("sections fold and unfold, kept in the URL; the search narrows every section", async () => {
    await p.goto(url());
    await p.page.getByRole("button", { name: /^layers/ }).click();
    await p.page.waitForURL(/fold=/);
    assert.equal(await p.page.getByRole("region", { name: "Section layers" }).locator(".grid-chart").count(), 0);
    await p.page.getByRole("button", { name: /^system/ }).click();
    await p.page.getByRole("img", { name: "Chart of system/cpu" }).locator("canvas").waitFor();
    await p.page.reload();
    await p.page.getByRole("img", { name: "Chart of system/cpu" }).locator("canvas").waitFor();
    assert.equal(await p.page.getByRole("button", { name: /^layers/ }).getAttribute("aria-expanded"), "false");

    await p.page.getByLabel("Search metrics").fill("LOSS");
    await p.page.waitForURL(/mq=LOSS/);
    await p.page.waitForFunction(() => document.querySelectorAll(".grid-chart").length === 2);
    assert.deepEqual(await sectionTitles(), ["train", "val"]);
    await p.page.getByLabel("Search metrics").fill("nothing-like-this");
    await p.page.getByText("No metric matches “nothing-like-this”").waitFor();
  });
});
