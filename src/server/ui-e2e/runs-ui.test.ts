/**
 * The runs table in a real browser against a real server: rows, filter with
 * autocomplete and the server's error message, sort, column chooser,
 * group-by aggregates, selection → Compare, bulk tag/delete/restore, CSV
 * export, state in the URL across reloads, row virtualization, the Models
 * column (one lookup per page of rows) and system tags folded out of the
 * group-by and column choices.
 */
import assert from "node:assert/strict";
import { describe } from "node:test";
import type { UiPage } from "../../testing/browser.js";
import { createExperiment, seedRun } from "../../testing/ui-seed.js";
import { uiTests } from "../../testing/ui-tests.js";

const gridNames = (p: UiPage) => p.page.locator(".grid-row .cell-name a").allInnerTexts();

/** Page-side globals used inside page.evaluate/waitForFunction callbacks (the project compiles without the DOM library). */
declare const document: any;
declare const window: any;
declare const getComputedStyle: any;

describe("runs table (browser)", () => {
  let p: UiPage;
  let exp: string;
  let other: string;
  let big: string;
  const it = uiTests(async (ui) => {
    exp = await createExperiment(ui.api, "vision");
    other = await createExperiment(ui.api, "nlp");
    const optimizers = ["adam", "sgd"];
    for (let i = 0; i < 6; i++) {
      await seedRun(ui.api, exp, {
        name: `vis-${i}`,
        params: { lr: String([0.1, 0.01][i % 2]), optimizer: optimizers[i % 2] },
        metrics: { loss: 1 + i, accuracy: 0.5 + i / 20 },
        tags: { team: "cv", "ciclo.source.argv": '["train.py"]' },
        status: "FINISHED",
        startTime: 1_700_000_000_000 + i * 1000,
      });
    }
    await seedRun(ui.api, other, { name: "nlp-0", params: { lr: "0.1" }, metrics: { loss: 0.5, perplexity: 12 }, startTime: 1_700_000_100_000 });
    big = await createExperiment(ui.api, "big");
    const runs = [];
    for (let i = 0; i < 1200; i++) runs.push(i);
    // 1,200 runs through log-batch-free creates: enough for several pages and virtualization.
    await Promise.all(
      [0, 1, 2, 3].map(async (w) => {
        for (let i = w; i < 1200; i += 4) {
          await ui.api("/runs/create", { experiment_id: big, run_name: `big-${String(i).padStart(4, "0")}`, start_time: 1_700_000_000_000 + i });
        }
      }),
    );
    return (p = await ui.newPage());
  });

  it("shows the experiment's runs, newest first, with default columns from their keys", async () => {
    await p.goto(`/experiments/${exp}`);
    await p.page.getByRole("heading", { name: "vision" }).waitFor();
    await p.page.getByText("6 runs").waitFor();
    assert.deepEqual(await gridNames(p), ["vis-5", "vis-4", "vis-3", "vis-2", "vis-1", "vis-0"]);
    const headers = await p.page.locator(".grid-head [role=columnheader]").allInnerTexts();
    for (const h of ["Created", "Status", "accuracy", "loss", "lr", "optimizer"]) assert.ok(headers.some((x) => x.includes(h)), `${h} in ${headers}`);
  });

  it("filters with MLflow syntax (autocompleting keys), keeps it in the URL, and shows the server's error", async () => {
    await p.goto(`/experiments/${exp}`);
    const input = p.page.getByLabel("Filter runs");
    await input.click();
    await input.pressSequentially("metrics.lo");
    await p.page.getByRole("listbox", { name: "Filter suggestions" }).getByRole("option", { name: "metrics.loss" }).waitFor();
    await input.press("Tab");
    assert.equal(await input.inputValue(), "metrics.loss");
    await input.pressSequentially(" < 3.5 and params.opt");
    const suggestions = p.page.getByRole("listbox", { name: "Filter suggestions" });
    assert.deepEqual(await suggestions.getByRole("option").allInnerTexts(), ["params.optimizer"]);
    await suggestions.getByRole("option", { name: "params.optimizer" }).click();
    await input.pressSequentially(" = 'adam'");
    await input.press("Enter");
    await p.page.getByText("2 runs").waitFor();
    assert.deepEqual(await gridNames(p), ["vis-2", "vis-0"]);
    assert.equal(new URL(p.page.url()).searchParams.get("filter"), "metrics.loss < 3.5 and params.optimizer = 'adam'");

    await p.page.reload();
    await p.page.getByText("2 runs").waitFor();
    assert.equal(await p.page.getByLabel("Filter runs").inputValue(), "metrics.loss < 3.5 and params.optimizer = 'adam'");

    await input.fill("metrics.loss >> 2");
    await input.press("Enter");
    await p.page.getByRole("alert").filter({ hasText: "filter 'metrics.loss >> 2'" }).waitFor();
    p.expectHttpError(400, "/runs/search");
    p.expectHttpError(400, "/runs/count");
    await p.page.getByRole("button", { name: "Clear" }).click();
    await p.page.getByText("6 runs").waitFor();
  });

  it("sorts on a metric column on the server, both ways", async () => {
    await p.goto(`/experiments/${exp}`);
    await p.page.getByRole("columnheader", { name: /loss/ }).getByRole("button").click();
    await p.page.waitForURL(/sort=metrics\.loss%3Adesc|sort=metrics.loss:desc/);
    await p.page.waitForFunction(() => document.querySelector(".grid-row .cell-name a")?.textContent === "vis-5");
    await p.page.getByRole("columnheader", { name: /loss/ }).getByRole("button").click();
    await p.page.waitForFunction(() => document.querySelector(".grid-row .cell-name a")?.textContent === "vis-0");
    assert.deepEqual(await gridNames(p), ["vis-0", "vis-1", "vis-2", "vis-3", "vis-4", "vis-5"]);
    assert.equal(await p.page.getByRole("columnheader", { name: /loss/ }).getAttribute("aria-sort"), "ascending");
  });

  it("chooses columns among all keys; the choice survives a reload", async () => {
    await p.goto(`/experiments/${exp}`);
    await p.page.getByRole("button", { name: /Columns/ }).click();
    const chooser = p.page.getByRole("dialog", { name: "Choose columns" });
    await chooser.getByLabel("Find a column").fill("team");
    await chooser.getByRole("checkbox", { name: "team" }).check();
    await chooser.getByLabel("Find a column").fill("accuracy");
    await chooser.getByRole("checkbox", { name: "accuracy" }).uncheck();
    await p.page.keyboard.press("Escape");
    await p.page.mouse.click(5, 300);
    await p.page.getByRole("columnheader", { name: /team/ }).waitFor();
    await p.page.reload();
    await p.page.getByRole("columnheader", { name: /team/ }).waitFor();
    assert.equal(await p.page.getByRole("columnheader", { name: /accuracy/ }).count(), 0);
    assert.equal(await p.page.locator(".grid-cols .grid-row").first().getByRole("gridcell").filter({ hasText: "cv" }).count(), 1);
  });

  it("groups on a param with mean/min/max of the metric columns, and opens a group", async () => {
    await p.goto(`/experiments/${exp}`);
    await p.page.getByLabel("Group by").selectOption("params.lr");
    const table = p.page.getByRole("table", { name: "Runs grouped by params.lr" });
    await table.waitFor();
    const row = table.getByRole("row", { name: /^0\.1/ });
    // lr 0.1 → runs 0, 2, 4: loss 1, 3, 5.
    assert.match(await row.innerText(), /^0\.1\t3\t.*\t3 \(1 – 5\)$/);
    await row.getByRole("button").click();
    await p.page.getByText("3 runs").waitFor();
    assert.equal(await p.page.getByLabel("Filter runs").inputValue(), "params.lr = '0.1'");
  });

  it("spans several experiments, selects runs and opens Compare with them", async () => {
    await p.goto(`/runs?e=${exp},${other}`);
    await p.page.getByText("7 runs").waitFor();
    await p.page.getByRole("heading", { name: "2 experiments" }).waitFor();
    await p.page.getByRole("gridcell").getByRole("link", { name: "nlp", exact: true }).waitFor();
    await p.page.getByLabel("Select run nlp-0").check();
    await p.page.getByLabel("Select run vis-5").check();
    await p.page.getByText("2 runs selected").waitFor();
    await p.page.reload();
    await p.page.getByText("2 runs selected").waitFor();
    await p.page.getByRole("button", { name: "Compare" }).click();
    await p.page.waitForURL(/\/compare\?runs=/);
    await p.page.getByRole("heading", { name: "Compare 2 runs" }).waitFor();
  });

  it("tags, deletes and restores the selected runs in bulk", async (h) => {
    await p.goto(`/experiments/${exp}`);
    await p.page.getByLabel("Select run vis-1").check();
    await p.page.getByLabel("Select run vis-3").check();
    await p.page.getByRole("toolbar", { name: "Selected runs" }).getByRole("button", { name: "Tag" }).click();
    await p.page.getByLabel("Tag key").fill("reviewed");
    await p.page.getByLabel("Tag value").fill("yes");
    await p.page.getByRole("button", { name: "Set tag" }).click();
    await p.page.getByText("Tagged 2 runs.").waitFor();
    const tagged = await h.api("/runs/search", { experiment_ids: [exp], filter: "tags.reviewed = 'yes'" });
    assert.deepEqual(tagged.runs.map((r: any) => r.info.run_name).sort(), ["vis-1", "vis-3"]);

    await p.page.getByLabel("Select run vis-1").check();
    await p.page.getByRole("toolbar", { name: "Selected runs" }).getByRole("button", { name: "Delete" }).click();
    await p.page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
    await p.page.getByText("Deleted 1 run.").waitFor();
    await p.page.getByText("5 runs").waitFor();
    await p.page.getByRole("button", { name: "Deleted" }).click();
    await p.page.getByLabel("Select run vis-1").check();
    await p.page.getByRole("toolbar", { name: "Selected runs" }).getByRole("button", { name: "Restore" }).click();
    await p.page.getByRole("dialog").getByRole("button", { name: "Restore" }).click();
    await p.page.getByText("Restored 1 run.").waitFor();
    await p.page.getByRole("button", { name: "Active" }).click();
    await p.page.getByText("6 runs").waitFor();
  });

  it("exports the table as CSV with the visible columns and the filter", async () => {
    await p.goto(`/experiments/${exp}?filter=${encodeURIComponent("params.optimizer = 'sgd'")}&sort=${encodeURIComponent("metrics.loss:asc")}`);
    await p.page.getByText("3 runs").waitFor();
    const [download] = await Promise.all([p.page.waitForEvent("download"), p.page.getByRole("link", { name: "Export CSV" }).click()]);
    assert.equal(download.suggestedFilename(), "runs.csv");
    const stream = await download.createReadStream();
    let text = "";
    for await (const chunk of stream) text += chunk;
    const lines = text.trimEnd().split("\r\n");
    assert.equal(lines.length, 4);
    assert.match(lines[0], /^run_id,run_name,start_time,/);
    assert.ok(lines[0].includes("metrics.loss") && lines[0].includes("params.lr"), lines[0]);
    assert.deepEqual(lines.slice(1).map((l) => l.split(",")[1]), ["vis-1", "vis-3", "vis-5"]);
  });

  it("the Models column shows each run's registered versions and logged models, looked up once per page", async (h) => {
    const runs = (await h.api("/runs/search", { experiment_ids: [exp], filter: "attributes.run_name IN ('vis-5', 'vis-4')" })).runs as Array<{ info: { run_id: string; run_name: string } }>;
    const id = (name: string) => runs.find((r) => r.info.run_name === name)!.info.run_id;
    const { model } = await h.api("/logged-models", { experiment_id: exp, name: "clf", source_run_id: id("vis-4") });
    await h.api("/registered-models/create", { name: "vision-clf" });
    await h.api("/model-versions/create", { name: "vision-clf", source: `models:/${model.info.model_id}`, model_id: model.info.model_id });
    let lookups = 0;
    const count = (req: { url(): string }) => void (req.url().endsWith("/api/ciclo/v1/runs/models") && lookups++);
    p.page.on("request", count);
    try {
      await p.goto(`/experiments/${exp}`);
      const cell = (name: string) => p.page.locator(`#grid-cells-${["vis-5", "vis-4"].indexOf(name)}`);
      await cell("vis-4").getByRole("link", { name: /vision-clf v1/ }).waitFor();
      assert.match((await cell("vis-4").locator(".model-chips").getAttribute("title")) ?? "", /Logged model clf/);
      await cell("vis-4").getByText("+1").waitFor();
      assert.equal(await cell("vis-5").locator(".model-chips").count(), 0);
      assert.equal(lookups, 1, "one lookup for the page of rows");
      await cell("vis-4").getByRole("link", { name: /vision-clf v1/ }).click();
      await p.page.getByRole("heading", { name: "Version 1" }).waitFor();
    } finally {
      p.page.off("request", count);
    }
  });

  it("system tags are folded out of the group-by and column choices until the toggle shows them", async () => {
    await p.goto(`/experiments/${exp}`);
    const groups = () => p.page.getByLabel("Group by").locator("option").allInnerTexts();
    await p.page.waitForFunction(() => [...document.querySelectorAll("select[aria-label='Group by'] option")].some((o: any) => o.textContent === "tags.team"));
    assert.ok(!(await groups()).includes("tags.ciclo.source.argv"));
    await p.page.getByRole("button", { name: /Columns/ }).click();
    const chooser = p.page.getByRole("dialog", { name: "Choose columns" });
    assert.equal(await chooser.getByRole("checkbox", { name: "ciclo.source.argv" }).count(), 0);
    await chooser.getByLabel(/Show system tags/).check();
    await chooser.getByRole("checkbox", { name: "ciclo.source.argv" }).waitFor();
    assert.ok((await groups()).includes("tags.ciclo.source.argv"));
    await chooser.getByLabel(/Show system tags/).uncheck();
    await p.page.keyboard.press("Escape");
  });

  it("virtualizes 1,200 runs: few rows in the DOM, the next pages load while scrolling", async () => {
    await p.goto(`/experiments/${big}`);
    await p.page.getByText("1,200 runs").waitFor();
    const domRows = await p.page.locator(".grid-pin .grid-row").count();
    assert.ok(domRows > 10 && domRows < 80, `${domRows} rows in the DOM`);
    const grid = p.page.getByTestId("runs-grid");
    for (let i = 0; i < 60; i++) {
      await grid.evaluate((el) => el.scrollBy(0, 5000));
      if ((await p.page.locator(".grid-row .cell-name a", { hasText: "big-0000" }).count()) > 0) break;
      await p.page.waitForFunction(() => !document.querySelector(".grid-loading") || document.querySelector(".grid-scroll")!.scrollTop > 0);
    }
    await p.page.locator(".grid-row .cell-name a", { hasText: "big-0000" }).waitFor();
    assert.ok((await p.page.locator(".grid-pin .grid-row").count()) < 80, "still only the rows in view");
    assert.equal(await p.page.locator(".grid-loading").count(), 0, "no more pages");
  });
});
