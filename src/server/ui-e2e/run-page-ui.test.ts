/**
 * The run page in a real browser against a real server: overview (git link,
 * params, metrics, datasets), the breadcrumb trail (one landmark, the current page marked), tag editing, a hostile markdown description
 * rendered sanitized, metric charts with their URL settings, and the
 * artifact browser's previews (image, JSON, CSV, Parquet, MLmodel) and
 * downloads.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parquetWriteBuffer } from "hyparquet-writer";
import type { UiPage } from "../../testing/browser.js";
import { createExperiment, lossCurve, seedRun, tinyPng, uploadArtifact } from "../../testing/ui-seed.js";
import { uiTests } from "../../testing/ui-tests.js";

const HOSTILE_MARKDOWN = [
  "# Findings",
  "<script>window.__pwned = 'script'</script>",
  '<img src=x onerror="window.__pwned = \'img\'">',
  "[click me](javascript:window.__pwned='link')",
  '<a href="javascript:window.__pwned=1" onclick="window.__pwned=2">raw anchor</a>',
  "![pic](javascript:window.__pwned='pic')",
  '<iframe src="/experiments"></iframe>',
  '<svg onload="window.__pwned=\'svg\'"></svg>',
  "[docs](https://example.com/docs) and **bold** and `code`",
].join("\n\n");

const MLMODEL = `artifact_path: model
flavors:
  onnx:
    onnx_version: 1.16.0
  python_function:
    loader_module: mlflow.onnx
signature:
  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}, "name": "features"}]'
  outputs: '[{"type": "double", "name": "score", "required": true}, {"type": "string", "name": "label", "required": false}]'
`;

/** Page-side globals used inside page.evaluate/waitForFunction callbacks (the project compiles without the DOM library). */
declare const document: any;
declare const window: any;
declare const getComputedStyle: any;

