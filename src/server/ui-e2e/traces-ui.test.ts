/**
 * The traces pages in a real browser against a real server: trace infos
 * logged through StartTraceV3 and spans uploaded as traces.json through the
 * artifact proxy, as MLflow 3's client does. Checks the list (newest first,
 * paged by the search's page token, ERROR badge, run link, full preview on
 * hover, the filter and its error), the empty state, the span tree and a
 * selected span's inputs, an exception, and that hostile span text stays text.
 */
import assert from "node:assert/strict";
import { describe } from "node:test";
import type { UiPage } from "../../testing/browser.js";
import { docScreenshotPath } from "../../testing/doc-screenshots.js";
import { createExperiment, seedRun } from "../../testing/ui-seed.js";
import { hex, logTrace, nano, span } from "../../testing/trace-seed.js";
import { uiTests } from "../../testing/ui-tests.js";

declare const document: any;
declare const window: any;

const HOSTILE = '<img src=x onerror="window.__pwned=1">';
describe("traces pages (browser)", () => {
  let p: UiPage;
  let exp = "";
  let emptyExp = "";
  let runId = "";
  const answerId = `tr-${hex(0xa)}`;
  const failingId = `tr-${hex(0xe)}`;
  const LONG_REQUEST = JSON.stringify({ question: `what is six times seven? ${"and why ".repeat(20)}the end` });

  const it = uiTests(async (ui) => {
    exp = await createExperiment(ui.api, "chatbot");
    emptyExp = await createExperiment(ui.api, "no-traces-here");
    runId = await seedRun(ui.api, exp, { name: "tracing-run" });
    // 55 plain traces, a minute apart; then the two under test, the newest.
    for (let i = 0; i < 55; i++) {
      await logTrace(ui.url, exp, { id: `tr-${hex(0x100 + i)}`, name: `bulk-${String(i).padStart(2, "0")}`, atMs: i * 60_000, state: "OK", durationMs: 10 + i });
    }
    await logTrace(ui.url, exp, {
      id: answerId,
      name: "answer",
      atMs: 100 * 60_000,
      state: "OK",
      durationMs: 1250,
      request: LONG_REQUEST,
      response: '"42"',
      run: runId,
      tags: { team: "tour" },
      spans: [
        span("root", null, "answer", "CHAIN", 0, 1250, { "mlflow.spanInputs": { question: "six times seven?" }, "mlflow.spanOutputs": "42", model: "small" }),
        span("ret", "root", "retrieve", "RETRIEVER", 100, 400, { "mlflow.spanInputs": { query: "six times seven?", top_k: 2 }, "mlflow.spanOutputs": ["doc-1", "doc-2"] }),
        span("gen", "root", HOSTILE, "LLM", 450, 1200, { "mlflow.spanInputs": { prompt: HOSTILE }, "mlflow.spanOutputs": { text: "42" } }),
      ],
    });
    await logTrace(ui.url, exp, {
      id: failingId,
      name: "failing",
      atMs: 101 * 60_000,
      state: "ERROR",
      durationMs: 30,
      request: '{"x": 7}',
      spans: [
        span("f", null, "failing", "UNKNOWN", 0, 30, { "mlflow.spanInputs": { x: 7 } }, [
          { name: "exception", time_unix_nano: nano(29), attributes: { "exception.type": "ValueError", "exception.message": "bad input 7", "exception.stacktrace": "Traceback ...\n  line 2" } },
        ], true),
      ],
    });
    return (p = await ui.newPage());
  });

  it("lists the experiment's traces newest first, pages on with the page token, and links the run", async () => {
    await p.goto(`/experiments/${exp}`);
    await p.page.getByRole("link", { name: "Traces", exact: true }).click();
    await p.page.getByRole("heading", { name: "Traces" }).waitFor();
    assert.match(p.page.url(), new RegExp(`/experiments/${exp}/traces$`));
    const table = p.page.getByRole("table", { name: "Traces" });
    const rows = table.locator("tbody tr");
    await rows.first().waitFor();
    assert.equal(await rows.count(), 50, "the first page");
    const names = await table.locator("tbody td.cell-name").allInnerTexts();
    assert.deepEqual(names.slice(0, 4), ["failing", "answer", "bulk-54", "bulk-53"]);

    const failing = rows.nth(0);
    assert.equal(await failing.locator(".badge").innerText(), "ERROR");
    const answer = rows.nth(1);
    assert.equal(await answer.locator(".badge").innerText(), "OK");
    assert.equal((await answer.getByRole("cell").nth(3).innerText()).trim(), "1.3 s");
    const preview = answer.getByRole("cell").nth(4);
    assert.ok((await preview.innerText()).endsWith("…"), "a long request is cut in the cell");
    assert.equal(await preview.getAttribute("title"), LONG_REQUEST, "and whole on hover");
    assert.equal(await answer.getByRole("link", { name: `…${runId.slice(-8)}` }).getAttribute("href"), `/runs/${runId}`);
    await answer.getByText("team: tour").waitFor();

    await p.page.screenshot({ path: docScreenshotPath("traces-list.png"), fullPage: false });
    await p.page.getByRole("button", { name: "Load more traces" }).click();
    await p.page.waitForFunction(() => document.querySelectorAll("table[aria-label=Traces] tbody tr").length === 57);
    const all = await table.locator("tbody td.cell-name").allInnerTexts();
    assert.equal(all.at(-1), "bulk-00", "the oldest comes last");
    assert.equal(new Set(all).size, 57, "no trace twice across pages");
    assert.equal(await p.page.getByRole("button", { name: "Load more traces" }).count(), 0, "no page after the last");
  });

  it("filters with MLflow's trace filter string; a bad filter says why", async () => {
    await p.goto(`/experiments/${exp}/traces`);
    await p.page.getByLabel("Filter traces").fill("trace.status = 'ERROR'");
    await p.page.getByRole("button", { name: "Apply" }).click();
    await p.page.waitForFunction(() => document.querySelectorAll("table[aria-label=Traces] tbody tr").length === 1);
    assert.equal(await p.page.locator("tbody td.cell-name").innerText(), "failing");
    assert.match(p.page.url(), /\?filter=trace\.status/);

    p.expectHttpError(400, "/traces/search");
    await p.page.getByLabel("Filter traces").fill("trace.nonsense ~~ 3");
    await p.page.getByRole("button", { name: "Apply" }).click();
    const err = p.page.locator(".filter-error");
    await err.waitFor();
    assert.ok((await err.innerText()).length > 10);
  });

  it("an experiment without traces says how to log one", async () => {
    await p.goto(`/experiments/${emptyExp}/traces`);
    await p.page.getByText("No traces yet").waitFor();
    await p.page.getByText("@mlflow.trace").waitFor();
    await p.page.getByText(/docs\/tracking\.md#traces/).waitFor();
  });

  it("the trace page shows the span tree on one time axis and the selected span's inputs; hostile text stays text", async () => {
    await p.goto(`/experiments/${exp}/traces`);
    await p.page.getByRole("link", { name: "answer" }).click();
    const tree = p.page.getByRole("tree", { name: "Spans" });
    await tree.waitFor();
    const items = tree.getByRole("treeitem");
    assert.deepEqual(await items.evaluateAll((els: any[]) => els.map((e) => [e.getAttribute("aria-label"), e.getAttribute("aria-level")])), [
      ["answer", "1"],
      ["retrieve", "2"],
      [HOSTILE, "2"],
    ]);
    await p.page.getByRole("link", { name: runId }).waitFor();
    // The root is selected first; its bar spans the axis, retrieve's starts 8 % in and is 24 % wide.
    const bar = (i: number) => items.nth(i).locator(".span-bar").evaluate((e: any) => [parseFloat(e.style.left), parseFloat(e.style.width)]);
    assert.deepEqual(await bar(0), [0, 100]);
    assert.deepEqual(await bar(1), [8, 24]);
    await p.page.getByLabel("Attributes").getByText('"model": "small"').waitFor();

    await items.nth(1).click();
    const inputs = p.page.getByLabel("Inputs");
    await p.page.getByRole("region", { name: "Span retrieve" }).waitFor();
    assert.deepEqual(JSON.parse(await inputs.innerText()), { query: "six times seven?", top_k: 2 });
    assert.deepEqual(JSON.parse(await p.page.getByLabel("Outputs").innerText()), ["doc-1", "doc-2"]);
    assert.match(p.page.url(), /\?span=/, "the selection is in the URL");

    await items.nth(2).click();
    assert.deepEqual(JSON.parse(await p.page.getByLabel("Inputs").innerText()), { prompt: HOSTILE });
    assert.equal(await p.page.locator("main img, .page img").count(), 0, "no element made from span text");
    assert.equal(await p.page.evaluate(() => window.__pwned), undefined);
    await p.page.screenshot({ path: docScreenshotPath("traces-trace.png"), fullPage: false });
  });

  it("an ERROR trace shows its status and the exception event", async () => {
    await p.goto(`/experiments/${exp}/traces/${failingId}`);
    await p.page.getByRole("heading", { level: 1, name: /failing/ }).locator(".badge").filter({ hasText: "ERROR" }).waitFor();
    await p.page.getByRole("tree", { name: "Spans" }).getByRole("treeitem", { name: "failing" }).waitFor();
    const exception = p.page.getByLabel("Exception");
    assert.equal(JSON.parse(await exception.innerText())["exception.message"], "bad input 7");
    await p.page.getByText("ValueError: bad input 7").waitFor();
    assert.equal(await p.page.getByLabel("Stack trace").innerText(), "Traceback ...\n  line 2");
  });
});
