/**
 * `ciclo run` and `ciclo reproduce` end to end, as a user runs them: the CLI
 * as a child process (bin/ciclo.js from source), a live server child, and a
 * small project made here — a git repo whose `ml/` folder has a ciclo.yaml, a
 * Node training script using the ciclo SDK through a `file:` dependency (the
 * SDK compiled into a temp package, as package-exports.test.ts does), and a
 * lock file (left untracked: only the copy recorded by the run can restore it).
 */
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { runCiclo, spawnCiclo, startChildServer, type ChildServer } from "../../testing/child-server.js";
import { tempDir } from "../../testing/temp-dir.js";
import { TrackingClient } from "../../sdk/tracking-client.js";
import type { Run } from "../../shared/tracking-types.js";

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const tagsOf = (r: Run) => Object.fromEntries(r.data.tags.map((t) => [t.key, t.value]));
const paramsOf = (r: Run) => Object.fromEntries(r.data.params.map((p) => [p.key, p.value]));

const CICLO_YAML = `name: tiny
env:
  node: npm
entry_points:
  train:
    parameters:
      lr: { type: float, default: 0.5 }
      epochs: { type: int, default: 4 }
      note: { type: string, default: none }
    command: node train.mjs --lr {lr} --epochs {epochs} --note {note}
  fail:
    command: node -e "process.exit(3)"
  wait:
    command: node wait.mjs
  self:
    command: $CICLO artifacts log "$CICLO_RUN_ID" config.json
`;

// A deterministic "training": w moves toward 1 at rate lr; loss depends on config.json's bias.
const TRAIN = `import { readFileSync } from "node:fs";
import { startRun, logParam, logMetric, endRun } from "ciclo";
const argv = process.argv.slice(2);
const args = {};
for (let i = 0; i < argv.length; i += 2) args[argv[i].replace(/^--/, "")] = argv[i + 1];
const { bias } = JSON.parse(readFileSync("config.json", "utf8"));
await startRun();
logParam("bias", bias);
logParam("note_seen", args.note);
let w = 0;
for (let e = 0; e < Number(args.epochs); e++) {
  w += Number(args.lr) * (1 - w);
  logMetric("loss", (1 - w) ** 2 + bias, e);
}
logMetric("final_w", w);
const report = await endRun();
if (report.errors.length) { console.error(report.errors); process.exit(4); }
console.log("trained: w=" + w);
`;

