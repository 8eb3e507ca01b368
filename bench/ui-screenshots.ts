/**
 * Screenshots of each UI page, light and dark, into docs/ui/ (used by
 * docs/ui.md): a live server seeded with a small, realistic, deterministic
 * data set, driven by the project's Chromium harness.
 *
 * `node --import tsx bench/ui-screenshots.ts` (after `npm run build:ui`).
 * @module
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parquetWriteBuffer } from "hyparquet-writer";
import { openUiHarness, type UiPage } from "../src/testing/browser.js";
import { createExperiment, lossCurve, seedRun, tinyPng, uploadArtifact } from "../src/testing/ui-seed.js";
import { mlmodelYaml, registryCall, seedRegisteredModel } from "../src/testing/ui-registry-seed.js";

const OUT = fileURLToPath(new URL("../docs/ui/", import.meta.url));
const DAY = 86_400_000;
const NOW = Date.now();

const DESCRIPTION = `Baseline **ResNet-50** on ImageNet-1k with AdamW and cosine decay.

- Mixed precision, batch 256 on 8 GPUs
- Label smoothing 0.1; no mixup

Next: try \`lr = 3e-4\` with a longer warm-up. See the [training notes](https://example.com/notes).`;

const MLMODEL = `artifact_path: model
flavors:
  onnx:
    onnx_version: 1.16.0
  python_function:
    loader_module: mlflow.onnx
signature:
  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3, 224, 224]}, "name": "image"}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 1000]}, "name": "logits"}]'
model_uuid: 5f0c2b8e9a7d4c1e
utc_time_created: '2026-11-24 18:02:11'
`;

async function main(): Promise<void> {
  const ui = await openUiHarness();
  if (!ui) throw new Error("Chromium is needed for screenshots");
  mkdirSync(OUT, { recursive: true });
  try {
    const vision = await createExperiment(ui.api, "resnet50-imagenet");
    const nlp = await createExperiment(ui.api, "bert-finetune-sst2");
    const churn = await createExperiment(ui.api, "xgboost-churn");
    let hero = "";
    const visionRuns: string[] = [];
    const optimizers = ["adamw", "sgd", "lamb"];
    for (let i = 0; i < 24; i++) {
      const lr = ["0.001", "0.0003", "0.003"][i % 3];
      const curve = lossCurve(400, i % 7, 0.35 + (i % 5) * 0.04);
      const id = await seedRun(ui.api, vision, {
        name: `resnet50-${optimizers[i % 3]}-${String(i).padStart(2, "0")}`,
        params: { lr, optimizer: optimizers[i % 3], batch_size: String([128, 256][i % 2]), epochs: "90", warmup_epochs: String(5 + (i % 3)), weight_decay: "0.05" },
        metrics: {
          "train/loss": curve,
          "val/loss": curve.map((v, s) => v * 1.08 + 0.02 * Math.sin(s / 9)),
          "val/top1": curve.map((v) => Math.min(0.82, 0.95 - v * 0.32)),
          "val/top5": curve.map((v) => Math.min(0.96, 1.02 - v * 0.12)),
          "train/grad_norm": curve.map((v, s) => 0.4 + v * 1.6 + 0.08 * Math.sin(s / 5 + i)),
          "train/throughput": curve.map((_, s) => 2400 + 180 * Math.sin(s / 40 + i) - (i % 4) * 120),
          lr: Array.from({ length: 400 }, (_, s) => Number(lr) * 0.5 * (1 + Math.cos((Math.PI * s) / 400))),
          "system/gpu_utilization": curve.map((_, s) => 88 + 6 * Math.sin(s / 17 + i)),
          "system/gpu_memory_gb": curve.map(() => 31.5 + (i % 2) * 4),
        },
        tags: {
          team: "vision",
          "mlflow.user": ["ada", "grace", "linus"][i % 3],
          "mlflow.source.name": "train.py",
          "ciclo.source.argv": '["train.py", "--config", "configs/resnet50.yaml"]',
          "ciclo.git.patch.sha": "3e1f09c2",
          "ciclo.env.lockFile.sha": "b7d04a11",
        },
        status: i === 3 ? "FAILED" : i > 20 ? "RUNNING" : "FINISHED",
        startTime: NOW - (24 - i) * 0.2 * DAY,
        durationMs: 3_600_000 * (2 + (i % 4)),
      });
      visionRuns.push(id);
      if (i === 20) hero = id;
    }
    for (let i = 0; i < 8; i++) {
      await seedRun(ui.api, nlp, { name: `bert-base-${i}`, params: { lr: "2e-5", max_seq_len: "128" }, metrics: { "eval/accuracy": 0.9 + i / 200 }, status: "FINISHED", startTime: NOW - 3 * DAY - i * 3_600_000 });
    }
    await seedRun(ui.api, churn, { name: "xgb-depth6", params: { max_depth: "6" }, metrics: { auc: 0.87 }, status: "FINISHED", startTime: NOW - 9 * DAY });

    await ui.api("/runs/set-tag", { run_id: hero, key: "mlflow.note.content", value: DESCRIPTION });
    for (const [key, value] of [["mlflow.source.git.commit", "9f2c41de8b7a0c3e5f6a1b2c3d4e5f6a7b8c9d0e"], ["mlflow.source.git.repoURL", "https://github.com/acme/vision.git"]]) {
      await ui.api("/runs/set-tag", { run_id: hero, key, value });
    }
    await ui.api("/runs/log-inputs", {
      run_id: hero,
      datasets: [
        { dataset: { name: "imagenet-1k-train", digest: "a41f9c02", source_type: "s3", source: "s3://datasets/imagenet/train" }, tags: [{ key: "mlflow.data.context", value: "training" }] },
        { dataset: { name: "imagenet-1k-val", digest: "77be01d3", source_type: "s3", source: "s3://datasets/imagenet/val" }, tags: [{ key: "mlflow.data.context", value: "evaluation" }] },
      ],
    });
    const put = (path: string, body: string | Uint8Array) => uploadArtifact(ui.url, vision, hero, path, body);
    await put("model/MLmodel", MLMODEL);
    await put("model/model.onnx", new Uint8Array(64));
    await put("eval/confusion.png", tinyPng());
    await put("eval/per_class.csv", "class,precision,recall\ntench,0.91,0.88\ngoldfish,0.95,0.93\ngreat white shark,0.82,0.79\n");
    await put(
      "eval/predictions.parquet",
      new Uint8Array(
        parquetWriteBuffer({
          columnData: [
            { name: "image_id", data: [1001, 1002, 1003, 1004], type: "INT32" },
            { name: "label", data: ["tench", "goldfish", "tench", "jay"], type: "STRING" },
            { name: "score", data: [0.97, 0.88, 0.64, 0.91], type: "DOUBLE" },
          ],
        }),
      ),
    );
    await put("config.yaml", "model: resnet50\noptimizer:\n  name: adamw\n  lr: 0.001\n  weight_decay: 0.05\nschedule: cosine\n");

    // The registry: versions registered from the vision runs, moved through stages and aliases, edited.
    const mlmodel = (runId: string) => mlmodelYaml(runId, [{ name: "image", shape: [-1, 3, 224, 224] }], [{ name: "logits", shape: [-1, 1000] }]);
    const [v1, v2, v3] = [visionRuns[8], visionRuns[15], hero];
    await seedRegisteredModel(ui.url, "resnet50-imagenet", {
      description: "ResNet-50 image classifier for the **catalog** pipeline. Inputs are 224×224 RGB crops, normalized.",
      tags: { team: "vision", task: "classification" },
      versions: [
        { runId: v1, experimentId: vision, mlmodel: mlmodel(v1), stage: "Archived", description: "Baseline, AdamW." },
        { runId: v2, experimentId: vision, mlmodel: mlmodel(v2), stage: "Production" },
        { runId: v3, experimentId: vision, stage: "Staging", tags: { validated: "true" } },
      ],
      aliases: { champion: 1, challenger: 2 },
    });
    await registryCall(ui.url, "POST", "/registered-models/set-tag", { name: "resnet50-imagenet", key: "owner", value: "ada" });
    await registryCall(ui.url, "POST", "/registered-models/alias", { name: "resnet50-imagenet", alias: "shadow", version: "3" });
    await seedRegisteredModel(ui.url, "bert-sst2-sentiment", { tags: { team: "nlp" }, versions: [{ runId: visionRuns[0], experimentId: vision }], aliases: { champion: 0 } });
    await seedRegisteredModel(ui.url, "xgb-churn", { description: "Monthly churn score.", tags: { team: "growth" }, versions: [{ runId: visionRuns[1], experimentId: vision, stage: "Production" }, { runId: visionRuns[2], experimentId: vision }] });
    // MLflow 3.x logged models the hero run produced (a final model and a checkpoint).
    for (const name of ["resnet50", "resnet50-epoch60"]) {
      const { model } = await ui.api("/logged-models", { experiment_id: vision, name, source_run_id: hero, model_type: "image-classifier" });
      await fetch(`${ui.url}/api/2.0/mlflow/logged-models/${model.info.model_id}`, {
        method: "PATCH",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model_id: model.info.model_id, status: "LOGGED_MODEL_READY" }),
      });
    }
    const compared = [0, 1, 2, 5, 9, 13, 17, 20].map((i) => visionRuns[i]).join(",");
    const gridReady = async (p: UiPage) => {
      // The charts in view, drawn from the detailed pass.
      await p.page.locator('.grid-chart [data-detailed="true"] canvas').nth(5).waitFor();
    };

    const shots: Array<[string, string, (p: UiPage) => Promise<void>]> = [
      ["experiments", "/experiments", (p) => p.page.getByRole("link", { name: "resnet50-imagenet" }).waitFor()],
      ["runs", `/experiments/${vision}?sort=${encodeURIComponent("metrics.val/top1:desc")}`, (p) => p.page.locator(".grid-row").first().waitFor()],
      ["runs-grouped", `/experiments/${vision}?group=params.optimizer`, (p) => p.page.getByRole("table", { name: /grouped/ }).waitFor()],
      ["run-overview", `/runs/${hero}`, async (p) => {
        await p.page.getByTestId("markdown").waitFor();
        await p.page.getByRole("region", { name: "Models" }).getByRole("link").first().waitFor();
      }],
      ["run-charts", `/runs/${hero}?tab=charts&smooth=0.6`, async (p) => {
        await p.page.locator(".chart canvas").nth(3).waitFor();
      }],
      ["run-artifacts", `/runs/${hero}?tab=artifacts&path=model/MLmodel`, (p) => p.page.getByRole("table", { name: "Signature inputs" }).waitFor()],
      ["run-artifacts-parquet", `/runs/${hero}?tab=artifacts&path=eval/predictions.parquet`, (p) => p.page.getByRole("table", { name: "Parquet preview" }).waitFor()],
      ["compare", `/compare?runs=${compared}&smooth=0.6`, gridReady],
      ["compare-chart", `/compare?runs=${compared}&m=val%2Floss&smooth=0.6`, (p) => p.page.locator(".compare-chart canvas").waitFor()],
      ["compare-parallel", `/compare?runs=${compared}&tab=parallel&pm=metrics.val%2Ftop1`, (p) => p.page.locator(".pc-line").first().waitFor()],
      ["compare-scatter", `/compare?runs=${compared}&tab=scatter&sx=params.lr&sy=metrics.val%2Floss`, (p) => p.page.locator(".sc-dot").first().waitFor()],
      ["compare-diff", `/compare?runs=${compared}&tab=diff&only=1`, (p) => p.page.getByRole("table", { name: "Run differences" }).waitFor()],
      ["models", "/models", (p) => p.page.getByRole("table", { name: "Registered models" }).waitFor()],
      ["model", "/models/resnet50-imagenet", (p) => p.page.getByRole("list", { name: "Model history" }).waitFor()],
      ["model-version", "/models/resnet50-imagenet/versions/3", (p) => p.page.getByRole("table", { name: "Signature inputs" }).waitFor()],
    ];
    for (const theme of ["light", "dark"] as const) {
      const p = await ui.newPage({ colorScheme: theme, viewport: { width: 1440, height: 900 } });
      for (const [name, path, ready] of shots) {
        await p.goto(path);
        await ready(p);
        // Let charts and fonts settle (a frame after the content is in place).
        await p.page.evaluate("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))");
        await p.page.screenshot({ path: join(OUT, `${name}-${theme}.png`), fullPage: name === "model" || name === "model-version" || name === "run-overview" });
        process.stderr.write(`screenshot ${name}-${theme}.png\n`);
      }
      p.assertClean();
      await p.close();
    }
  } finally {
    await ui.close();
  }
}

await main();
