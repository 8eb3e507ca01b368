/**
 * What a user does with a trace in a real browser against a real server: the
 * run page's Traces tab (traces logged in the run and traces linked to it
 * afterwards, not the others), a trace's assessments (feedback with source
 * and rationale, an overridden one, an expectation, a feedback that failed
 * with an error; hostile text as text; light and dark themes), adding and
 * removing a tag, and deleting the trace behind a confirmation.
 */
import assert from "node:assert/strict";
import { describe } from "node:test";
import type { UiPage } from "../../testing/browser.js";
import { docScreenshotPath } from "../../testing/doc-screenshots.js";
import { createExperiment, seedRun } from "../../testing/ui-seed.js";
import { hex, logTrace, span } from "../../testing/trace-seed.js";
import { uiTests } from "../../testing/ui-tests.js";

declare const document: any;
declare const window: any;

const HOSTILE = '<img src=x onerror="window.__pwned=1">';

async function call(url: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${url}${path}`, { method, headers: body === undefined ? {} : { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : {};
}

describe("trace actions (browser)", () => {
  let p: UiPage;
  let url = "";
  let exp = "";
  let runId = "";
  const inRun = `tr-${hex(0x1)}`;
  const linked = `tr-${hex(0x2)}`;
  const other = `tr-${hex(0x3)}`;
  const doomed = `tr-${hex(0x4)}`;

  const it = uiTests(async (ui) => {
    url = ui.url;
    exp = await createExperiment(ui.api, "judged-chatbot");
    runId = await seedRun(ui.api, exp, { name: "eval-run" });
    await logTrace(url, exp, {
      id: inRun,
      name: "answer",
      atMs: 0,
      state: "OK",
      durationMs: 900,
      request: '{"question": "six times seven?"}',
      response: '"42"',
      run: runId,
      spans: [span("root", null, "answer", "CHAIN", 0, 900), span("ret-span", "root", "retrieve", "RETRIEVER", 100, 300)],
    });
    await logTrace(url, exp, { id: linked, name: "offline-eval", atMs: 60_000, state: "OK", durationMs: 40, spans: [span("x", null, "offline-eval", "CHAIN", 0, 40)] });
    await logTrace(url, exp, { id: other, name: "unrelated", atMs: 120_000, state: "ERROR", durationMs: 5, spans: [] });
    await logTrace(url, exp, { id: doomed, name: "to-delete", atMs: 180_000, state: "OK", durationMs: 5, spans: [], tags: { keep: "no" } });
    await call(url, "POST", "/api/2.0/mlflow/traces/link-to-run", { trace_ids: [linked], run_id: runId });

    const V3 = "/api/3.0/mlflow";
    const judged = await call(url, "POST", `${V3}/traces/${inRun}/assessments`, {
      assessment: { assessment_name: "relevance", source: { source_type: "LLM_JUDGE", source_id: "judge-model" }, feedback: { value: 0.6 }, rationale: "Answers the question but cites no source." },
    });
    await call(url, "POST", `${V3}/traces/${inRun}/assessments`, {
      assessment: {
        assessment_name: "relevance",
        source: { source_type: "HUMAN", source_id: "reviewer@example.com" },
        feedback: { value: 0.9 },
        rationale: `Fully answers it. ${HOSTILE}`,
        overrides: judged.assessment.assessment_id,
      },
    });
    await call(url, "POST", `${V3}/traces/${inRun}/assessments`, {
      assessment: { assessment_name: "expected_answer", source: { source_type: "HUMAN", source_id: "labeler" }, expectation: { serialized_value: { serialization_format: "JSON_FORMAT", value: '["42", "forty-two"]' } } },
    });
    await call(url, "POST", `${V3}/traces/${inRun}/assessments`, {
      assessment: { assessment_name: "safety", source: { source_type: "LLM_JUDGE", source_id: "judge-model" }, feedback: { error: { error_code: "TimeoutError", error_message: "judge timed out" } } },
    });
    await call(url, "POST", `${V3}/traces/${inRun}/assessments`, {
      assessment: { assessment_name: "retrieval_ok", span_id: Buffer.from("ret-span").toString("hex"), source: { source_type: "CODE", source_id: "check.py" }, feedback: { value: true } },
    });
    return (p = await ui.newPage());
  });

  it("the run page's Traces tab lists the traces logged in the run and those linked to it", async () => {
    await p.goto(`/runs/${runId}`);
    await p.page.getByRole("tab", { name: "Traces" }).click();
    const table = p.page.getByRole("table", { name: "Traces" });
    await table.waitFor();
    assert.deepEqual(await table.locator("tbody td.cell-name").allInnerTexts(), ["offline-eval", "answer"]);
    assert.match(p.page.url(), /\?tab=traces/);
    await p.page.screenshot({ path: docScreenshotPath("run-traces.png"), fullPage: false });
    await table.getByRole("link", { name: "answer" }).click();
    await p.page.getByRole("heading", { level: 1, name: /answer/ }).waitFor();
    assert.match(p.page.url(), new RegExp(`/experiments/${exp}/traces/${inRun}$`));
  });

  it("a trace's assessments: kind, value, source, rationale; the overridden one marked; an error; hostile text as text", async () => {
    await p.goto(`/experiments/${exp}/traces/${inRun}`);
    const card = p.page.getByRole("region", { name: "Assessments" });
    const rows = card.locator("tbody tr");
    await rows.first().waitFor();
    assert.equal(await rows.count(), 5);
    const row = (name: string) => card.getByRole("row", { name: `Assessment ${name}` });
    const [judge, human] = [row("relevance").nth(0), row("relevance").nth(1)];
    assert.match(await judge.innerText(), /Feedback\s*Overridden/);
    assert.match(await judge.innerText(), /0\.6[\s\S]*LLM judge[\s\S]*judge-model[\s\S]*cites no source/);
    assert.match(await human.innerText(), /overrides an earlier one[\s\S]*0\.9[\s\S]*Human[\s\S]*reviewer@example\.com/);
    assert.ok((await human.innerText()).includes(HOSTILE), "the rationale's markup reads as characters");
    assert.match(await row("expected_answer").innerText(), /Expectation[\s\S]*\["42","forty-two"\][\s\S]*labeler/);
    assert.match(await row("safety").innerText(), /TimeoutError: judge timed out/);
    assert.match(await row("retrieval_ok").innerText(), /on span retrieve[\s\S]*true[\s\S]*Code[\s\S]*check\.py/);
    assert.equal(await p.page.locator("main img, .page img").count(), 0);
    assert.equal(await p.page.evaluate(() => window.__pwned), undefined);
    await card.scrollIntoViewIfNeeded();
    await p.page.screenshot({ path: docScreenshotPath("traces-assessments.png"), fullPage: true });
  });

  it("the trace page in the dark theme", async (ui) => {
    const dark = await ui.newPage({ colorScheme: "dark", viewport: { width: 1280, height: 900 } });
    try {
      await dark.goto(`/experiments/${exp}/traces/${inRun}`);
      await dark.page.getByRole("region", { name: "Assessments" }).locator("tbody tr").first().waitFor();
      assert.equal(await dark.page.evaluate(() => document.documentElement.dataset.theme), "dark");
      await dark.page.screenshot({ path: docScreenshotPath("traces-assessments-dark.png"), fullPage: true });
      dark.assertClean();
    } finally {
      await dark.close();
    }
  });

  it("adds and removes a tag", async () => {
    await p.goto(`/experiments/${exp}/traces/${linked}`);
    const tags = p.page.getByRole("region", { name: "Tags" });
    await tags.getByLabel("New tag key").fill("reviewed");
    await tags.getByLabel("New tag value").fill("yes");
    await tags.getByRole("button", { name: "Add tag" }).click();
    await tags.getByRole("cell", { name: "reviewed", exact: true }).waitFor();
    const stored = await call(url, "GET", `/api/3.0/mlflow/traces/${linked}`);
    assert.equal(stored.trace.trace_info.tags.reviewed, "yes");
    await tags.getByRole("button", { name: "Delete tag reviewed" }).click();
    await p.page.waitForFunction(() => !document.querySelector("[aria-label=Tags] table")?.innerText.includes("reviewed"));
    const after = await call(url, "GET", `/api/3.0/mlflow/traces/${linked}`);
    assert.equal(after.trace.trace_info.tags.reviewed, undefined);
  });

  it("deletes a trace only once confirmed, then returns to the list", async () => {
    await p.goto(`/experiments/${exp}/traces/${doomed}`);
    await p.page.getByRole("button", { name: "Delete trace" }).click();
    const dialog = p.page.getByRole("dialog", { name: "Delete this trace?" });
    await dialog.waitFor();
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "hidden" });
    assert.equal((await call(url, "GET", `/api/3.0/mlflow/traces/${doomed}`)).trace.trace_info.trace_id, doomed, "cancel deletes nothing");
    await p.page.getByRole("button", { name: "Delete trace" }).click();
    await dialog.getByRole("button", { name: "Delete trace" }).click();
    await p.page.getByRole("heading", { name: "Traces" }).waitFor();
    assert.match(p.page.url(), new RegExp(`/experiments/${exp}/traces$`));
    const names = await p.page.getByRole("table", { name: "Traces" }).locator("tbody td.cell-name").allInnerTexts();
    assert.ok(!names.includes("to-delete") && names.includes("unrelated"), names.join(","));
    const gone = await fetch(`${url}/api/3.0/mlflow/traces/${doomed}`);
    assert.equal(gone.status, 404);
  });
});
