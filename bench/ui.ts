/**
 * UI speed in a real browser (Debian Chromium, headless, via playwright-core)
 * against the built server (`dist/`) as a child process:
 *
 * - runs table of a 100,000-run experiment (20 params, 10 metrics each):
 *   navigation → first rows visible, cold (fresh browser context) and warm;
 * - scrolling it: frame times while the grid scrolls (rows virtualized, pages
 *   fetched on the way), at a reading pace and at a fling;
 * - run page of a run with 1,000 metric keys: navigation → overview shown,
 *   and → first chart drawn;
 * - Compare of 100 runs × 10,000 steps: navigation → the grid's first chart
 *   painted (first pass) and → detailed chart painted; the chart opened large;
 * - the built bundle's sizes.
 *
 * `npm run bench:ui` (add `-- --quick` for 10,000 runs; `-- --only=compare,scroll`
 * for some sections: table, scroll, run, compare). Results also go to
 * bench/results/ui.json (ui-quick.json / ui-partial.json).
 * @module
 */
import { readdirSync, statSync, writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { Browser } from "playwright-core";
import { openStores } from "../src/store/open-stores.js";
import type { Metric } from "../src/shared/tracking-types.js";
import { browserUnavailable, launchBrowser, UI_DIST_DIR } from "../src/testing/browser.js";
import { tempDir } from "../src/testing/temp-dir.js";
import { seedRuns } from "./lib/seed.js";
import { startBenchServer } from "./lib/server-process.js";

const quick = process.argv.includes("--quick");
const onlyArg = process.argv.find((a) => a.startsWith("--only="));
const only = onlyArg ? new Set(onlyArg.slice("--only=".length).split(",")) : undefined;
const runs = (section: string) => !only || only.has(section);
const COMPARE_RUNS = 100;
const COMPARE_STEPS = 10_000;
const RUNS = quick ? 10_000 : 100_000;
const METRIC_KEYS = 1000;
const POINTS_PER_KEY = 100;

interface Row {
  name: string;
  value: number;
  unit: string;
  target?: string;
  ok?: boolean;
  note?: string;
}

function log(msg: string): void {
  process.stderr.write(`[bench:ui ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

/**
 * Navigation start → the app's performance mark (set on the animation frame
 * after the view commits, i.e. when it is painted), read in the page; a fresh
 * context (cold cache) per sample, or one warmed-up context. The driver's own
 * round trips are not in the figure.
 */
async function timeNavigation(browser: Browser, url: string, selector: string, samples: number, warmContext: boolean, mark: string): Promise<number[]> {
  const times: number[] = [];
  const shared = warmContext ? await browser.newContext({ viewport: { width: 1400, height: 900 } }) : undefined;
  if (shared) {
    const warm = await shared.newPage();
    await warm.goto(url);
    await warm.waitForSelector(selector);
    await warm.close();
  }
  for (let i = 0; i < samples; i++) {
    const ctx = shared ?? (await browser.newContext({ viewport: { width: 1400, height: 900 } }));
    const page = await ctx.newPage();
    await page.goto(url, { waitUntil: "commit" });
    await page.waitForSelector(selector, { state: "visible" });
    // A function, not a string: Playwright polls a string with eval, which the UI's CSP refuses.
    await page.waitForFunction((name) => performance.getEntriesByName(name).length > 0, mark);
    times.push(Number(await page.evaluate(`performance.getEntriesByName(${JSON.stringify(mark)})[0].startTime`)));
    await page.close();
    if (!shared) await ctx.close();
  }
  await shared?.close();
  return times;
}

/**
 * Scrolls the runs grid by `pxPerFrame` on every animation frame for `ms`,
 * recording each frame's duration (rAF to rAF) and how many rows got loaded.
 */
async function scrollFrames(browser: Browser, url: string, pxPerFrame: number, ms: number) {
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await ctx.newPage();
  await page.goto(url);
  await page.waitForSelector(".grid-row .cell-name a");
  // A string, not a function: tsx's name-keeping helpers (`__name`) do not exist in the page.
  const result = (await page.evaluate(`new Promise((resolve) => {
    const grid = document.querySelector(".grid-scroll");
    const frames = [];
    let maxDomRows = 0;
    let last = performance.now();
    const end = last + ${ms};
    const step = (now) => {
      frames.push(now - last);
      last = now;
      grid.scrollTop += ${pxPerFrame};
      maxDomRows = Math.max(maxDomRows, grid.querySelectorAll(".grid-pin .grid-row").length);
      if (now < end) requestAnimationFrame(step);
      else resolve({ frames, rowsLoaded: Number(grid.getAttribute("aria-rowcount")) - 1, maxDomRows });
    };
    requestAnimationFrame(step);
  })`)) as { frames: number[]; rowsLoaded: number; maxDomRows: number };
  await ctx.close();
  return result;
}

/** 100 runs with a 10,000-step `loss` each (and an `lr` param), straight through the store. */
async function seedCompare(tracking: Awaited<ReturnType<typeof openStores>>["tracking"]): Promise<string[]> {
  const t = performance.now();
  const exp = await tracking.createExperiment({ name: "compare-100", tags: [] });
  const ids: string[] = [];
  await Promise.all(
    Array.from({ length: 4 }, async (_, w) => {
      for (let i = w; i < COMPARE_RUNS; i += 4) {
        const name = `sweep-${String(i).padStart(3, "0")}`;
        const run = await tracking.createRun({ experimentId: exp, userId: "bench", runName: name, startTime: 1_700_000_000_000, tags: [{ key: "mlflow.runName", value: name }] });
        ids[i] = run.info.runId;
        for (let s0 = 0; s0 < COMPARE_STEPS; s0 += 1000) {
          const batch: Metric[] = [];
          for (let s = s0; s < s0 + 1000; s++) {
            batch.push({ key: "loss", value: Math.exp(-s / 2000) * (1 + i / 100) + Math.sin(s * 7.1 + i) * 0.02, timestamp: 1_700_000_000_000 + s * 1000, step: s });
          }
          await tracking.logBatch(run.info.runId, { metrics: batch, params: s0 === 0 ? [{ key: "lr", value: String(10 ** -(2 + (i % 4))) }] : [], tags: [] });
        }
      }
    }),
  );
  log(`seeded ${COMPARE_RUNS} runs × ${COMPARE_STEPS.toLocaleString()} steps in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  return ids;
}

function bundleSizes(): { js: number; jsGz: number; entryGz: number } {
  const dir = join(UI_DIST_DIR, "assets");
  // The entry: the module script and the chunks index.html preloads with it (the bundler may split shared code out).
  const html = readFileSync(join(UI_DIST_DIR, "index.html"), "utf8");
  const entry = new Set([...html.matchAll(/(?:src|href)="\/assets\/([^"]+\.js)"/g)].map((m) => m[1]));
  let js = 0;
  let jsGz = 0;
  let entryGz = 0;
  for (const f of readdirSync(dir)) {
    if (!f.endsWith(".js")) continue;
    const bytes = readFileSync(join(dir, f));
    js += statSync(join(dir, f)).size;
    const gz = gzipSync(bytes).length;
    jsGz += gz;
    if (entry.has(f)) entryGz += gz;
  }
  return { js, jsGz, entryGz };
}

async function main(): Promise<void> {
  const unavailable = browserUnavailable();
  if (unavailable) throw new Error(unavailable);
  const dir = tempDir("ciclo-bench-ui-");
  const uri = `sqlite:///${join(dir.path, "bench.db")}`;
  const rows: Row[] = [];
  let browser: Browser | undefined;
  let server: Awaited<ReturnType<typeof startBenchServer>> | undefined;
  try {
    const { tracking } = await openStores(uri, { defaultArtifactRoot: "mlflow-artifacts:/" });
    const wide = await tracking.createExperiment({ name: "wide-100k", tags: [] });
    let t = performance.now();
    if (runs("table") || runs("scroll")) {
      await seedRuns(tracking, wide, RUNS, { params: 20, metrics: 10, tags: 2, valuesPerParam: 10 }, (n) => n % 20_000 === 0 && log(`  ${n.toLocaleString()} runs`));
      log(`seeded ${RUNS.toLocaleString()} runs in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
    const compareIds = runs("compare") ? await seedCompare(tracking) : [];
    const manyExp = await tracking.createExperiment({ name: "many-metrics", tags: [] });
    const many = await tracking.createRun({ experimentId: manyExp, userId: "bench", runName: "1000-metrics", startTime: Date.now(), tags: [{ key: "mlflow.runName", value: "1000-metrics" }] });
    t = performance.now();
    for (let k0 = 0; k0 < METRIC_KEYS; k0 += 10) {
      const batch: Metric[] = [];
      for (let k = k0; k < k0 + 10; k++) {
        for (let s = 0; s < POINTS_PER_KEY; s++) batch.push({ key: `layer${String(k).padStart(4, "0")}/grad_norm`, value: Math.exp(-s / 30) + k / 1000, timestamp: 1_700_000_000_000 + s * 1000, step: s });
      }
      await tracking.logBatch(many.info.runId, { metrics: batch, params: [], tags: [] });
    }
    log(`seeded a run with ${METRIC_KEYS} metric keys × ${POINTS_PER_KEY} points in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    await tracking.close();

    server = await startBenchServer(uri, join(dir.path, "artifacts"));
    browser = await launchBrowser();
    const runsUrl = `${server.url}/experiments/${wide}`;
    const firstRow = ".grid-row .cell-name a";

    if (runs("table")) {
    const cold = await timeNavigation(browser, runsUrl, firstRow, 7, false, "ciclo:runs-visible");
    rows.push({ name: `runs table, ${RUNS.toLocaleString()} runs: navigation → first rows painted (cold context, median of 7)`, value: median(cold), unit: "ms", target: "≤ 1500", ok: median(cold) <= 1500, note: `max ${Math.round(Math.max(...cold))} ms` });
    const warm = await timeNavigation(browser, runsUrl, firstRow, 7, true, "ciclo:runs-visible");
    rows.push({ name: "same, warm (assets cached), median of 7", value: median(warm), unit: "ms", note: `max ${Math.round(Math.max(...warm))} ms` });
    }

    for (const [label, px] of runs("scroll") ? ([["reading pace (30 px/frame)", 30], ["fling (400 px/frame, pages load on the way)", 400]] as const) : []) {
      const r = await scrollFrames(browser, runsUrl, px, 5000);
      const frames = r.frames.slice(1);
      const long = frames.filter((f) => f > 50).length;
      rows.push({
        name: `scrolling the grid, ${label}: frame time p95 over 5 s`,
        value: pct(frames, 95),
        unit: "ms",
        // Two frames at 60 Hz: a single dropped frame is allowed, as the rAF clock reads it (33.3–33.4 ms).
        target: "smooth (p95 ≤ 2 frames, 33.4 ms)",
        // Compared at the 0.1 ms the clock is printed at (33.40000000001 is two frames, not three).
        ok: Math.round(pct(frames, 95) * 10) / 10 <= 33.4,
        note: `p50 ${pct(frames, 50).toFixed(1)} ms, p99 ${pct(frames, 99).toFixed(1)} ms, ${long} of ${frames.length} frames > 50 ms; ${r.rowsLoaded.toLocaleString()} rows loaded, ≤ ${r.maxDomRows} in the DOM`,
      });
    }

    if (runs("compare")) {
      // The grid (Compare's default view): the first charts in view, coarse pass first, then detail.
      const grid = `${server.url}/compare?runs=${compareIds.join(",")}`;
      const chart = ".compare-chart canvas";
      const first = await timeNavigation(browser, grid, chart, 5, false, "ciclo:compare-chart-drawn");
      rows.push({ name: `compare grid, ${COMPARE_RUNS} runs × ${COMPARE_STEPS.toLocaleString()} steps: navigation → first chart painted (cold, median of 5)`, value: median(first), unit: "ms", target: "≤ 1000", ok: median(first) <= 1000, note: `max ${Math.round(Math.max(...first))} ms; first pass: ${64} points per run from the server's step summaries` });
      const detailed = await timeNavigation(browser, grid, '.compare-chart [data-detailed="true"] canvas', 5, false, "ciclo:compare-chart-detailed");
      rows.push({ name: "same, → detailed chart painted (400 min/max points per run)", value: median(detailed), unit: "ms", note: `max ${Math.round(Math.max(...detailed))} ms` });
      const large = await timeNavigation(browser, `${grid}&m=loss`, chart, 5, false, "ciclo:compare-chart-drawn");
      rows.push({ name: "same, one chart opened large (m=loss): → chart painted", value: median(large), unit: "ms", target: "≤ 1000", ok: median(large) <= 1000, note: `max ${Math.round(Math.max(...large))} ms` });
    }

    const runUrl = `${server.url}/runs/${many.info.runId}`;
    if (runs("run")) {
    const overview = await timeNavigation(browser, runUrl, "section[aria-label=Metrics] tbody tr", 7, false, "ciclo:run-visible");
    rows.push({ name: `run page, ${METRIC_KEYS} metric keys: navigation → overview with metrics table (cold, median of 7)`, value: median(overview), unit: "ms", target: "≤ 1000", ok: median(overview) <= 1000, note: `max ${Math.round(Math.max(...overview))} ms` });
    const charts = await timeNavigation(browser, `${runUrl}?tab=charts`, ".chart canvas", 7, false, "ciclo:chart-drawn");
    rows.push({ name: "same run, charts tab: navigation → first chart drawn (cold, median of 7)", value: median(charts), unit: "ms", target: "≤ 1000", ok: median(charts) <= 1000, note: `max ${Math.round(Math.max(...charts))} ms` });
    }

    const b = bundleSizes();
    rows.push({ name: "UI JavaScript, entry chunks (gzip)", value: b.entryGz / 1024, unit: "KB", note: `all chunks ${(b.js / 1024).toFixed(0)} KB, ${(b.jsGz / 1024).toFixed(0)} KB gzip; pages and previews load on demand` });
  } finally {
    await browser?.close();
    await server?.stop();
    dir.remove();
  }

  const w = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) {
    const v = r.unit === "KB" ? r.value.toFixed(1) : r.value.toFixed(r.value < 100 ? 1 : 0);
    console.log(`${r.name.padEnd(w)}  ${v.padStart(8)} ${r.unit.padEnd(3)} ${r.target ? `target ${r.target} ${r.ok ? "✓" : "✗"}` : ""}${r.note ? `  (${r.note})` : ""}`);
  }
  const out = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "results", only ? "ui-partial.json" : quick ? "ui-quick.json" : "ui.json");
  writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), runs: RUNS, rows }, null, 2)}\n`);
  log(`results → ${out}`);
}

await main();