describe("ciclo run / ciclo reproduce", () => {
  const tmp = tempDir("ciclo-e2e-");
  let server: ChildServer;
  let client: TrackingClient;
  let repo: string;
  let env: NodeJS.ProcessEnv;
  const runs: Record<string, string> = {};

  before(async () => {
    server = await startChildServer(`sqlite:///${join(tmp.path, "ciclo.db")}`, join(tmp.path, "artifacts"));
    client = new TrackingClient({ trackingUri: server.url, env: {} });
    env = { CICLO_TRACKING_URI: server.url, LOGNAME: "e2e" };
    // The SDK as an installed package: compiled JS, a package.json without dependencies, node_modules borrowed.
    const pkg = join(tmp.path, "pkg");
    mkdirSync(pkg);
    await exec(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", join(ROOT, "tsconfig.sdk-types.json"), "--emitDeclarationOnly", "false", "--declaration", "false", "--outDir", join(pkg, "dist")]);
    writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: "ciclo", version: "0.0.0-test", type: "module", exports: { ".": "./dist/sdk/index.js" } }));
    symlinkSync(join(ROOT, "node_modules"), join(pkg, "node_modules"));
    // The project: repo/ml, depending on ../../pkg.
    repo = realpathSync(tmp.path) + "/repo";
    const ml = join(repo, "ml");
    mkdirSync(ml, { recursive: true });
    writeFileSync(join(ml, "ciclo.yaml"), CICLO_YAML);
    writeFileSync(join(ml, "train.mjs"), TRAIN);
    writeFileSync(join(ml, "wait.mjs"), `console.log("ready"); setInterval(() => {}, 1000);\n`);
    writeFileSync(join(ml, "config.json"), `{ "bias": 0.5 }\n`);
    writeFileSync(join(ml, "package.json"), JSON.stringify({ name: "tiny", version: "1.0.0", private: true, type: "module", dependencies: { ciclo: "file:../../pkg" } }));
    writeFileSync(join(repo, ".gitignore"), "node_modules/\nml/package-lock.json\n");
    await exec("npm", ["install", "--offline", "--no-audit", "--no-fund"], { cwd: ml });
    const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=e2e", "-c", "user.email=e2e@ciclo.invalid", ...args], { cwd: repo });
    git("init", "-q", "-b", "main");
    git("add", ".");
    git("commit", "-q", "-m", "tiny project");
  });
  after(async () => {
    server.proc.kill("SIGTERM");
    await server.exited;
    tmp.remove();
  });

  const ml = () => join(repo, "ml");

  test("run: a clean tree; params, metrics, context and project tags recorded; hostile values stay data", async () => {
    const hostile = `a b; $(touch ${join(tmp.path, "pwned")})`;
    const res = await runCiclo(["run", ml(), "-e", "train", "-P", "lr=0.5", "-P", `note=${hostile}`, "--experiment-name", "e2e", "--run-name", "clean", "--json"], env);
    assert.equal(res.code, 0, res.stderr);
    const out = JSON.parse(res.stdout);
    assert.equal(out.status, "FINISHED");
    assert.match(res.stderr, /trained: w=0\.9375/, "the command's output is streamed (to stderr with --json)");
    assert.equal(existsSync(join(tmp.path, "pwned")), false);
    const run = await client.getRun(out.runId);
    runs.clean = run.info.runId;
    assert.deepEqual([run.info.status, run.info.runName], ["FINISHED", "clean"]);
    assert.deepEqual(paramsOf(run), { lr: "0.5", epochs: "4", note: hostile, bias: "0.5", note_seen: hostile });
    const tags = tagsOf(run);
    const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: repo, encoding: "utf8" }).trim();
    assert.equal(tags["mlflow.source.git.commit"], head);
    assert.equal(tags["mlflow.source.git.dirty"], "false");
    assert.equal(tags["mlflow.project.entryPoint"], "train");
    assert.equal(tags["mlflow.source.type"], "PROJECT");
    assert.equal(tags["ciclo.project.subdir"], "ml");
    assert.equal(tags["ciclo.env.lockFile"], "ml/package-lock.json");
    assert.equal(tags["ciclo.git.patch"], undefined);
    assert.deepEqual(JSON.parse(tags["ciclo.project.parameters"]), { lr: "0.5", epochs: "4", note: hostile });
    const loss = await client.getAllMetricHistory(run.info.runId, "loss");
    assert.deepEqual(loss.map((m) => [m.step, m.value]), [[0, 0.75], [1, 0.5625], [2, 0.515625], [3, 0.50390625]]);
  });

  test("run: a dirty tree records the patch; reproduce rebuilds it and gets the same params and metrics", async () => {
    writeFileSync(join(ml(), "config.json"), `{ "bias": 0.25 }\n`);
    const res = await runCiclo(["run", ml(), "-e", "train", "-P", "lr=0.3", "-P", "epochs=5", "-P", "seed=7", "--experiment-name", "e2e", "--json"], env);
    assert.equal(res.code, 0, res.stderr);
    const original = await client.getRun(JSON.parse(res.stdout).runId);
    runs.dirty = original.info.runId;
    const tags = tagsOf(original);
    assert.equal(tags["mlflow.source.git.dirty"], "true");
    assert.equal(tags["ciclo.git.patch"], "ciclo/git-diff.patch");
    assert.equal(paramsOf(original).seed, "7", "an undeclared -P goes to the command as --seed 7 and is logged");

    const work = join(tmp.path, "repro-1");
    const rep = await runCiclo(["reproduce", runs.dirty, "--work-dir", work, "--offline"], env);
    assert.equal(rep.code, 0, rep.stderr);
    assert.match(rep.stderr, /Checked out [0-9a-f]{12} from .*repo into/);
    assert.match(rep.stderr, /Applied the recorded patch/);
    assert.match(rep.stderr, /Restored ml\/package-lock\.json with the copy recorded by the run/);
    assert.match(rep.stderr, /npm ci --no-audit --no-fund --offline/);
    assert.ok(existsSync(join(work, "ml", "node_modules", "ciclo", "package.json")), "npm ci installed the file: dependency");
    assert.match(readFileSync(join(work, "ml", "config.json"), "utf8"), /0\.25/);
    const newId = /as run ([0-9a-f]{32})/.exec(rep.stdout)?.[1];
    assert.ok(newId, rep.stdout);
    assert.match(rep.stdout, /^param\s+original …[0-9a-f]{8}\s+reproduced …[0-9a-f]{8}/m);
    assert.match(rep.stdout, /^loss\s+(0\.278\d*)\s+\1\s+=$/m);
    assert.match(rep.stdout, /All 2 metric\(s\) match\./);

    const copy = await client.getRun(newId);
    assert.equal(copy.info.status, "FINISHED");
    assert.equal(copy.info.experimentId, original.info.experimentId);
    assert.equal(tagsOf(copy)["ciclo.reproduce.of"], runs.dirty);
    assert.deepEqual(paramsOf(copy), paramsOf(original));
    for (const key of ["loss", "final_w"]) {
      const strip = (ms: Array<{ step: number; value: number }>) => ms.map((m) => [m.step, m.value]);
      assert.deepEqual(strip(await client.getAllMetricHistory(newId, key)), strip(await client.getAllMetricHistory(runs.dirty, key)), key);
    }
  });

  test("reproduce --json --fail-on-diff of the clean run: same metrics, comparison in the JSON", async () => {
    const rep = await runCiclo(["reproduce", runs.clean, "--work-dir", join(tmp.path, "repro-2"), "--json", "--fail-on-diff"], env);
    assert.equal(rep.code, 0, rep.stderr);
    const out = JSON.parse(rep.stdout);
    assert.equal(out.status, "FINISHED");
    assert.equal(out.originalRunId, runs.clean);
    assert.equal(out.comparison.metricsMatch, true);
    assert.equal(out.comparison.paramsMatch, true);
    assert.deepEqual(out.comparison.metrics.map((m: { key: string; equal: boolean }) => [m.key, m.equal]), [["final_w", true], ["loss", true]]);
    assert.equal(out.comparison.metrics.find((m: { key: string }) => m.key === "loss").original, 0.5 + (1 - 0.9375) ** 2);
    assert.doesNotMatch(rep.stdout, /Applied the recorded patch/);
  });

  test("reproduce a script run made with the SDK alone (no ciclo run): its recorded command line runs again", async () => {
    // The tree is still dirty (bias 0.25): the SDK's own capture records the patch and the command line.
    const { stdout } = await exec(process.execPath, ["train.mjs", "--lr", "0.2", "--epochs", "3", "--note", "it's plain"], {
      cwd: ml(),
      env: { ...process.env, ...env, NODE_TEST_CONTEXT: "", CICLO_EXPERIMENT_NAME: "scripts" },
    });
    assert.match(stdout, /trained: w=0\.488/);
    const expId = (await client.getExperimentByName("scripts")).experimentId;
    const [original] = await client.searchAllRuns({ experimentIds: [expId] });
    assert.deepEqual(JSON.parse(tagsOf(original)["ciclo.source.argv"]), ["node", "train.mjs", "--lr", "0.2", "--epochs", "3", "--note", "it's plain"]);
    const rep = await runCiclo(["reproduce", original.info.runId, "--work-dir", join(tmp.path, "repro-3"), "--json"], env);
    assert.equal(rep.code, 0, rep.stderr);
    const out = JSON.parse(rep.stdout);
    assert.equal(out.comparison.metricsMatch, true, JSON.stringify(out.comparison));
    const copy = await client.getRun(out.runId);
    assert.equal(copy.info.experimentId, expId);
    assert.deepEqual(paramsOf(copy), { bias: "0.25", note_seen: "it's plain" });
    assert.equal(tagsOf(copy)["ciclo.reproduce.of"], original.info.runId);
  });

  test("a failing command fails the run and ciclo exits with its code; bad parameters create no run", async () => {
    const res = await runCiclo(["run", ml(), "-e", "fail", "--json"], { ...env, CICLO_EXPERIMENT_NAME: "from-env" });
    assert.equal(res.code, 3);
    const failed = await client.getRun(JSON.parse(res.stdout).runId);
    assert.equal(failed.info.status, "FAILED");
    assert.equal(failed.info.experimentId, (await client.getExperimentByName("from-env")).experimentId, "CICLO_EXPERIMENT_NAME picks the experiment");
    const expId = (await client.getExperimentByName("e2e")).experimentId;
    const count = async () => (await client.searchAllRuns({ experimentIds: [expId] })).length;
    const before = await count();
    const bad = await runCiclo(["run", ml(), "-e", "train", "-P", "epochs=many", "--experiment-name", "e2e"], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /'epochs' \(int\): 'many' is not an integer/);
    const unknown = await runCiclo(["run", ml(), "-e", "nope", "--experiment-name", "e2e"], env);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Entry point 'nope' is not declared in ciclo\.yaml.*Entry points: train, fail, wait, self/);
    assert.equal(await count(), before);
  });

  test("an entry point runs ciclo itself as $CICLO, as a pipeline step does", async () => {
    const res = await runCiclo(["run", ml(), "-e", "self", "--json", "--experiment-name", "e2e"], env);
    assert.equal(res.code, 0, res.stderr);
    const runId = JSON.parse(res.stdout).runId as string;
    assert.equal((await client.getRun(runId)).info.status, "FINISHED");
    const listed = await runCiclo(["artifacts", "list", runId, "--json"], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /"config\.json"/);
  });

  test("SIGTERM to ciclo run reaches the command; the run ends KILLED, exit code 143", async () => {
    const proc = spawnCiclo(["run", ml(), "-e", "wait", "--experiment-name", "e2e", "--run-name", "waiter"], env);
    let stderr = "";
    proc.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => proc.once("close", (code) => resolve(code)));
    for await (const line of createInterface({ input: proc.stdout! })) {
      if (line === "ready") break;
    }
    proc.kill("SIGTERM");
    assert.equal(await exited, 143, stderr);
    const expId = (await client.getExperimentByName("e2e")).experimentId;
    const [waiter] = await client.searchAllRuns({ experimentIds: [expId], filter: "attributes.run_name = 'waiter'" });
    assert.equal(waiter.info.status, "KILLED");
  });

  test("reproduce refuses a run with nothing recorded (exit 2) and a work folder that is not empty", async () => {
    const expId = (await client.getExperimentByName("e2e")).experimentId;
    const bare = await client.createRun({ experimentId: expId, runName: "bare" });
    const res = await runCiclo(["reproduce", bare.info.runId], env);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /has no recorded git commit/);
    const busy = join(tmp.path, "busy");
    mkdirSync(busy);
    copyFileSync(join(ml(), "config.json"), join(busy, "x"));
    const res2 = await runCiclo(["reproduce", runs.clean, "--work-dir", busy], env);
    assert.equal(res2.code, 2);
    assert.match(res2.stderr, /is not empty/);
  });
});
