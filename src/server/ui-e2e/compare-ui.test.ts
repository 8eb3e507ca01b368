/**
 * The Compare page in a real browser against a real server: runs chosen in
 * the runs table (across experiments) open the grid of charts with one series
 * per run (read from the DOM and from the canvas pixels), hiding a run
 * removes its line, a chart opens large with its metric and chart settings in
 * the URL, the diff table highlights differing keys — compared as shown — and
 * filters to them, parallel coordinates draw a colour scale, and the scatter
 * selectors redraw their plot. Unknown run ids are reported. (The grid's
 * sections, search and lazy drawing: compare-grid-ui.test.ts.)
 */
import assert from "node:assert/strict";
import { describe } from "node:test";
import type { UiPage } from "../../testing/browser.js";
import { createExperiment, lossCurve, seedRun } from "../../testing/ui-seed.js";
import { uiTests } from "../../testing/ui-tests.js";

/** Page-side globals (the project compiles without the DOM library). */
declare const document: any;

/** The run colours the page assigns first (ui/src/components/chart-data.ts PALETTE). */
const COLORS: Array<[number, number, number]> = [
  [0x3b, 0x6f, 0xe0],
  [0xe0, 0x67, 0x3b],
  [0x2a, 0x9d, 0x6a],
];

/** Pixels of the chart canvas close to each colour (lines are antialiased, so "close", not equal). */
async function colorPixels(p: UiPage): Promise<number[]> {
  // Off the chart and the legend: hovering a run fades the others.
  await p.page.mouse.move(0, 0);
  await p.page.evaluate("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))");
  return (await p.page.evaluate(`(() => {
    const canvas = document.querySelector(".compare-chart canvas");
    const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
    const colors = ${JSON.stringify(COLORS)};
    const counts = colors.map(() => 0);
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] < 200) continue;
      colors.forEach(([r, g, b], k) => {
        if (Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b) < 60) counts[k]++;
      });
    }
    return counts;
  })()`)) as number[];
}

