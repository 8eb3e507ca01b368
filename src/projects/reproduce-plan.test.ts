import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Run } from "../shared/tracking-types.js";
import { planReproduction } from "./reproduce-plan.js";
import { compareRuns, formatComparison } from "./run-comparison.js";

const COMMIT = "0123456789abcdef0123456789abcdef01234567";

function run(tags: Record<string, string>, params: Record<string, string> = {}, metrics: Record<string, number> = {}, id = "a".repeat(32)): Run {
  return {
    info: { runId: id, runName: "r", experimentId: "1", userId: "u", status: "FINISHED", startTime: 0, endTime: 1, artifactUri: "", lifecycleStage: "active" },
    data: {
      tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
      params: Object.entries(params).map(([key, value]) => ({ key, value })),
      metrics: Object.entries(metrics).map(([key, value]) => ({ key, value, step: 0, timestamp: 0 })),
    },
    inputs: { datasetInputs: [] },
  };
}

const CICLO_RUN = {
  "mlflow.source.git.commit": COMMIT,
  "mlflow.source.git.repoURL": "https://git.example/org/repo.git",
  "mlflow.project.entryPoint": "train",
  "ciclo.project.gitRoot": "/home/me/repo",
  "ciclo.project.subdir": "ml",
  "ciclo.project.parameters": JSON.stringify({ lr: "0.1", seed: "7" }),
  "ciclo.git.patch": "ciclo/git-diff.patch",
  "ciclo.git.patch.sha256": "f".repeat(64),
  "ciclo.git.untracked": "2",
  "ciclo.env.lockFile": "ml/package-lock.json",
  "ciclo.env.lockFile.sha256": "e".repeat(64),
  "ciclo.env.packageJson": "ml/package.json",
};

describe("planReproduction", () => {
  test("a ciclo run: everything reproduce needs, from the tags", () => {
    const plan = planReproduction(run(CICLO_RUN, { lr: "0.1", seed: "7", logged_by_script: "x" }));
    assert.deepEqual(
      plan,
      {
        runId: "a".repeat(32),
        experimentId: "1",
        runName: "r",
        commit: COMMIT,
        repoUrl: "https://git.example/org/repo.git",
        localRepo: "/home/me/repo",
        subdir: "ml",
        entryPoint: "train",
        params: { lr: "0.1", seed: "7" },
        argv: undefined,
        patch: { artifact: "ciclo/git-diff.patch", sha256: "f".repeat(64) },
        files: [
          { kind: "packageJson", path: "ml/package.json", artifact: "ciclo/env/package.json", sha256: undefined },
          { kind: "lockFile", path: "ml/package-lock.json", artifact: "ciclo/env/package-lock.json", sha256: "e".repeat(64) },
        ],
        untracked: 2,
        notes: [],
      },
    );
  });

  test("an `mlflow run` run: params from the run, subfolder from mlflow.source.name's fragment", () => {
    const plan = planReproduction(
      run(
        { "mlflow.source.git.commit": COMMIT, "mlflow.project.entryPoint": "main", "mlflow.source.name": "https://github.com/org/repo#examples/x" },
        { alpha: "0.5" },
      ),
    );
    assert.deepEqual([plan.subdir, plan.params, plan.patch, plan.files], ["examples/x", { alpha: "0.5" }, undefined, []]);
  });

  test("refusals say what is missing; hostile tags are refused", () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{}, /no recorded git commit/],
      [{ "mlflow.source.git.commit": COMMIT }, /recorded neither a project entry point .* nor a command line/],
      [{ "mlflow.source.git.commit": COMMIT, "ciclo.source.argv": '["node", "tr' }, /not a JSON array of words/],
      [{ "mlflow.source.git.commit": COMMIT, "ciclo.source.argv": "[]" }, /not a JSON array of words/],
      [{ "mlflow.source.git.commit": "--upload-pack=touch x", "mlflow.project.entryPoint": "m" }, /is not a git commit id/],
      [{ ...CICLO_RUN, "ciclo.project.subdir": "../../etc" }, /not a path inside the repository/],
      [{ ...CICLO_RUN, "ciclo.project.subdir": "/etc" }, /not a path inside the repository/],
      [{ ...CICLO_RUN, "ciclo.env.lockFile": "ml/../../x/package-lock.json" }, /not a path inside the repository/],
      [{ ...CICLO_RUN, "ciclo.env.lockFile": "ml/evil.sh" }, /unexpected name/],
      [{ ...CICLO_RUN, "ciclo.project.parameters": "[1]" }, /not a JSON object/],
      [{ ...CICLO_RUN, "ciclo.project.parameters": JSON.stringify({ "x;y": "1" }) }, /is not a name with a string value/],
    ];
    for (const [tags, re] of cases) assert.throws(() => planReproduction(run(tags)), re, JSON.stringify(tags));
  });

  test("a script run recorded by the SDK: its command line is re-run as is, from its working folder", () => {
    const plan = planReproduction(
      run({
        "mlflow.source.git.commit": COMMIT,
        "ciclo.source.entryPoint": "src/train.js",
        "ciclo.source.workingDir": "src",
        "ciclo.source.argv": JSON.stringify(["node", "train.js", "--lr", "0.1"]),
      }, { lr: "0.1" }),
    );
    assert.deepEqual([plan.entryPoint, plan.subdir, plan.argv, plan.params], ["src/train.js", "src", ["node", "train.js", "--lr", "0.1"], {}]);
  });

  test("a dependency file recorded outside the repository is a note, not a failure", () => {
    const plan = planReproduction(run({ ...CICLO_RUN, "ciclo.env.lockFile": "/elsewhere/package-lock.json" }));
    assert.deepEqual(plan.files.map((f) => f.kind), ["packageJson"]);
    assert.match(plan.notes[0], /outside the repository/);
  });
});

describe("compareRuns", () => {
  test("equal, different, missing; NaN equals NaN; tolerance is relative", () => {
    const a = run({}, { lr: "0.1", only_a: "1" }, { loss: 0.5, acc: 0.9, nan: NaN, gone: 1 }, "a".repeat(32));
    const b = run({}, { lr: "0.1" }, { loss: 0.5, acc: 0.91, nan: NaN, extra: 2 }, "b".repeat(32));
    const c = compareRuns(a, b);
    assert.deepEqual(
      c.metrics.map((m) => [m.key, m.equal]),
      [["acc", false], ["extra", false], ["gone", false], ["loss", true], ["nan", true]],
    );
    assert.ok(Math.abs(c.metrics[0].diff! - 0.01) < 1e-12);
    assert.deepEqual(c.params.map((p) => [p.key, p.equal]), [["lr", true], ["only_a", false]]);
    assert.equal(c.metricsMatch, false);
    assert.equal(compareRuns(a, b, 0.02).metrics[0].equal, true);
    const text = formatComparison(c).join("\n");
    assert.match(text, /^acc\s+0\.9\s+0\.91\s+≠ \+0\.01$/m);
    assert.match(text, /^gone\s+1\s+—\s+≠$/m);
    assert.match(text, /^loss\s+0\.5\s+0\.5\s+=$/m);
    assert.match(text, /3 of 5 metric\(s\) differ\./);
  });
});
