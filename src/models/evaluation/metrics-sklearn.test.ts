/**
 * Every metric against scikit-learn's value on the same data: the fixture
 * models over the committed CSVs (through the full evaluation path), plus
 * edge cases (ties in scores, a class never predicted, zeros in the target).
 * Skips with a printed reason when /usr/bin/python3 or sklearn is absent,
 * unless CICLO_REQUIRE_ALL=1.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { tempDir } from "../../testing/temp-dir.js";
import { parseCsvInput } from "../csv-input.js";
import { validateInput } from "../input-validator.js";
import { loadLocalModel } from "../model-loader.js";
import type { ColumnsInput } from "../model-input.js";
import { saveModel } from "../model-package-writer.js";
import { classifierMetrics } from "../metrics/classification-metrics.js";
import { computeModelMetrics } from "./model-evaluator.js";
import { regressorMetrics } from "../metrics/regression-metrics.js";

const PY = "/usr/bin/python3";
const FIXTURES = new URL("../fixtures/", import.meta.url).pathname;

function sklearnMissing(): string | undefined {
  const r = spawnSync(PY, ["-c", "import sklearn, numpy"], { encoding: "utf8" });
  if (r.error) return `${PY} not found`;
  if (r.status !== 0) return `scikit-learn not importable by ${PY}`;
  return undefined;
}
const missing = sklearnMissing();
if (missing && process.env.CICLO_REQUIRE_ALL === "1") throw new Error(`metrics-sklearn: ${missing} (CICLO_REQUIRE_ALL=1; apt-get install python3-sklearn)`);
if (missing) console.log(`# skipping scikit-learn comparisons: ${missing}`);

// Reads cases from stdin, prints scikit-learn's metrics for each.
const SKLEARN = `
import json, sys
import numpy as np
from sklearn import metrics as M
out = []
for c in json.load(sys.stdin):
    yt, yp = np.array(c["y_true"]), np.array(c["y_pred"])
    if c["type"] == "regressor":
        mse = M.mean_squared_error(yt, yp)
        out.append({"mean_absolute_error": M.mean_absolute_error(yt, yp), "mean_squared_error": mse,
                    "root_mean_squared_error": float(np.sqrt(mse)), "r2_score": M.r2_score(yt, yp),
                    "max_error": M.max_error(yt, yp), "mean_absolute_percentage_error": M.mean_absolute_percentage_error(yt, yp)})
        continue
    labels = sorted(set(yt.tolist()) | set(yp.tolist()))
    r = {"accuracy_score": M.accuracy_score(yt, yp)}
    for avg in ["macro", "weighted"]:
        r["precision_" + avg] = M.precision_score(yt, yp, average=avg, zero_division=0)
        r["recall_" + avg] = M.recall_score(yt, yp, average=avg, zero_division=0)
        r["f1_" + avg] = M.f1_score(yt, yp, average=avg, zero_division=0)
    p, rc, f, _ = M.precision_recall_fscore_support(yt, yp, labels=labels, zero_division=0)
    for i, l in enumerate(labels):
        r["precision_class_%s" % l], r["recall_class_%s" % l], r["f1_class_%s" % l] = p[i], rc[i], f[i]
    if len(labels) == 2:
        r["precision_score"] = M.precision_score(yt, yp, pos_label=labels[1], zero_division=0)
        r["recall_score"] = M.recall_score(yt, yp, pos_label=labels[1], zero_division=0)
        r["f1_score"] = M.f1_score(yt, yp, pos_label=labels[1], zero_division=0)
    if c.get("proba") is not None:
        P = np.array(c["proba"], dtype=np.float64)
        r["log_loss"] = M.log_loss(yt, P, labels=c["classes"])
        r["roc_auc"] = M.roc_auc_score(yt, P[:, 1]) if P.shape[1] == 2 else M.roc_auc_score(yt, P, multi_class="ovr", labels=c["classes"])
    r["confusion"] = M.confusion_matrix(yt, yp, labels=labels).tolist()
    out.append(r)
print(json.dumps(out))
`;

interface Case {
  type: "regressor" | "classifier";
  y_true: number[];
  y_pred: number[];
  proba?: number[][];
  classes?: number[];
}

function sklearn(cases: Case[]): Array<Record<string, unknown>> {
  return JSON.parse(execFileSync(PY, ["-c", SKLEARN], { input: JSON.stringify(cases), encoding: "utf8" }));
}

function assertSame(ours: Record<string, number>, theirs: Record<string, unknown>, label: string): void {
  let compared = 0;
  for (const [k, v] of Object.entries(theirs)) {
    if (k === "confusion") continue;
    assert.ok(k in ours, `${label}: ciclo has no ${k}`);
    const a = ours[k];
    const b = v as number;
    assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${label}: ${k} = ${a}, scikit-learn ${b}`);
    compared++;
  }
  assert.ok(compared >= 5, `${label}: compared ${compared} metrics`);
}

function columnValues(input: ColumnsInput, name: string): number[] {
  return Array.from(input.columns.find((c) => c.name === name)!.values as ArrayLike<number>);
}

describe("metrics equal scikit-learn's", { skip: missing }, () => {
  const tmp = tempDir("ciclo-metrics-");
  // Everything is computed first and scikit-learn runs once (its import alone takes seconds).
  const cases: Case[] = [];
  const ours: Array<{ metrics: Record<string, number>; confusion?: number[][] }> = [];
  let theirs: Array<Record<string, unknown>> = [];

  /** Our metrics through the full evaluation path, and the model's raw outputs for scikit-learn. */
  async function fromModel(model: string, csv: string, target: string): Promise<void> {
    const dir = join(tmp.path, model);
    await saveModel(dir, join(FIXTURES, `${model}.onnx`));
    const m = await loadLocalModel(dir);
    try {
      const classifier = model.includes("classifier");
      const data = parseCsvInput(readFileSync(join(FIXTURES, csv), "utf8"));
      const features: ColumnsInput = { ...data, columns: data.columns.filter((c) => c.name !== target) };
      const out = await m.predict(validateInput(features, m.inputSchema));
      assert.equal(out.kind, "tensors");
      const outs = Object.fromEntries((out.kind === "tensors" ? out.tensors : []).map((x) => [x.name!, Array.from(x.data as ArrayLike<number | bigint>, Number)]));
      const r = await computeModelMetrics(m, join(FIXTURES, csv), { modelType: classifier ? "classifier" : "regressor", targets: target, batchRows: 17 });
      ours.push({ metrics: r.metrics, confusion: r.confusion?.matrix });
      const y = columnValues(data, target);
      if (!classifier) {
        cases.push({ type: "regressor", y_true: y, y_pred: outs.variable });
        return;
      }
      const k = outs.probabilities.length / y.length;
      const proba = y.map((_, row) => outs.probabilities.slice(row * k, row * k + k));
      cases.push({ type: "classifier", y_true: y, y_pred: outs.label, proba, classes: Array.from({ length: k }, (_, i) => i) });
    } finally {
      await m.close();
    }
  }

  const tiedProba = [[0.5, 0.5], [0.5, 0.5], [0.2, 0.8], [0.8, 0.2], [0.2, 0.8], [0.5, 0.5]];
  const edge: Case[] = [
    { type: "classifier", y_true: [0, 1, 1, 0, 1, 0], y_pred: [0, 0, 1, 0, 1, 0], proba: tiedProba, classes: [0, 1] },
    { type: "classifier", y_true: [0, 1, 2, 2, 1, 0, 2], y_pred: [0, 0, 0, 0, 1, 0, 1] },
    { type: "regressor", y_true: [0, 1, -2, 3.5, 0], y_pred: [0.1, 1, -1, 3, -0.2] },
    { type: "regressor", y_true: [2, 2, 2], y_pred: [2, 2.5, 1] },
  ];

  before(async () => {
    await fromModel("linear-regressor", "regression.csv", "y");
    await fromModel("tree-regressor", "regression.csv", "y");
    await fromModel("classifier", "classification.csv", "label");
    await fromModel("binary-classifier", "binary.csv", "label");
    ours.push({ metrics: classifierMetrics({ yTrue: edge[0].y_true, yPred: edge[0].y_pred, proba: tiedProba.flat(), classes: [0, 1] }).metrics });
    ours.push({ metrics: classifierMetrics({ yTrue: edge[1].y_true, yPred: edge[1].y_pred }).metrics });
    ours.push({ metrics: { ...regressorMetrics(edge[2].y_true, edge[2].y_pred) } });
    ours.push({ metrics: { ...regressorMetrics(edge[3].y_true, edge[3].y_pred) } });
    cases.push(...edge);
    theirs = sklearn(cases);
  });
  after(() => tmp.remove());

  it("regressors over regression.csv (linear and tree ensemble), streamed in batches of 17 rows", () => {
    assertSame(ours[0].metrics, theirs[0], "linear-regressor");
    assertSame(ours[1].metrics, theirs[1], "tree-regressor");
    assert.equal(ours[0].metrics.example_count, 60);
  });

  it("a 3-class classifier over classification.csv: per class, macro, weighted, log loss, one-vs-rest ROC AUC, confusion matrix", () => {
    assertSame(ours[2].metrics, theirs[2], "classifier");
    assert.deepEqual(ours[2].confusion, theirs[2].confusion);
    assert.equal(ours[2].metrics.f1_score, ours[2].metrics.f1_weighted, "multiclass f1_score is the weighted average (MLflow)");
  });

  it("a binary classifier over binary.csv: positive-class scores and ROC AUC", () => {
    assertSame(ours[3].metrics, theirs[3], "binary");
    assert.deepEqual(ours[3].confusion, theirs[3].confusion);
    assert.ok(ours[3].metrics.roc_auc > 0.7);
  });

  it("edge cases: tied scores, a class never predicted, zeros in the target, a constant target", () => {
    assertSame(ours[4].metrics, theirs[4], "ties");
    assertSame(ours[5].metrics, theirs[5], "never predicted");
    assertSame(ours[6].metrics, theirs[6], "zeros in target");
    assertSame(ours[7].metrics, theirs[7], "constant target");
  });
});
