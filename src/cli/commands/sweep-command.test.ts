/**
 * `ciclo sweep` end to end: the CLI as a child process (bin/ciclo.js from
 * source) against a real tracking server in this process, on a tiny project
 * whose trials are child processes logging metrics over MLflow's REST API
 * (as Python's mlflow client does): a finished sweep's runs, tags and
 * artifacts; bad input refused before any run exists; ASHA stopping trials
 * that lag; Ctrl-C and `--resume`.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, test } from "node:test";
import { GridSampler } from "../../pipelines/sweeps/grid-sampler.js";
import { trialRng } from "../../pipelines/sweeps/rng.js";
import { parseSearchSpace } from "../../pipelines/sweeps/search-space-parser.js";
import { SWEEP_TAGS } from "../../pipelines/sweeps/sweep-tags.js";
import { planReproduction } from "../../projects/reproduce-plan.js";
import { ArtifactClient } from "../../sdk/artifact-client.js";
import { TrackingClient } from "../../sdk/tracking-client.js";
import { runCiclo, spawnCiclo } from "../../testing/child-server.js";
import { startLiveTrackingServer, type LiveTrackingServer } from "../../testing/live-tracking-server.js";
import { tempDir } from "../../testing/temp-dir.js";
import type { Run } from "../../shared/tracking-types.js";

const tagsOf = (r: Run) => Object.fromEntries(r.data.tags.map((t) => [t.key, t.value]));
const paramsOf = (r: Run) => Object.fromEntries(r.data.params.map((p) => [p.key, p.value]));

const CICLO_YAML = `name: quad
entry_points:
  train:
    parameters:
      x: { type: float, default: 0 }
      y: { type: int, default: 0 }
      kind: { type: string, default: good }
      steps: { type: int, default: 4 }
    command: node train.mjs {x} {y} {kind} {steps}
`;

// loss = (x-1)² + (y-2)² (+5 for kind=bad), logged by step approaching its final value.
// kind=bad never finishes on its own (until 120 s): only early stopping ends it.
// With a file named "block" in the folder, a trial waits until it is stopped (the interruption test).
const TRAIN = `import { existsSync } from "node:fs";
const [x, y, kind, steps] = process.argv.slice(2);
const api = process.env.MLFLOW_TRACKING_URI + "/api/2.0/mlflow/";
const runId = process.env.MLFLOW_RUN_ID;
const post = async (path, body) => { const r = await fetch(api + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }); if (!r.ok) throw new Error(await r.text()); };
const log = (step, value) => post("runs/log-metric", { run_id: runId, key: "loss", value, step, timestamp: Date.now() });
console.log("TRIAL STARTED " + runId);
await post("runs/set-tag", { run_id: runId, key: "trial.ciclo", value: process.env.CICLO ?? "" });
if (existsSync("block")) await new Promise(() => setInterval(() => {}, 2 ** 30)); // the interval keeps the process alive
const loss = (Number(x) - 1) ** 2 + (Number(y) - 2) ** 2 + (kind === "bad" ? 5 : 0);
const n = Number(steps);
if (kind === "bad") {
  const until = Date.now() + 120_000;
  for (let s = 1; Date.now() < until; s++) { await log(s, loss + 1 / s); await new Promise((r) => setTimeout(r, 10)); }
} else {
  for (let s = 1; s <= n; s++) await log(s, loss + (n - s) / n);
}
`;

describe("ciclo sweep", () => {
  const tmp = tempDir("ciclo-sweep-e2e-");
  let server: LiveTrackingServer;
  let client: TrackingClient;
  const dir = join(tmp.path, "quad");
  let env: NodeJS.ProcessEnv;

  before(async () => {
    server = await startLiveTrackingServer();
    client = new TrackingClient({ trackingUri: server.url, env: {} });
    env = { CICLO_TRACKING_URI: server.url, CICLO_CONTEXT_CAPTURE: "0" };
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    writeFileSync(join(dir, "ciclo.yaml"), CICLO_YAML);
    writeFileSync(join(dir, "train.mjs"), TRAIN);
    writeFileSync(join(dir, "space.yaml"), "x: { uniform: [-2, 3] }\ny: { randint: [0, 5] }\n");
  });
  after(async () => {
    await server.close();
    tmp.remove();
  });

  const childrenOf = async (experimentId: string, sweepRunId: string) =>
    client.searchAllRuns({ experimentIds: [experimentId], filter: `tags.mlflow.parentRunId = '${sweepRunId}'` });

  test("a sweep: one child run per trial with its params and metric; best trial, importances and summary on the sweep run", async () => {
    const res = await runCiclo(["sweep", dir, "-e", "train", "--space", join(dir, "space.yaml"), "--metric", "loss", "--mode", "min", "--trials", "6", "--parallel", "2", "--sampler", "random", "--seed", "3", "--experiment-name", "quad", "--json"], env);
    assert.equal(res.code, 0, res.stderr);
    const out = JSON.parse(res.stdout);
    assert.equal(out.status, "FINISHED");
    assert.equal(out.summary.trials.complete, 6);
    const sweepRun = await client.getRun(out.sweepRunId);
    assert.equal(sweepRun.info.status, "FINISHED");
    const children = await childrenOf(out.experimentId, out.sweepRunId);
    assert.equal(children.length, 6);
    const losses = children.map((r) => r.data.metrics.find((m) => m.key === "loss")!.value);
    const best = children[losses.indexOf(Math.min(...losses))];
    assert.equal(out.summary.best.runId, best.info.runId);
    assert.equal(out.summary.best.value, Math.min(...losses));
    for (const run of children) {
      const p = paramsOf(run);
      assert.equal(run.info.status, "FINISHED");
      assert.deepEqual(Object.keys(p).sort(), ["kind", "steps", "x", "y"], "sampled params plus the entry point's defaults");
      assert.ok(Number(p.x) >= -2 && Number(p.x) <= 3 && Number.isInteger(Number(p.y)));
      const loss = run.data.metrics.find((m) => m.key === "loss")!.value;
      assert.ok(Math.abs(loss - ((Number(p.x) - 1) ** 2 + (Number(p.y) - 2) ** 2)) < 1e-9, "the trial ran with its own params");
      assert.equal(tagsOf(run)[SWEEP_TAGS.state], "complete");
      assert.match(tagsOf(run)["trial.ciclo"], /bin\/ciclo\.js'?$/, "the trial's command can run ciclo as $CICLO");
      const files = (await new ArtifactClient(client).listArtifacts(run.info.runId)).map((f) => f.path);
      assert.ok(files.some((f) => /^trial-\d+\.log$/.test(f)), `trial log uploaded (${files.join(", ")})`);
    }
    const tags = tagsOf(sweepRun);
    assert.equal(tags[SWEEP_TAGS.bestRunId], best.info.runId);
    assert.equal(tags[SWEEP_TAGS.state], "finished");
    const importances = JSON.parse(tags[SWEEP_TAGS.importances]) as Array<{ param: string; importance: number }>;
    assert.deepEqual(importances.map((i) => i.param).sort(), ["x", "y"]);
    assert.deepEqual(paramsOf(sweepRun), { sampler: "random", metric: "loss", mode: "min", trials: "6", parallel: "2", seed: "3", early_stop: "none", entry_point: "train" });
    const bestCurve = sweepRun.data.metrics.find((m) => m.key === "best_loss");
    assert.equal(bestCurve?.value, Math.min(...losses));
    assert.match(out.links.compare, /\/compare\?runs=[0-9a-f]+,[0-9a-f]+.*&tab=parallel&pm=metrics\.loss$/);
  });

  test("bad input: a space error names line and column and exits 2; nothing is created", async () => {
    writeFileSync(join(dir, "bad.yaml"), "x: { uniform: [-2, 3] }\ny:\n  loguniform: [0, 1]\n");
    const before = (await client.searchExperiments()).items.length;
    const res = await runCiclo(["sweep", dir, "-e", "train", "--space", join(dir, "bad.yaml"), "--metric", "loss", "--experiment-name", "never"], env);
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /bad\.yaml:3:15: y: loguniform needs low > 0/);
    const grid = await runCiclo(["sweep", dir, "-e", "train", "--space", join(dir, "space.yaml"), "--metric", "loss", "--sampler", "grid", "--experiment-name", "never"], env);
    assert.equal(grid.code, 2);
    assert.match(grid.stderr, /grid search needs a step for 'x'/);
    writeFileSync(join(dir, "floaty.yaml"), "y: { uniform: [0, 5] }\n");
    const typed = await runCiclo(["sweep", dir, "-e", "train", "--space", join(dir, "floaty.yaml"), "--metric", "loss", "--experiment-name", "never"], env);
    assert.equal(typed.code, 2);
    assert.match(typed.stderr, /'y' is an int of entry point 'train'/);
    assert.equal((await client.searchExperiments()).items.length, before, "no experiment (and so no run) was created");
  });

  test("ASHA stops the trials that lag; they are recorded as pruned with the rung that stopped them", async () => {
    writeFileSync(join(dir, "grid.yaml"), "kind: { choice: [good, bad] }\nx: { quniform: [0, 1, 1] }\n");
    // A seed whose shuffled grid starts with a good trial (a bad one alone at its rung would have no one to lose to).
    const space = parseSearchSpace("kind: { choice: [good, bad] }\nx: { quniform: [0, 1, 1] }\n", "grid.yaml");
    const seed = [...Array(50).keys()].find((s) => new GridSampler(space, s).sample({ number: 0, history: [], direction: "min", rng: trialRng(s, 0) })!.kind === "good")!;
    const res = await runCiclo(["sweep", dir, "-e", "train", "--space", join(dir, "grid.yaml"), "--metric", "loss", "--sampler", "grid", "--seed", String(seed), "--early-stop", "asha", "--reduction-factor", "2", "--poll-ms", "50", "--experiment-name", "asha", "--json"], env);
    assert.equal(res.code, 0, res.stderr);
    const out = JSON.parse(res.stdout);
    const children = await childrenOf(out.experimentId, out.sweepRunId);
    assert.equal(children.length, 4);
    for (const run of children) {
      const tags = tagsOf(run);
      if (paramsOf(run).kind === "bad") {
        assert.equal(tags[SWEEP_TAGS.state], "pruned");
        assert.equal(run.info.status, "KILLED");
        assert.match(tags[SWEEP_TAGS.reason], /^ASHA rung \d+ \(step \d+\): .* is not in the best 1 of \d+/);
      } else {
        assert.ok(["complete", "pruned"].includes(tags[SWEEP_TAGS.state]));
      }
    }
    assert.equal(out.summary.best.params.kind, "good");
    assert.equal(out.summary.best.value, 4, "kind=good, x=1 (y stays at its default 0): the better good trial");
  });

  test("Ctrl-C stops the running trial and marks the sweep interrupted (exit 130); --resume runs the rest, the interrupted trial again", async () => {
    writeFileSync(join(dir, "block"), "");
    const proc = spawnCiclo(["sweep", dir, "-e", "train", "--space", join(dir, "space.yaml"), "--metric", "loss", "--trials", "3", "--sampler", "tpe", "--seed", "5", "--show-output", "--experiment-name", "resume"], env);
    let stderr = "";
    const started = new Promise<void>((resolve) =>
      createInterface({ input: proc.stderr! }).on("line", (line) => {
        stderr += `${line}\n`;
        if (line.startsWith("TRIAL STARTED")) resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) => proc.once("close", (code) => resolve(code)));
    await started;
    proc.kill("SIGINT");
    assert.equal(await exited, 130, stderr);
    const sweepRunId = /--resume ([0-9a-f]+)/.exec(stderr)?.[1];
    assert.ok(sweepRunId, stderr);
    const interrupted = await client.getRun(sweepRunId);
    assert.equal(interrupted.info.status, "KILLED");
    assert.equal(tagsOf(interrupted)[SWEEP_TAGS.state], "interrupted");
    const [first] = await childrenOf(interrupted.info.experimentId, sweepRunId);
    assert.equal(tagsOf(first)[SWEEP_TAGS.state], "interrupted");
    assert.equal(first.info.status, "KILLED");

    rmSync(join(dir, "block"));
    const refused = await runCiclo(["sweep", "--resume", sweepRunId, "--metric", "acc"], env);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--metric cannot change when resuming/);
    const res = await runCiclo(["sweep", "--resume", sweepRunId, "--json"], env);
    assert.equal(res.code, 0, res.stderr);
    const out = JSON.parse(res.stdout);
    assert.deepEqual(out.summary.trials, { total: 4, complete: 3, pruned: 0, failed: 0, interrupted: 1 });
    assert.equal(out.seed, 5);
    const children = await childrenOf(interrupted.info.experimentId, sweepRunId);
    assert.deepEqual(children.map((r) => Number(tagsOf(r)[SWEEP_TAGS.trial])).sort(), [0, 1, 2, 3]);
    assert.equal((await client.getRun(sweepRunId)).info.status, "FINISHED");
  });

  test("in a git repository, every trial records the commit, the patch of uncommitted changes and its entry point: enough for ciclo reproduce", async () => {
    const repo = join(tmp.path, "repo");
    mkdirSync(repo);
    for (const f of ["ciclo.yaml", "train.mjs", "space.yaml"]) writeFileSync(join(repo, f), readFileSync(join(dir, f)));
    const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=e2e", "-c", "user.email=e2e@ciclo.invalid", ...args], { cwd: repo, encoding: "utf8" });
    git("init", "-q", "-b", "main");
    git("add", ".");
    git("commit", "-q", "-m", "quad");
    writeFileSync(join(repo, "train.mjs"), `${readFileSync(join(repo, "train.mjs"), "utf8")}// uncommitted\n`);
    const res = await runCiclo(["sweep", repo, "-e", "train", "--space", join(repo, "space.yaml"), "--metric", "loss", "--trials", "2", "--sampler", "random", "--seed", "8", "--experiment-name", "git", "--json"], { CICLO_TRACKING_URI: server.url });
    assert.equal(res.code, 0, res.stderr);
    const out = JSON.parse(res.stdout);
    const head = git("rev-parse", "HEAD").trim();
    for (const run of await childrenOf(out.experimentId, out.sweepRunId)) {
      const tags = tagsOf(run);
      assert.equal(tags["mlflow.source.git.commit"], head);
      assert.equal(tags["ciclo.git.patch"], "ciclo/git-diff.patch");
      const files = (await new ArtifactClient(client).listArtifacts(run.info.runId, "ciclo")).map((f) => f.path);
      assert.ok(files.includes("ciclo/git-diff.patch"), files.join(", "));
      const plan = planReproduction(run);
      assert.equal(plan.commit, head);
      assert.equal(plan.entryPoint, "train");
      assert.deepEqual(plan.params, paramsOf(run));
    }
  });
});
