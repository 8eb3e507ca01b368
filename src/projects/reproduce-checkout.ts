/**
 * Rebuilding a run's code and dependencies in a fresh folder: clone, check
 * out the recorded commit, apply the recorded patch, put the recorded lock
 * file (and package.json…) back, reinstall from it.
 *
 * The clone source and commit come from a tracking server, so they are
 * handled as untrusted: git runs without a shell, after `--`, with the `ext`
 * and `fd` transports (which run commands) refused and no credential prompt;
 * a recorded file's bytes must match its recorded sha256.
 * @module
 */
import { execFile, spawn, type StdioOptions } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import type { ArtifactClient } from "../sdk/artifact-client.js";
import { type RecordedFile, type ReproducePlan, ReproduceError } from "./reproduce-plan.js";

const exec = promisify(execFile);
const GIT_SAFETY = ["-c", "protocol.ext.allow=never", "-c", "protocol.fd.allow=never", "-c", "advice.detachedHead=false"];

function gitEnv(): NodeJS.ProcessEnv {
  return { ...process.env, GIT_TERMINAL_PROMPT: "0", LC_ALL: "C", GIT_PAGER: "cat" };
}

async function git(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await exec("git", [...GIT_SAFETY, ...args], { cwd, env: gitEnv(), maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

const why = (err: unknown) => ((err as { stderr?: string }).stderr?.trim() || (err as Error).message).split("\n").slice(-3).join(" ");

/**
 * Clones the first source that has the commit into `workDir` (empty or
 * absent) and checks the commit out (detached). Resolves with the source used.
 */
export async function checkoutCommit(commit: string, sources: string[], workDir: string, log: (line: string) => void): Promise<string> {
  const failures: string[] = [];
  for (const source of sources) {
    if (source.startsWith("-")) {
      failures.push(`${source}: not a repository location`);
      continue;
    }
    rmSync(workDir, { recursive: true, force: true });
    mkdirSync(workDir, { recursive: true });
    try {
      log(`Cloning ${source} …`);
      await git(workDir, ["clone", "--quiet", "--no-checkout", "--", source, "."]);
      if (!(await hasCommit(workDir, commit))) await git(workDir, ["fetch", "--quiet", "origin", "--", commit]).catch(() => "");
      if (!(await hasCommit(workDir, commit))) throw new Error(`commit ${commit} is not there`);
      await git(workDir, ["checkout", "--quiet", "--detach", commit, "--"]);
      return source;
    } catch (err) {
      failures.push(`${source}: ${why(err)}`);
    }
  }
  rmSync(workDir, { recursive: true, force: true });
  throw new ReproduceError(
    sources.length === 0
      ? `No repository to clone commit ${commit} from: the run recorded neither a remote nor a local work tree. Pass --source <path or URL>.`
      : `Could not check out commit ${commit}:\n  ${failures.join("\n  ")}\nPass --source <path or URL> of a repository that has it.`,
  );
}

async function hasCommit(dir: string, commit: string): Promise<boolean> {
  return git(dir, ["cat-file", "-e", `${commit}^{commit}`]).then(() => true, () => false);
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Downloads an artifact of the run to a temp file beside `workDir` and checks its recorded hash; resolves with its bytes. */
async function fetchRecorded(artifacts: ArtifactClient, runId: string, artifact: string, expected: string | undefined, tmp: string): Promise<{ file: string; bytes: Buffer }> {
  const file = await artifacts.downloadArtifacts({ runId, path: artifact }, tmp);
  const bytes = readFileSync(file);
  if (expected && sha256(bytes) !== expected) {
    throw new ReproduceError(`The recorded ${artifact} does not match its sha256 tag (${expected}): it changed after the run.`);
  }
  return { file, bytes };
}

/** Applies the run's dirty-tree patch at the root of the checkout. */
export async function applyRecordedPatch(plan: ReproducePlan, artifacts: ArtifactClient, workDir: string, tmp: string, log: (line: string) => void): Promise<void> {
  if (!plan.patch) return;
  const { file, bytes } = await fetchRecorded(artifacts, plan.runId, plan.patch.artifact, plan.patch.sha256, tmp);
  if (bytes.length === 0) return;
  try {
    await git(workDir, ["apply", "--whitespace=nowarn", "--", file]);
  } catch (err) {
    throw new ReproduceError(`The recorded patch (${plan.patch.artifact}) does not apply to commit ${plan.commit}: ${why(err)}`);
  }
  log(`Applied the recorded patch of uncommitted changes (${bytes.length} bytes).`);
}

/** Puts the recorded dependency files (package.json, lock file…) back where they were; says which differed from the checkout. */
export async function restoreRecordedFiles(plan: ReproducePlan, artifacts: ArtifactClient, workDir: string, tmp: string, log: (line: string) => void): Promise<void> {
  for (const f of plan.files) {
    const { bytes } = await fetchRecorded(artifacts, plan.runId, f.artifact, f.sha256, join(tmp, f.kind));
    const target = join(workDir, ...f.path.split("/"));
    const before = existsSync(target) ? sha256(readFileSync(target)) : undefined;
    if (before === sha256(bytes)) continue;
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, bytes);
    log(`${before ? "Replaced" : "Restored"} ${f.path} with the copy recorded by the run${before ? " (the checkout's differed)" : ""}.`);
  }
}

export interface InstallStep {
  /** Folder the command runs in. */
  cwd: string;
  command: string;
  args: string[];
}

/**
 * How to reinstall Node dependencies: from the recorded lock file, else from the project's own. Packages come
 * from the local cache when it has them (`--prefer-offline`: no registry round trip per package, and no network
 * at all when the cache holds the lock's packages); `offline` forbids the network (a missing package fails).
 */
export function nodeInstallStep(plan: ReproducePlan, workDir: string, projectDir: string, offline = false): InstallStep | undefined {
  const lock: RecordedFile | undefined = plan.files.find((f) => f.kind === "lockFile");
  const dir = lock ? join(workDir, ...dirname(lock.path).split("/")) : projectDir;
  const name = lock ? lock.path.split("/").pop()! : ["package-lock.json", "npm-shrinkwrap.json", "pnpm-lock.yaml", "yarn.lock"].find((n) => existsSync(join(projectDir, n)));
  if (!name || !existsSync(join(dir, "package.json"))) return undefined;
  const cache = offline ? "--offline" : "--prefer-offline";
  if (name === "pnpm-lock.yaml") return { cwd: dir, command: "pnpm", args: ["install", "--frozen-lockfile", cache] };
  if (name === "yarn.lock") return { cwd: dir, command: "yarn", args: ["install", "--frozen-lockfile", cache] };
  return { cwd: dir, command: "npm", args: ["ci", "--no-audit", "--no-fund", cache] };
}

/** Runs an install step with its output on ciclo's stderr (or stdout); a non-zero exit is a ReproduceError. */
export function runInstallStep(step: InstallStep, env: NodeJS.ProcessEnv, stdout: "stdout" | "stderr"): Promise<void> {
  const stdio: StdioOptions = ["ignore", stdout === "stderr" ? process.stderr : "inherit", "inherit"];
  return new Promise((resolve, reject) => {
    const child = spawn(step.command, step.args, { cwd: step.cwd, env, stdio });
    child.once("error", (err) => reject(new ReproduceError(`Could not run ${step.command}: ${err.message}`)));
    child.once("exit", (code, signal) => {
      if (code === 0) resolve();
      else reject(new ReproduceError(`\`${[step.command, ...step.args].join(" ")}\` in ${step.cwd} failed (${signal ?? `exit code ${code}`}).`));
    });
  });
}

/** True when `dir` is absent or an empty folder (a work folder must be fresh). */
export function isFreshDir(dir: string): boolean {
  return !existsSync(dir) || readdirSync(dir).length === 0;
}
