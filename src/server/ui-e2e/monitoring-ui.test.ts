/**
 * The monitor page in a real browser against a real server: after two
 * windows (the second with column `a` shifted) the page draws the per-column
 * drift over time with uPlot — one line per column, labelled with its test and
 * threshold — and lists exactly the drifted column and window; the
 * server-rendered report is still embedded below it.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { encodeProfile } from "../../monitoring/profiles/profile-codec.js";
import { profileReference } from "../../monitoring/profiles/profiler.js";
import { InMemoryTableSource } from "../../monitoring/profiles/table-source.js";
import { openUiHarness, type UiHarness, type UiPage } from "../../testing/browser.js";
import { docScreenshotPath } from "../../testing/doc-screenshots.js";
import { waitFor } from "../../testing/wait-for.js";

const HOUR = 3_600_000;

function normals(seed: number) {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

describe("monitor page (browser)", () => {
  let ui: UiHarness | undefined;
  let p: UiPage;
  let secondWindowEnd = 0;
  before(async () => {
    ui = await openUiHarness();
    if (!ui) return;
    const call = async (path: string, body: unknown) => {
      const res = await fetch(`${ui!.url}/api/ciclo/v1${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      const json = (await res.json()) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
      assert.equal(res.status, 200, JSON.stringify(json));
      return json;
    };
    const z = normals(1);
    const reference = await profileReference(new InMemoryTableSource(["a", "b"].map((name) => ({ name, values: Float64Array.from({ length: 3000 }, z) }))));
    const { path } = await call("/monitoring/references", { name: "ref", profile: JSON.parse(encodeProfile(reference)) });
    await call("/monitoring/monitors", { name: "scores", spec: { target: { model_name: "scorer" }, window_seconds: 3600, every_seconds: 3600, reference_profile: path } });
    const t0 = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR;
    for (const [w, shift] of [[0, 0], [1, 2]] as const) {
      const records = Array.from({ length: 150 }, (_, i) => {
        const data = Array.from({ length: 10 }, () => [z() + shift, z()]);
        return { request_id: `w${w}-${i}`, time: t0 + w * HOUR + i * 1000, model_name: "scorer", model_version: "1", status: 200, latency_ms: 3, request: { dataframe_split: { columns: ["a", "b"], data } }, response: { predictions: data.map((r) => r[0]) } };
      });
      await call("/monitoring/inference", { records });
      await call("/monitoring/inference/flush", {});
      await call("/monitoring/monitors/scores/run", { window_end: t0 + (w + 1) * HOUR, wait: true });
    }
    secondWindowEnd = t0 + 2 * HOUR;
    p = await ui.newPage({ viewport: { width: 1280, height: 900 } });
  });
  after(async () => {
    await p?.close();
    await ui?.close();
  });

  test("drift over time per column is drawn natively; the drifted column and window are listed", async (t) => {
    if (!ui) return t.skip("Chromium is not available");
    await p.goto("/monitoring/scores");
    const chart = p.page.locator(".drift-chart");
    await chart.locator("canvas").first().waitFor();
    const legend = await chart.locator(".u-legend .u-series .u-label").allInnerTexts();
    // uPlot's legend: the x axis, then one entry per column with its test and threshold.
    assert.deepEqual(legend.slice(1), ["a (wasserstein, threshold 0.1)", "b (wasserstein, threshold 0.1)"]);
    const flagged = await chart.locator(".drift-flagged").innerText();
    assert.match(flagged, /^Drifted: a \(/);
    assert.ok(!flagged.includes("b ("), flagged);
    assert.equal((flagged.match(/\(/g) ?? []).length, 1, `one drifted window: ${flagged} (window end ${new Date(secondWindowEnd).toISOString()})`);
    assert.equal(await p.page.locator("iframe[title='Monitor scores']").count(), 1, "the report is still embedded");
    p.assertClean();
  });

  test("the embedded report is as tall as its content: the page scrolls, not a frame inside it, also after a resize", async (t) => {
    if (!ui) return t.skip("Chromium is not available");
    const page = await ui.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await page.goto("/monitoring/scores");
      await page.page.frameLocator("iframe[title='Monitor scores']").locator("h2", { hasText: "Alert history" }).waitFor();
      const frame = page.page.frames().find((f) => f.url().includes("/monitors/scores/report"))!;
      // The page says which monitor once: the embedded report has no heading of its own.
      assert.equal(await frame.locator("h1").count(), 0);
      assert.deepEqual(await page.page.locator("h1").allTextContents(), ["Monitor scores"]);
      const iframe = page.page.locator("iframe[title='Monitor scores']");
      // The report's own height (its document scrolls when the frame is shorter) against the frame's.
      const fits = async () => {
        const content = (await frame.evaluate("document.documentElement.scrollHeight")) as number;
        const box = Math.round((await iframe.boundingBox())?.height ?? 0);
        return { content, box };
      };
      const tall = await waitFor(fits, (s) => s.content <= s.box && s.box - s.content <= 2, { what: "the frame to fit its report" });
      assert.ok(tall.box > 900, `the report (${tall.content} px) is longer than the window: the page scrolls to it`);
      await page.page.screenshot({ path: docScreenshotPath("monitor-page.png"), fullPage: true });
      // Narrower: the report reflows taller (its tables wrap), and the frame follows it.
      await page.page.setViewportSize({ width: 560, height: 900 });
      const narrow = await waitFor(fits, (s) => s.content <= s.box && s.box - s.content <= 2 && s.box !== tall.box, { what: "the frame to fit its reflowed report" });
      assert.ok(narrow.box > 0);
      page.assertClean();
    } finally {
      await page.close();
    }
  });

  test("in the dark theme the embedded report follows it (it was a white block)", async (t) => {
    if (!ui) return t.skip("Chromium is not available");
    const dark = await ui.newPage({ colorScheme: "dark", viewport: { width: 1280, height: 900 } });
    try {
      await dark.goto("/monitoring/scores");
      // The iframe element is in the page before its document has loaded: wait on the report's heading itself.
      await dark.page.frameLocator("iframe[title='Monitor scores']").locator("h2").first().waitFor();
      const frame = dark.page.frames().find((f) => f.url().includes("/monitors/scores/report"));
      assert.ok(frame, "the report's frame");
      // A string, evaluated in the frame: this file compiles without the DOM's types.
      const style = await frame.evaluate("({ color: getComputedStyle(document.body).color, scheme: getComputedStyle(document.documentElement).colorScheme })");
      assert.deepEqual(style, { color: "rgb(229, 231, 235)", scheme: "light dark" });
      dark.assertClean();
    } finally {
      await dark.close();
    }
  });
});
