/**
 * Reproducibility capture in a git repository made by the test: a script run
 * as a real process records the commit, branch, remote (credentials
 * stripped), dirty flag, entry point, command line, environment and
 * dependency files by default; the `git diff HEAD` patch it uploads turns a
 * fresh clone of the commit back into the code that ran. Also: clean trees,
 * joined runs, opting out.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync, unlinkSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { startLiveTrackingServer, type LiveTrackingServer } from "../testing/live-tracking-server.js";
import { tempDir } from "../testing/temp-dir.js";
import { CONTEXT_ARTIFACTS, CONTEXT_TAGS, createContextCapture } from "./context-capture.js";
import { Ciclo } from "./fluent-session.js";
import { stripCredentials } from "./git-context.js";
import { TrackingClient } from "./tracking-client.js";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TSX = import.meta.resolve("tsx");
const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");
const tagsOf = (tags: Array<{ key: string; value: string }>) => Object.fromEntries(tags.map((t) => [t.key, t.value]));
const git = async (cwd: string, ...args: string[]) => (await run("git", args, { cwd })).stdout.trim();

describe("context capture", () => {
  let live: LiveTrackingServer;
  let client: TrackingClient;
  let commit: string;
  const work = tempDir("ciclo-capture-");
  const repo = join(work.path, "repo");

  before(async () => {
    live = await startLiveTrackingServer();
    client = new TrackingClient({ trackingUri: live.url, env: {} });
    mkdirSync(join(repo, "src"), { recursive: true });
    writeFileSync(join(repo, "package.json"), JSON.stringify({ name: "demo", version: "1.0.0", type: "module" }, null, 2));
    writeFileSync(join(repo, "package-lock.json"), JSON.stringify({ name: "demo", lockfileVersion: 3, packages: {} }, null, 2));
    writeFileSync(join(repo, "requirements.txt"), "numpy==1.26.4\n");
    writeFileSync(join(repo, "README.md"), "# demo\n");
    writeFileSync(join(repo, "data.bin"), Buffer.from([0, 1, 2, 3, 255, 254, 0, 7]));
    writeFileSync(
      join(repo, "src", "train.mts"),
      `import { Ciclo } from ${JSON.stringify(join(ROOT, "src/sdk/index.ts"))};
const c = new Ciclo({ env: process.env });
const run = await c.startRun({ runName: "captured" });
c.logMetric("loss", 0.5);
const report = await c.endRun();
console.log(JSON.stringify({ runId: run.runId, errors: report.errors.map((e) => e.message) }));
`,
    );
    await git(repo, "init", "-q", "-b", "main");
    await git(repo, "config", "user.email", "t@example.com");
    await git(repo, "config", "user.name", "Tester");
    await git(repo, "add", "-A");
    await git(repo, "commit", "-q", "-m", "initial");
    await git(repo, "remote", "add", "origin", "https://deploy:s3cret-token@example.com/org/demo.git");
    commit = await git(repo, "rev-parse", "HEAD");
  });
  after(async () => {
    await live.close();
    work.remove();
  });

  test("a script in a dirty repo records code, command line, environment and dependency files; its patch restores the tree on a fresh clone", async () => {
    // Dirty: a staged edit, an unstaged edit of the script itself, a binary change, a deletion, an untracked file.
    writeFileSync(join(repo, "requirements.txt"), "numpy==1.26.4\npandas==2.2.0\n");
    await git(repo, "add", "requirements.txt");
    writeFileSync(join(repo, "src", "train.mts"), `${readFileSync(join(repo, "src", "train.mts"), "utf8")}// tuned\n`);
    writeFileSync(join(repo, "data.bin"), Buffer.from([9, 0, 255, 3, 128]));
    unlinkSync(join(repo, "README.md"));
    writeFileSync(join(repo, "notes.txt"), "scratch\n");

    const env: NodeJS.ProcessEnv = { ...process.env, CICLO_TRACKING_URI: live.url };
    delete env.NODE_TEST_CONTEXT;
    const out = await run(process.execPath, ["--import", TSX, "src/train.mts", "--lr", "0.1", "two words"], { cwd: repo, env });
    const { runId, errors } = JSON.parse(out.stdout.trim().split("\n").at(-1)!);
    assert.deepEqual(errors, []);
    const tags = tagsOf((await client.getRun(runId)).data.tags);
    const T = CONTEXT_TAGS;
    assert.deepEqual(
      [tags[T.gitCommit], tags[T.gitBranch], tags[T.gitRepoUrl], tags[T.gitRepoUrlLegacy], tags[T.gitDirty], tags[T.gitUntracked], tags[T.version]],
      [commit, "main", "https://example.com/org/demo.git", "https://example.com/org/demo.git", "true", "1", "1"],
    );
    assert.deepEqual([tags[T.entryPoint], tags[T.workingDir], tags[T.sourceType]], ["src/train.mts", ".", "LOCAL"]);
    assert.match(tags[T.commandLine], /^node --import \S+ src\/train\.mts --lr 0\.1 'two words'$/);
    assert.deepEqual(JSON.parse(tags[T.argv]).slice(-4), ["src/train.mts", "--lr", "0.1", "two words"]);
    assert.deepEqual([tags[T.node], tags[T.arch], tags[T.host], tags[T.os].split(" ")[0]], [process.version, process.arch, hostname(), process.platform]);
    assert.deepEqual(
      [tags["ciclo.env.packageJson"], tags["ciclo.env.lockFile"], tags["ciclo.env.requirements"], tags["ciclo.env.pyproject"]],
      ["package.json", "package-lock.json", "requirements.txt", undefined],
    );
    assert.equal(tags["ciclo.env.requirements.sha256"], sha(readFileSync(join(repo, "requirements.txt"))), "the file as it was when the run started");
    assert.equal(tags["ciclo.env.lockFile.sha256"], sha(readFileSync(join(repo, "package-lock.json"))));

    const c = new Ciclo({ trackingUri: live.url, env: {}, contextCapture: false });
    const dl = await c.downloadArtifacts(`runs:/${runId}/ciclo`, join(work.path, "captured"));
    assert.deepEqual(readFileSync(join(dl, "env", "requirements.txt"), "utf8"), "numpy==1.26.4\npandas==2.2.0\n");
    assert.ok(existsSync(join(dl, "env", "package.json")) && existsSync(join(dl, "env", "package-lock.json")));
    assert.equal(readFileSync(join(dl, "git-untracked.txt"), "utf8"), "notes.txt\n");
    const ctx = JSON.parse(readFileSync(join(dl, "run-context.json"), "utf8"));
    assert.deepEqual([ctx.version, ctx.entryPoint, ctx.git.commit, ctx.patch], ["1", "src/train.mts", commit, CONTEXT_ARTIFACTS.gitDiff]);
    const patch = join(dl, "git-diff.patch");
    assert.equal(tags[T.gitPatch], CONTEXT_ARTIFACTS.gitDiff);
    assert.equal(tags[T.gitPatchSha256], sha(readFileSync(patch)));

    const fresh = join(work.path, "fresh");
    await run("git", ["clone", "-q", repo, fresh]);
    await git(fresh, "checkout", "-q", commit);
    await git(fresh, "apply", patch);
    for (const f of ["src/train.mts", "requirements.txt", "data.bin", "package.json"]) {
      assert.deepEqual(readFileSync(join(fresh, f)), readFileSync(join(repo, f)), f);
    }
    assert.ok(!existsSync(join(fresh, "README.md")), "the deletion is replayed");
    assert.ok(!existsSync(join(fresh, "notes.txt")), "untracked files are listed, not in the patch");
  });

  test("a clean tree has no patch; a joined run is captured once; captureContext: false and CICLO_CONTEXT_CAPTURE=0 opt out", async () => {
    const clean = join(work.path, "clean");
    await run("git", ["clone", "-q", repo, clean]);
    const opts = { cwd: clean, argv: [process.execPath, join(clean, "src", "train.mts")], execArgv: [] };
    const c = new Ciclo({ trackingUri: live.url, env: {}, contextCapture: createContextCapture(opts) });
    const r = await c.startRun();
    await c.endRun();
    const tags = tagsOf((await client.getRun(r.runId)).data.tags);
    assert.deepEqual([tags[CONTEXT_TAGS.gitDirty], tags[CONTEXT_TAGS.gitPatch], tags[CONTEXT_TAGS.gitRepoUrl], tags[CONTEXT_TAGS.commandLine]], [
      "false", undefined, repo, "node src/train.mts",
    ]);
    assert.deepEqual((await c.listArtifacts(r.runId, "ciclo")).map((f) => f.path), ["ciclo/env", "ciclo/run-context.json"]);

    // `ciclo run` creates the run; the script joins it through CICLO_RUN_ID and captures what is missing, once.
    const created = await client.createRun({ runName: "outer" });
    for (let i = 0; i < 2; i++) {
      const joined = new Ciclo({ trackingUri: live.url, env: { CICLO_RUN_ID: created.info.runId }, contextCapture: createContextCapture(opts) });
      await joined.startRun();
      await joined.endRun();
    }
    const joinedTags = tagsOf((await client.getRun(created.info.runId)).data.tags);
    assert.deepEqual([joinedTags[CONTEXT_TAGS.version], joinedTags[CONTEXT_TAGS.entryPoint]], ["1", "src/train.mts"]);
    assert.deepEqual((await c.listArtifacts(created.info.runId, "ciclo/env")).map((f) => f.path), ["ciclo/env/package-lock.json", "ciclo/env/package.json", "ciclo/env/requirements.txt"]);

    const off = new Ciclo({ trackingUri: live.url, env: {} });
    const r2 = await off.startRun({ captureContext: false });
    await off.endRun();
    const viaEnv = new Ciclo({ trackingUri: live.url, env: { CICLO_CONTEXT_CAPTURE: "0" } });
    const r3 = await viaEnv.startRun();
    await viaEnv.endRun();
    for (const id of [r2.runId, r3.runId]) {
      assert.equal(tagsOf((await client.getRun(id)).data.tags)[CONTEXT_TAGS.version], undefined);
      assert.deepEqual(await off.listArtifacts(id), []);
    }
  });

  test("credentials are stripped from http(s) remotes; ssh users are kept", () => {
    assert.equal(stripCredentials("https://x-access-token:ghp_abc@github.com/o/r.git"), "https://github.com/o/r.git");
    assert.equal(stripCredentials("http://user@host:8080/r"), "http://host:8080/r");
    assert.equal(stripCredentials("git@github.com:o/r.git"), "git@github.com:o/r.git");
    assert.equal(stripCredentials("ssh://git@host/o/r.git"), "ssh://git@host/o/r.git");
  });
});