describe("compare page (browser)", () => {
  let p: UiPage;
  let exp: string;
  let other: string;
  const ids: Record<string, string> = {};
  const it = uiTests(async (ui) => {
    exp = await createExperiment(ui.api, "cmp-vision");
    other = await createExperiment(ui.api, "cmp-nlp");
    const specs = [
      { name: "adam-hi", lr: "0.01", optimizer: "adam", seed: 1 },
      { name: "sgd-lo", lr: "0.0001", optimizer: "sgd", seed: 3 },
      { name: "adam-lo", lr: "0.001", optimizer: "adam", seed: 5 },
    ];
    for (const [i, s] of specs.entries()) {
      const curve = lossCurve(1500, s.seed, 0.2 + i * 0.1);
      ids[s.name] = await seedRun(ui.api, exp, {
        name: s.name,
        params: { lr: s.lr, optimizer: s.optimizer, epochs: "10" },
        metrics: { loss: curve, acc: curve.map((v) => 1 - v / 3) },
        // Every run but the last has an empty note; the last has none (missing ≠ empty in the diff).
        tags: { team: "cv", ...(i < 2 ? { note: "" } : {}), "ciclo.source.argv": `["train.py", "--seed", "${s.seed}"]` },
        status: "FINISHED",
        // Seconds apart: the same minute as shown.
        startTime: 1_700_000_040_000 + i * 1000,
      });
    }
    ids["bert"] = await seedRun(ui.api, other, { name: "bert", params: { lr: "0.00002", optimizer: "adamw" }, metrics: { loss: lossCurve(50, 2), acc: lossCurve(50, 2).map((v) => 1 - v / 3) }, tags: { team: "nlp" }, status: "FINISHED" });
    return (p = await ui.newPage({ viewport: { width: 1440, height: 900 } }));
  });
  const url = (names: string[], extra = "") => `/compare?runs=${names.map((n) => ids[n]).join(",")}${extra}`;

  it("opens from the runs table across experiments and draws one series per run", async () => {
    await p.goto(`/runs?e=${exp},${other}`);
    for (const n of ["adam-hi", "sgd-lo", "bert"]) await p.page.getByLabel(`Select run ${n}`).check();
    await p.page.getByRole("button", { name: "Compare" }).click();
    await p.page.waitForURL(/\/compare\?runs=/);
    await p.page.getByRole("heading", { name: "Compare 3 runs" }).waitFor();
    await p.page.getByText("across cmp-vision · cmp-nlp").waitFor();
    const chart = p.page.getByRole("img", { name: "Chart of acc" });
    await chart.locator("canvas").waitFor();
    assert.equal(await chart.getAttribute("data-series"), "3");
    // Downsampled on the server: 1,500 points per run arrive as at most ~1,000.
    const points = Number(await chart.getAttribute("data-points"));
    assert.ok(points > 1000 && points <= 2 * 1000 + 50, `points ${points}`);
    const legend = await p.page.getByRole("complementary", { name: "Runs" }).locator(".legend-name").allInnerTexts();
    assert.deepEqual(legend, ["adam-hi", "sgd-lo", "bert"]);
    const pixels = await colorPixels(p);
    assert.ok(pixels.every((n) => n > 20), `each run's colour is drawn: ${pixels}`);
  });

  it("hides a run's line, opens a chart large, switches metric, log scale and smoothing, all kept in the URL", async () => {
    await p.goto(url(["adam-hi", "sgd-lo", "adam-lo"]));
    await p.page.getByRole("img", { name: "Chart of acc" }).locator("canvas").waitFor();
    await p.page.getByLabel("Show sgd-lo").uncheck();
    await p.page.waitForURL(new RegExp(`hide=${ids["sgd-lo"]}`));
    await p.page.getByText("2 of 3 shown").waitFor();
    await p.page.waitForFunction(() => document.querySelectorAll(".legend-item.off").length === 1);
    const pixels = await colorPixels(p);
    assert.ok(pixels[0] > 20 && pixels[2] > 20, `visible runs drawn: ${pixels}`);
    assert.equal(pixels[1], 0, `hidden run not drawn: ${pixels}`);

    await p.page.getByRole("button", { name: "Open acc large" }).click();
    await p.page.waitForURL(/m=acc/);
    await p.page.getByRole("button", { name: "← All charts" }).waitFor();
    await p.page.getByLabel("Metric", { exact: true }).selectOption("loss");
    await p.page.getByRole("img", { name: "Chart of loss" }).locator("canvas").waitFor();
    await p.page.getByLabel("Log scale").check();
    await p.page.getByLabel("X axis").selectOption("relative");
    await p.page.waitForURL(/m=loss/);
    const u = new URL(p.page.url());
    assert.equal(u.searchParams.get("log"), "1");
    assert.equal(u.searchParams.get("x"), "relative");
    await p.page.reload();
    await p.page.getByRole("img", { name: "Chart of loss" }).locator("canvas").waitFor();
    assert.equal(await p.page.getByLabel("X axis").inputValue(), "relative");
    assert.ok(await p.page.getByLabel("Log scale").isChecked());
    assert.equal(await p.page.getByLabel("Show sgd-lo").isChecked(), false);
    assert.equal(await p.page.getByRole("img", { name: "Chart of loss" }).getAttribute("data-series"), "3");
    await p.page.getByRole("button", { name: "← All charts" }).click();
    await p.page.getByRole("region", { name: "Metric acc" }).waitFor();
    assert.equal(new URL(p.page.url()).searchParams.get("m"), null);
  });

  it("diff table highlights what differs and filters to it", async () => {
    await p.goto(url(["adam-hi", "sgd-lo", "adam-lo"], "&tab=diff"));
    const table = p.page.getByRole("table", { name: "Run differences" });
    await table.waitFor();
    const row = (key: string) => table.locator(`tr[data-key="${key}"]`);
    assert.equal(await row("params.lr").getAttribute("class"), "diff");
    assert.equal(await row("params.epochs").getAttribute("class"), null);
    assert.deepEqual((await row("params.lr").locator("td").allInnerTexts()).slice(1), ["0.01", "0.0001", "0.001"]);
    assert.equal(await row("tags.team").count(), 1);
    await p.page.getByLabel("Only differences").check();
    await p.page.waitForURL(/only=1/);
    await row("params.epochs").waitFor({ state: "detached" });
    assert.equal(await row("tags.team").count(), 0);
    assert.equal(await row("params.optimizer").count(), 1);
    assert.equal(await row("metrics.loss").count(), 1);
    for (const tr of await table.locator("tbody tr[data-key]").all()) assert.equal(await tr.getAttribute("class"), "diff");
  });

  it("diff equality: values equal as shown are not flagged; missing and empty differ; system tags fold away", async () => {
    await p.goto(url(["adam-hi", "sgd-lo", "adam-lo"], "&tab=diff"));
    const table = p.page.getByRole("table", { name: "Run differences" });
    await table.waitFor();
    const row = (key: string) => table.locator(`tr[data-key="${key}"]`);
    // Started seconds apart, shown to the minute: equal.
    const started = (await row("attributes.start_time").locator("td").allInnerTexts()).slice(1);
    assert.equal(new Set(started).size, 1, `shown alike: ${started}`);
    assert.equal(await row("attributes.start_time").getAttribute("class"), null);
    // An empty note and no note are different values, shown differently.
    assert.deepEqual((await row("tags.note").locator("td").allInnerTexts()).slice(1), ["(empty)", "(empty)", "—"]);
    assert.equal(await row("tags.note").getAttribute("class"), "diff");
    // ciclo.* tags are folded away until the toggle is on.
    assert.equal(await row("tags.ciclo.source.argv").count(), 0);
    await p.page.getByLabel("Show system tags").check();
    await row("tags.ciclo.source.argv").waitFor();
    await p.page.getByLabel("Show system tags").uncheck();
    await row("tags.ciclo.source.argv").waitFor({ state: "detached" });
  });

  it("parallel coordinates: axes over params, coloured by a metric, one line per run", async () => {
    await p.goto(url(["adam-hi", "sgd-lo", "adam-lo"], "&tab=parallel"));
    const svg = p.page.getByRole("img", { name: /^Parallel coordinates of 3 runs/ });
    await svg.waitFor();
    assert.equal(await svg.getAttribute("data-lines"), "3");
    const axes = async () => p.page.locator(".pc-axis").evaluateAll((els: any[]) => els.map((e) => e.getAttribute("data-key")));
    assert.deepEqual(await axes(), ["params.lr", "params.optimizer", "metrics.acc"]);
    await p.page.getByLabel("Colour by").selectOption("metrics.loss");
    await p.page.waitForURL(/pm=metrics.loss/);
    assert.deepEqual(await axes(), ["params.lr", "params.optimizer", "metrics.loss"]);
    await p.page.getByRole("button", { name: /^Axes/ }).click();
    await p.page.getByRole("dialog", { name: "Choose axes" }).getByLabel("optimizer").uncheck();
    await p.page.getByRole("dialog", { name: "Choose axes" }).getByLabel("epochs").check();
    await p.page.waitForFunction(() => document.querySelectorAll(".pc-axis").length === 3 && document.querySelector('.pc-axis[data-key="params.epochs"]') !== null);
    assert.deepEqual(await axes(), ["params.lr", "params.epochs", "metrics.loss"]);
    // The lr sweep spans decades: a log axis.
    assert.match((await p.page.locator('.pc-axis[data-key="params.lr"] .pc-kind').textContent()) ?? "", /log/);
    // The colour scale names the colouring metric, with a gradient bar and ticks.
    const scale = p.page.getByRole("img", { name: "Colour scale: loss" });
    await scale.waitFor();
    assert.equal(await scale.locator(".pc-scale-bar").count(), 1);
    assert.ok((await scale.locator(".pc-tick").count()) >= 2);
  });

  it("scatter of any two keys, one dot per run", async () => {
    await p.goto(url(["adam-hi", "sgd-lo", "adam-lo", "bert"], "&tab=scatter"));
    await p.page.getByLabel("X", { exact: true }).selectOption("params.lr");
    await p.page.getByLabel("Y", { exact: true }).selectOption("metrics.loss");
    const svg = p.page.getByRole("img", { name: "Scatter of loss against lr" });
    await svg.waitFor();
    assert.equal(await svg.getAttribute("data-points"), "4");
    await p.page.getByLabel("Y", { exact: true }).selectOption("attributes.duration");
    await p.page.getByRole("img", { name: "Scatter of duration against lr" }).waitFor();
    const u = new URL(p.page.url());
    assert.equal(u.searchParams.get("sx"), "params.lr");
    assert.equal(u.searchParams.get("sy"), "attributes.duration");
  });

  it("reports run ids that do not exist and compares the others", async () => {
    p.expectHttpError(404, "runs/get");
    await p.goto(`/compare?runs=${ids["adam-hi"]},ffffffffffffffffffffffffffffffff,${ids["bert"]}`);
    await p.page.getByText("1 run was not found and is left out").waitFor();
    await p.page.getByRole("img", { name: "Chart of acc" }).locator("canvas").waitFor();
    assert.equal(await p.page.getByRole("img", { name: "Chart of acc" }).getAttribute("data-series"), "2");
  });

  it("says what to do when no run is chosen", async () => {
    await p.goto("/compare");
    await p.page.getByText("No runs to compare").waitFor();
  });
});