describe("run page (browser)", () => {
  let p: UiPage;
  let runId: string;
  const it = uiTests(async (ui) => {
    const exp = await createExperiment(ui.api, "run-page");
    runId = await seedRun(ui.api, exp, {
      name: "resnet-baseline",
      params: { lr: "0.001", batch_size: "64", optimizer: "adamw" },
      metrics: { "train/loss": lossCurve(300, 1), "val/accuracy": [0.5, 0.7, 0.8, 0.85], zero: [0, 0, 1] },
      tags: {
        "mlflow.source.git.commit": "0123456789abcdef0123456789abcdef01234567",
        "mlflow.source.git.repoURL": "git@github.com:acme/vision.git",
        "mlflow.source.name": "train.py",
        "mlflow.user": "ada",
        "ciclo.git.patch.sha": "3e1f09c2",
        team: "vision",
      },
      status: "FINISHED",
      durationMs: 3_723_000,
    });
    await ui.api("/runs/log-inputs", {
      run_id: runId,
      datasets: [{ dataset: { name: "imagenet-mini", digest: "d1g3st", source_type: "local", source: "/data/imagenet" }, tags: [{ key: "mlflow.data.context", value: "training" }] }],
    });
    const put = (path: string, body: string | Uint8Array) => uploadArtifact(ui.url, exp, runId, path, body);
    await put("plots/confusion.png", tinyPng());
    await put("metrics.json", JSON.stringify({ accuracy: 0.91, classes: ["cat", "dog"] }));
    await put("predictions.csv", 'id,label,score\n1,cat,0.9\n2,"dog, big",0.75\n');
    await put(
      "data/sample.parquet",
      new Uint8Array(parquetWriteBuffer({ columnData: [{ name: "id", data: [1, 2, 3], type: "INT32" }, { name: "city", data: ["Oslo", "Lima", "Pune"], type: "STRING" }] })),
    );
    await put("model/MLmodel", MLMODEL);
    await put("model/model.onnx", new Uint8Array([8, 7, 0, 1, 2, 0, 0, 9]));
    return (p = await ui.newPage());
  });

  it("the overview shows status, duration, user, source, a commit link-out, params, metrics and datasets", async () => {
    await p.goto(`/runs/${runId}`);
    await p.page.getByRole("heading", { name: "resnet-baseline" }).waitFor();
    const details = p.page.getByRole("region", { name: "Details" });
    assert.match(await details.innerText(), /Finished[\s\S]*1 h 2 min[\s\S]*train\.py/);
    const commit = details.getByRole("link", { name: "0123456789" });
    assert.equal(await commit.getAttribute("href"), "https://github.com/acme/vision/commit/0123456789abcdef0123456789abcdef01234567");
    assert.equal(await commit.getAttribute("rel"), "noopener noreferrer");
    const params = p.page.getByRole("region", { name: "Parameters" });
    assert.match(await params.innerText(), /batch_size\s+64[\s\S]*lr\s+0\.001[\s\S]*optimizer\s+adamw/);
    const metrics = p.page.getByRole("region", { name: "Metrics" });
    assert.match(await metrics.innerText(), /val\/accuracy\s+0\.85/);
    const datasets = p.page.getByRole("region", { name: "Datasets" });
    assert.match(await datasets.innerText(), /imagenet-mini[\s\S]*training[\s\S]*d1g3st/);
  });

  it("the breadcrumb trail is a navigation landmark: the pages above as links, the run as the current page", async () => {
    await p.goto(`/runs/${runId}`);
    const nav = p.page.getByRole("navigation", { name: "Breadcrumb" });
    await nav.getByRole("link", { name: "run-page" }).waitFor();
    assert.deepEqual(await nav.getByRole("link").allInnerTexts(), ["Experiments", "run-page"]);
    assert.deepEqual(await nav.getByRole("listitem").evaluateAll((lis: any[]) => lis.map((li) => li.querySelector("[aria-current]")?.getAttribute("aria-current") ?? null)), [null, null, "page"]);
    assert.equal(await nav.locator('[aria-current="page"]').innerText(), "resnet-baseline");
    assert.equal(await nav.locator('.breadcrumb-sep[aria-hidden="true"]').count(), 2, "the separators are hidden from screen readers");
    if (process.env.CICLO_BREADCRUMB_SHOT) await p.page.locator(".page-header").screenshot({ path: process.env.CICLO_BREADCRUMB_SHOT });
    await nav.getByRole("link", { name: "run-page" }).click();
    await p.page.waitForURL(/\/experiments\/\d+$/);
    const up = p.page.getByRole("navigation", { name: "Breadcrumb" });
    assert.equal(await up.locator('[aria-current="page"]').innerText(), "run-page");
  });

  it("tags are added, edited and deleted in place", async (h) => {
    await p.goto(`/runs/${runId}`);
    const tags = p.page.getByRole("region", { name: "Tags" });
    await tags.getByLabel("New tag key").fill("stage");
    await tags.getByLabel("New tag value").fill("review");
    await tags.getByRole("button", { name: "Add tag" }).click();
    await tags.getByRole("cell", { name: "review" }).waitFor();
    await tags.getByRole("button", { name: "Edit tag stage" }).click();
    await tags.getByLabel("Value of stage").fill("approved");
    await tags.getByRole("button", { name: "Save" }).click();
    await tags.getByRole("cell", { name: "approved" }).waitFor();
    await tags.getByRole("button", { name: "Delete tag team" }).click();
    await tags.getByRole("cell", { name: "team", exact: true }).waitFor({ state: "detached" });
    const run = (await h.api(`/runs/get?run_id=${runId}`)).run;
    const byKey = Object.fromEntries(run.data.tags.map((t: { key: string; value: string }) => [t.key, t.value]));
    assert.equal(byKey.stage, "approved");
    assert.equal(byKey.team, undefined);
  });

  it("system tags (mlflow.*, ciclo.*) are folded away until the one toggle shows them", async () => {
    await p.goto(`/runs/${runId}`);
    const tags = p.page.getByRole("region", { name: "Tags" });
    await tags.getByRole("cell", { name: "team", exact: true }).or(tags.getByRole("cell", { name: "stage", exact: true })).first().waitFor();
    assert.equal(await tags.getByRole("cell", { name: "ciclo.git.patch.sha" }).count(), 0);
    assert.equal(await tags.getByRole("cell", { name: "mlflow.source.name" }).count(), 0);
    const toggle = tags.getByLabel(/Show system tags/);
    await toggle.check();
    await tags.getByRole("cell", { name: "ciclo.git.patch.sha" }).waitFor();
    await tags.getByRole("cell", { name: "mlflow.source.name" }).waitFor();
    // One setting for the whole UI, remembered: still on after a reload.
    await p.page.reload();
    await tags.getByRole("cell", { name: "ciclo.git.patch.sha" }).waitFor();
    await tags.getByLabel(/Show system tags/).uncheck();
    await tags.getByRole("cell", { name: "ciclo.git.patch.sha" }).waitFor({ state: "detached" });
  });

  it("the models the run produced: registered versions and logged models, each linking to its page", async (h) => {
    const exp = (await h.api(`/runs/get?run_id=${runId}`)).run.info.experiment_id;
    const { model } = await h.api("/logged-models", { experiment_id: exp, name: "resnet-final", source_run_id: runId });
    await h.api("/registered-models/create", { name: "vision.resnet" });
    await h.api("/model-versions/create", { name: "vision.resnet", source: `models:/${model.info.model_id}`, model_id: model.info.model_id });
    await h.api("/registered-models/alias", { name: "vision.resnet", alias: "champion", version: "1" });
    await p.goto(`/runs/${runId}`);
    const card = p.page.getByRole("region", { name: "Models" });
    const version = card.getByRole("link", { name: /vision\.resnet v1/ });
    await version.waitFor();
    await card.getByText("@champion").waitFor();
    const logged = card.getByRole("link", { name: /resnet-final/ });
    assert.equal(await logged.getAttribute("href"), `/logged-models/${model.info.model_id}`);
    await version.click();
    await p.page.getByRole("heading", { name: "Version 1" }).waitFor();
    assert.equal(new URL(p.page.url()).pathname, "/models/vision%2Eresnet/versions/1");
    await p.page.goBack();
    await card.getByRole("link", { name: /resnet-final/ }).click();
    await p.page.getByRole("heading", { name: "resnet-final" }).waitFor();
    const details = p.page.getByRole("region", { name: "Details" });
    await details.getByRole("link", { name: runId }).waitFor();
    await details.getByRole("link", { name: "vision.resnet v1" }).waitFor();
  });

  it("a hostile markdown description is stored as written and rendered without script, handlers or javascript: links", async (h) => {
    await p.goto(`/runs/${runId}`);
    await p.page.getByRole("button", { name: "Add description" }).click();
    await p.page.getByLabel("Description (markdown)").fill(HOSTILE_MARKDOWN);
    await p.page.getByRole("button", { name: "Save" }).click();
    const md = p.page.getByTestId("markdown");
    await md.getByRole("heading", { name: "Findings" }).waitFor();
    const stored = (await h.api(`/runs/get?run_id=${runId}`)).run.data.tags.find((t: { key: string }) => t.key === "mlflow.note.content");
    assert.equal(stored.value, HOSTILE_MARKDOWN);
    const audit = await md.evaluate((el) => ({
      scripts: el.querySelectorAll("script, iframe, svg, object, embed, form").length,
      handlers: [...el.querySelectorAll("*")].flatMap((n) => [...n.attributes].map((a) => a.name)).filter((n) => n.startsWith("on")),
      hrefs: [...el.querySelectorAll("a")].map((a) => a.getAttribute("href")),
      srcs: [...el.querySelectorAll("img")].map((i) => i.getAttribute("src")),
      rels: [...el.querySelectorAll("a[href]")].map((a) => a.getAttribute("rel")),
      text: el.textContent ?? "",
    }));
    assert.equal(audit.scripts, 0);
    assert.deepEqual(audit.handlers, []);
    assert.ok(audit.hrefs.every((h) => h === null || /^https?:/.test(h)), String(audit.hrefs));
    assert.ok(audit.hrefs.includes("https://example.com/docs"));
    assert.ok(audit.srcs.every((s) => s === null), String(audit.srcs));
    assert.ok(audit.rels.every((r) => r?.includes("noopener")));
    assert.match(audit.text, /<script>window.__pwned = 'script'<\/script>/, "raw HTML is shown as text");
    await p.page.reload();
    await md.getByRole("heading", { name: "Findings" }).waitFor();
    await md.getByText("raw anchor", { exact: false }).first().click({ trial: false }).catch(() => {});
    assert.equal(await p.page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned), undefined);
  });

  it("charts load downsampled histories; x axis, log scale and smoothing live in the URL", async () => {
    await p.goto(`/runs/${runId}?tab=charts`);
    const card = p.page.getByRole("region", { name: "Metric train/loss" });
    await card.locator("canvas").first().waitFor();
    assert.equal(await card.locator(".chart").getAttribute("data-points"), "300");
    assert.equal(await p.page.locator(".chart-card").count(), 3);
    await p.page.getByLabel("Filter metrics").fill("loss");
    await p.page.waitForFunction(() => document.querySelectorAll(".chart-card").length === 1);
    await p.page.getByLabel("X axis").selectOption("relative");
    await p.page.getByLabel("Log scale").check();
    await p.page.getByLabel("Smoothing").fill("0.6");
    const url = new URL(p.page.url());
    assert.equal(url.searchParams.get("x"), "relative");
    assert.equal(url.searchParams.get("log"), "1");
    assert.equal(url.searchParams.get("smooth"), "0.6");
    assert.equal(url.searchParams.get("mq"), "loss");
    await p.page.reload();
    await card.locator("canvas").first().waitFor();
    assert.equal(await p.page.getByLabel("X axis").inputValue(), "relative");
    assert.equal(await p.page.getByLabel("Log scale").isChecked(), true);
    assert.equal(await p.page.locator(".chart-card").count(), 1);
  });

  it("the artifact browser previews images, JSON, CSV, Parquet and MLmodel, and downloads", async () => {
    await p.goto(`/runs/${runId}?tab=artifacts`);
    const tree = p.page.getByRole("tree", { name: "Artifacts" });
    await tree.getByRole("button", { name: "metrics.json" }).click();
    await p.page.getByTestId("text-preview").filter({ hasText: '"accuracy": 0.91' }).waitFor();

    await tree.getByRole("button", { name: "predictions.csv" }).click();
    const csv = p.page.getByRole("table", { name: "CSV preview" });
    await csv.waitFor();
    assert.deepEqual(await csv.locator("tbody tr").nth(1).locator("td").allInnerTexts(), ["2", "dog, big", "0.75"]);

    await tree.getByRole("button", { name: "data" }).click();
    await tree.getByRole("button", { name: "sample.parquet" }).click();
    const pq = p.page.getByRole("table", { name: "Parquet preview" });
    await pq.waitFor();
    assert.deepEqual(await pq.locator("tbody tr").nth(2).locator("td").allInnerTexts(), ["3", "Pune"]);
    await p.page.getByText("3 rows · 2 columns").waitFor();

    await tree.getByRole("button", { name: "model" }).click();
    await tree.getByRole("button", { name: "MLmodel" }).click();
    const inputs = p.page.getByRole("table", { name: "Signature inputs" });
    await inputs.waitFor();
    assert.deepEqual(await inputs.locator("thead th").allInnerTexts(), ["Name", "Type", "Shape", "Optional"]);
    assert.deepEqual(await inputs.locator("tbody td").allInnerTexts(), ["features", "tensor (float32)", "(-1, 4)", "no"]);
    const outputs = p.page.getByRole("table", { name: "Signature outputs" });
    assert.deepEqual(await outputs.locator("tbody tr").nth(1).locator("td").allInnerTexts(), ["label", "string", "—", "yes"]);
    await p.page.locator(".chip", { hasText: "python_function" }).waitFor();

    await tree.getByRole("button", { name: "model.onnx" }).click();
    await p.page.getByText("Binary file: no preview").waitFor();

    await tree.getByRole("button", { name: "plots" }).click();
    await tree.getByRole("button", { name: "confusion.png" }).click();
    const img = p.page.getByRole("img", { name: "plots/confusion.png" });
    await img.waitFor();
    await p.page.waitForFunction(() => document.querySelector(".image-preview img")?.naturalWidth === 8);
    assert.equal(new URL(p.page.url()).searchParams.get("path"), "plots/confusion.png");

    const [download] = await Promise.all([p.page.waitForEvent("download"), p.page.getByRole("link", { name: "Download" }).click()]);
    assert.equal(download.suggestedFilename(), "confusion.png");
  });
});
