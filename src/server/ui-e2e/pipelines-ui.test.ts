/**
 * The pipeline pages in a real browser against a real server running real
 * pipelines (step processes, the job runner): the list with a run's state
 * and the waiting approvals, a run's step graph following the run live,
 * a step's logs, a cache hit on a second run, and the approvals inbox
 * (approve with a comment continues the run; reject fails it); starting a
 * run with an input from the list page and cancelling it from its page;
 * creating and deleting a trigger. With CICLO_UPDATE_SCREENSHOTS=1 also writes
 * the screenshot docs/pipelines-triggers.md shows (docs/images/pipelines-run.png).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { docScreenshotPath } from "../../testing/doc-screenshots.js";
import { openUiBrowser, type UiPage } from "../../testing/browser.js";
import { startPipelineWorld, type PipelineWorld } from "../../testing/pipelines-fixture.js";

describe("pipeline pages (browser)", () => {
  let w: PipelineWorld | undefined;
  let ui: Awaited<ReturnType<typeof openUiBrowser>>;
  let p: UiPage;
  let project: string;
  before(async () => {
    w = await startPipelineWorld();
    ui = await openUiBrowser(w.url);
    if (!ui) return;
    project = w.project("release", {
      "ciclo.yaml": `name: release
entry_points:
  main: { command: "echo main" }
pipelines:
  release:
    steps:
      prepare:
        run: echo "prepared the validation set"
      train:
        needs: [prepare]
        run: |
          echo "epoch 1 loss=0.52"
          echo "epoch 2 loss=0.31"
          echo "accuracy=0.91" >> "$CICLO_STEP_OUTPUTS"
        cache: false
      evaluate:
        needs: [prepare]
        run: echo "evaluated against @champion"
        cache: false
      approve:
        uses: approve
        needs: [train, evaluate]
        with: { message: "Deploy the new model to production?" }
      deploy:
        needs: [approve]
        run: echo "deployed"
        cache: false
  slow:
    inputs:
      label: { type: string, default: nightly }
    steps:
      wait:
        run: echo "label=\${{ inputs.label }}"; exec sleep 60
        cache: false
`,
    });
    p = await ui.newPage();
  });
  after(async () => {
    await p?.close();
    await ui?.close();
    await w?.close();
  });

  test("list → run graph → logs → approve with a comment in the inbox → the graph follows the run to its end", async (t) => {
    if (!ui || !w) return t.skip("no browser");
    const run = await w.start(project, "release");
    await w.until(run.run_id, ["waiting"]);

    await p.goto("/pipelines");
    const row = p.page.locator(`tr[data-run="${run.run_id}"]`);
    await row.waitFor();
    assert.match(await row.innerText(), /release\s+waiting\s+3\/5 done/);
    assert.match(await row.innerText(), /manual/);
    assert.match(await p.page.getByTestId("approvals-link").innerText(), /1 waiting/);

    await row.getByRole("link", { name: "release" }).click();
    await p.page.locator(".step-graph").waitFor();
    const status = async (step: string) => p.page.locator(`.step-graph [data-step="${step}"]`).getAttribute("data-status");
    assert.deepEqual(
      await Promise.all(["prepare", "train", "evaluate", "approve", "deploy"].map(status)),
      ["succeeded", "succeeded", "succeeded", "waiting", "pending"],
    );
    // Edges point right: train and evaluate sit one column after prepare, approve after them.
    const x = async (step: string) => (await p.page.locator(`.step-graph [data-step="${step}"]`).boundingBox())!.x;
    assert.ok((await x("train")) > (await x("prepare")) && (await x("approve")) > (await x("evaluate")) && (await x("deploy")) > (await x("approve")));
    await p.page.locator('.step-graph [data-step="train"]').click();
    await p.page.locator('.step-logs[data-step="train"] .log-stdout').getByText("epoch 2 loss=0.31", { exact: true }).waitFor();
    const message = p.page.locator(".approvals-on-run .approval-message");
    await message.waitFor();
    assert.equal(await message.innerText(), "Deploy the new model to production?");
    await p.page.screenshot({ path: docScreenshotPath("pipelines-run.png"), fullPage: true });

    await p.goto("/pipelines/approvals");
    const card = p.page.locator(`.approval-card[data-run="${run.run_id}"]`);
    await card.getByLabel("Comment").fill("metrics look right");
    await card.getByRole("button", { name: "Approve" }).click();
    const answered = p.page.locator(`.answered-table tr[data-run="${run.run_id}"]`);
    await answered.waitFor();
    assert.match(await answered.innerText(), /approved/);
    assert.match(await answered.innerText(), /metrics look right/);

    // The run page polls: deploy turns succeeded without a reload.
    await p.goto(`/pipelines/runs/${run.run_id}`);
    await p.page.locator('.step-graph [data-step="deploy"][data-status="succeeded"]').waitFor({ timeout: 60_000 });
    await p.page.locator('h1 [data-status="succeeded"]').waitFor();
    p.assertClean();
  });

  test("a second run shows its cache hit; rejecting it in the inbox fails the run", async (t) => {
    if (!ui || !w) return t.skip("no browser");
    const run = await w.start(project, "release");
    await w.until(run.run_id, ["waiting"]);
    await p.goto(`/pipelines/runs/${run.run_id}`);
    const prepare = p.page.locator('.steps-table tr[data-step="prepare"]');
    await prepare.waitFor();
    assert.match(await prepare.locator(".cache-cell").innerText(), /^hit \(run …[0-9a-f]{8}\)$/);
    assert.equal(await p.page.locator('.steps-table tr[data-step="train"] .cache-cell').innerText(), "");

    await p.goto("/pipelines/approvals");
    const card = p.page.locator(`.approval-card[data-run="${run.run_id}"]`);
    await card.getByLabel("Comment").fill("not this one");
    await card.getByRole("button", { name: "Reject" }).click();
    await p.page.locator(`.answered-table tr[data-run="${run.run_id}"]`).getByText("rejected").waitFor();
    const done = await w.until(run.run_id);
    assert.equal(done.status, "failed");
    assert.equal(done.steps.find((s: any) => s.step_id === "deploy").status, "skipped");
    p.assertClean();
  });

  test("start a run with an input from the list page, cancel it from its page; create and delete a cron trigger", async (t) => {
    if (!ui || !w) return t.skip("no browser");
    const reg = await w.api("POST", "/pipelines/projects", { name: "release", source: project });
    assert.equal(reg.status, 200, JSON.stringify(reg.json));
    await p.goto("/pipelines");
    const form = p.page.locator(".start-run-form");
    await form.getByLabel("Pipeline").selectOption("slow");
    const input = form.getByLabel("Input label");
    assert.equal(await input.inputValue(), "nightly", "the input's default is prefilled");
    await input.fill("from-the-ui");
    await form.getByRole("button", { name: "Start" }).click();
    await p.page.waitForURL(/\/pipelines\/runs\/[0-9a-f]{32}$/);
    const runId = p.page.url().split("/").pop()!;
    const started = (await w.api("GET", `/pipelines/runs/${runId}`)).json.pipeline_run;
    assert.equal(started.pipeline, "slow");
    assert.deepEqual(started.inputs, { label: "from-the-ui" });
    assert.equal(started.trigger.kind, "manual");
    await p.page.locator('.step-graph [data-step="wait"][data-status="running"]').waitFor({ timeout: 60_000 });
    await p.page.getByRole("button", { name: "Cancel run" }).click();
    await p.page.locator('h1 [data-status="cancelled"]').waitFor();
    assert.equal((await w.until(runId)).status, "cancelled");
    assert.equal(await p.page.getByRole("button", { name: "Cancel run" }).count(), 0, "a finished run offers no cancel");

    await p.goto("/pipelines");
    const tf = p.page.locator(".trigger-form");
    await tf.getByLabel("Name").fill("nightly");
    await tf.getByLabel("Project").fill("release");
    await tf.getByLabel("Pipeline").fill("slow");
    await tf.getByLabel("Cron").fill("0 3 * * *");
    await tf.getByRole("button", { name: "Create trigger" }).click();
    const row = p.page.locator('.triggers-table tr[data-trigger="nightly"]');
    await row.waitFor();
    assert.match(await row.innerText(), /cron\s+slow\s+0 3 \* \* \* \(UTC\)/);
    const stored = (await w.api("GET", "/pipelines/triggers/list")).json.triggers;
    assert.deepEqual(stored.map((x: any) => [x.name, x.kind, x.project, x.pipeline, x.config.cron]), [["nightly", "cron", "release", "slow", "0 3 * * *"]]);
    await row.getByRole("button", { name: "Delete" }).click();
    await row.getByRole("button", { name: "Confirm delete" }).click();
    await row.waitFor({ state: "detached" });
    assert.deepEqual((await w.api("GET", "/pipelines/triggers/list")).json.triggers, []);
    p.assertClean();
  });
});
