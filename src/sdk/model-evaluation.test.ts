/**
 * evaluate() and `ciclo models evaluate` against a live server: registered
 * versions and a champion alias as baseline, metrics/tags/artifacts logged to
 * a run, and the CLI's exit code as a CI gate.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ArtifactClient } from "./artifact-client.js";
import { logModel } from "./model-client.js";
import { runCiclo } from "../testing/child-server.js";
import { startLiveTrackingServer, type LiveTrackingServer } from "../testing/live-tracking-server.js";
import { tempDir } from "../testing/temp-dir.js";
import { evaluate } from "./model-evaluation.js";

const FIXTURES = new URL("../models/fixtures", import.meta.url).pathname;
const REGRESSION = join(FIXTURES, "regression.csv");
const CLASSIFICATION = join(FIXTURES, "classification.csv");

describe("evaluate against a live server", () => {
  let live: LiveTrackingServer;
  let client: ArtifactClient;
  let experimentId: string;
  let clfRun: string;
  const cli = (args: string[]) => runCiclo(["models", "evaluate", ...args], { CICLO_TRACKING_URI: live.url, NO_COLOR: "1", FORCE_COLOR: "" });

  before(async () => {
    live = await startLiveTrackingServer();
    client = new ArtifactClient({ trackingUri: live.url, env: {} });
    experimentId = await client.tracking.createExperiment("evaluation");
    const newRun = async () => (await client.tracking.createRun({ experimentId })).info.runId;
    const cols = [{ x1: 0.1, x2: 0.2, x3: 0.3 }];
    // The tree ensemble (champion, v1) fits the linear data worse than the linear model (v2).
    await logModel(await newRun(), "model", join(FIXTURES, "tree-regressor.onnx"), { client, inputExample: cols, registeredModelName: "reg" });
    await logModel(await newRun(), "model", join(FIXTURES, "linear-regressor.onnx"), { client, inputExample: cols, registeredModelName: "reg" });
    await client.registry.setRegisteredModelAlias("reg", "champion", "1");
    clfRun = await newRun();
    await logModel(clfRun, "clf", join(FIXTURES, "classifier.onnx"), { client });
  });
  after(async () => live?.close());

  it("SDK: candidate vs the champion passes absolute and change thresholds; everything is logged to a new run", async () => {
    const report = await evaluate("models:/reg/2", REGRESSION, {
      modelType: "regressor",
      targets: "y",
      baseline: "models:/reg@champion",
      thresholds: { rmse: { threshold: 0.5 }, root_mean_squared_error: { threshold: 0.5, minAbsoluteChange: 0.1 }, r2_score: { minRelativeChange: 0.05 } },
      experimentName: "evaluation",
      client,
    });
    assert.equal(report.passed, true, report.validation?.failures.join("\n"));
    assert.ok(report.metrics.root_mean_squared_error < report.baselineMetrics!.root_mean_squared_error - 0.1);
    const run = await client.tracking.getRun(report.runId!);
    assert.equal(run.info.status, "FINISHED");
    assert.equal(run.info.experimentId, experimentId);
    const logged = Object.fromEntries(run.data.metrics.map((m) => [m.key, m.value]));
    assert.equal(logged.root_mean_squared_error, report.metrics.root_mean_squared_error);
    assert.equal(logged.example_count, 60);
    const tags = Object.fromEntries(run.data.tags.map((t) => [t.key, t.value]));
    assert.deepEqual([tags["ciclo.evaluation.model_uri"], tags["ciclo.evaluation.baseline_uri"], tags["ciclo.evaluation.passed"]], ["models:/reg/2", "models:/reg@champion", "true"]);
    const tmp = tempDir("ciclo-eval-");
    try {
      const file = await client.downloadArtifacts(`runs:/${report.runId}/evaluation_report.json`, tmp.path);
      const body = JSON.parse(readFileSync(file, "utf8"));
      assert.equal(body.validation.passed, true);
      assert.equal(body.baselineMetrics.root_mean_squared_error, report.baselineMetrics!.root_mean_squared_error);
    } finally {
      tmp.remove();
    }
  });

  it("CLI: a failing threshold prints FAIL lines and exits 1; passing exits 0", async () => {
    const fail = await cli(["-m", "models:/reg@champion", "-d", REGRESSION, "--targets", "y", "--model-type", "regressor", "--baseline", "models:/reg/2", "--threshold", "rmse<=+0.01", "--threshold", "mae<=10"]);
    assert.equal(fail.code, 1, fail.stderr);
    assert.match(fail.stdout, /FAIL {2}Metric root_mean_squared_error minimum absolute change check failed: candidate model root_mean_squared_error = [\d.]+, baseline model root_mean_squared_error = [\d.]+/);
    assert.match(fail.stdout, /PASS {2}Metric mean_absolute_error value threshold check passed/);
    assert.match(fail.stdout, /Validation failed: 1 check\(s\)\./);
    const pass = await cli(["-m", "models:/reg/2", "-d", REGRESSION, "--targets", "y", "--model-type", "regressor", "--threshold", "rmse<=0.5", "--no-log", "--json"]);
    assert.equal(pass.code, 0, pass.stderr);
    const report = JSON.parse(pass.stdout);
    assert.equal(report.passed, true);
    assert.equal(report.runId, undefined, "--no-log logs nothing");
  });

  it("CLI: a classifier gets its confusion matrix as a PNG artifact on the given run", async () => {
    const r = await cli(["-m", `runs:/${clfRun}/clf`, "-d", CLASSIFICATION, "--targets", "label", "--model-type", "classifier", "--run-id", clfRun, "--threshold", "accuracy>=0.6"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^accuracy_score\s+[\d.]+$/m);
    assert.match(r.stdout, /Confusion matrix \(rows: true, columns: predicted\)/);
    const files = (await client.listArtifacts(clfRun)).map((f) => f.path);
    for (const f of ["confusion_matrix.png", "confusion_matrix.json", "evaluation_report.json"]) assert.ok(files.includes(f), `${f} in ${files.join(", ")}`);
    const tmp = tempDir("ciclo-eval-png-");
    try {
      const png = readFileSync(await client.downloadArtifacts(`runs:/${clfRun}/confusion_matrix.png`, tmp.path));
      assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]);
    } finally {
      tmp.remove();
    }
    const run = await client.tracking.getRun(clfRun);
    assert.equal(run.info.status, "RUNNING", "a given run is left open");
    assert.ok(run.data.metrics.some((m) => m.key === "roc_auc"));
    assert.ok(run.data.metrics.some((m) => m.key === "f1_class_2"));
  });

  it("usage errors exit 2 (a threshold whose direction contradicts the metric)", async () => {
    const bad = await cli(["-m", "x", "-d", REGRESSION, "--targets", "y", "--model-type", "regressor", "--threshold", "rmse>=0.5"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /lower-is-better/);
  });
});
