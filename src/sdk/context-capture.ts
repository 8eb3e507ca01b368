/**
 * Reproducibility capture, on by default in `startRun`: what code ran (git
 * commit, branch, remote, dirty flag and a `git diff HEAD` patch; the entry
 * point and the full command line), where (Node version, OS, arch, user,
 * host) and with which dependencies (a hash and a copy of `package.json`, the
 * lock file, `requirements.txt`, `pyproject.toml`). Facts go on the run as
 * MLflow's tags where MLflow has one, `ciclo.*` tags otherwise (`CONTEXT_TAGS`);
 * files go under the run's `ciclo/` artifacts (`CONTEXT_ARTIFACTS`).
 * `ciclo reproduce` reads exactly these names: they are a contract.
 * @module
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, realpath, rm, stat } from "node:fs/promises";
import { hostname, platform, release, tmpdir } from "node:os";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import type { ArtifactClient } from "./artifact-client.js";
import type { ContextCapture } from "./fluent-options.js";
import { readGitContext, writeGitDiff, type GitContext } from "./git-context.js";

/** Tag names written by the capture (see docs/sdk.md, "Reproducibility capture"). */
export const CONTEXT_TAGS = {
  gitCommit: "mlflow.source.git.commit",
  gitBranch: "mlflow.source.git.branch",
  gitRepoUrl: "mlflow.source.git.repoURL",
  /** MLflow compat: the legacy name MLflow still writes beside `mlflow.source.git.repoURL`. */
  gitRepoUrlLegacy: "mlflow.gitRepoURL",
  gitDirty: "mlflow.source.git.dirty",
  sourceName: "mlflow.source.name",
  sourceType: "mlflow.source.type",
  user: "mlflow.user",
  /** Schema version of the capture ("1"); its presence means the run was captured. */
  version: "ciclo.context.version",
  /** The artifact path of the patch (set only when the tree is dirty). */
  gitPatch: "ciclo.git.patch",
  gitPatchSha256: "ciclo.git.patch.sha256",
  /** How many untracked files there were (listed in `ciclo/git-untracked.txt`). */
  gitUntracked: "ciclo.git.untracked",
  /** The script, relative to the git root (POSIX separators); absolute outside a repository. */
  entryPoint: "ciclo.source.entryPoint",
  /** The process's working folder relative to the git root ("." at the root); absolute outside a repository. */
  workingDir: "ciclo.source.workingDir",
  /** The command line, shell-quoted, the script relative to the working folder: `node src/train.js --lr 0.1`. */
  commandLine: "ciclo.source.commandLine",
  /** The same as a JSON array of words. */
  argv: "ciclo.source.argv",
  node: "ciclo.env.node",
  os: "ciclo.env.os",
  arch: "ciclo.env.arch",
  host: "ciclo.env.host",
} as const;

/** Dependency files looked for, nearest the script first, up to the git root. Each kind gets `ciclo.env.<kind>` (its path) and `ciclo.env.<kind>.sha256`. */
export const ENV_FILES = {
  packageJson: ["package.json"],
  lockFile: ["package-lock.json", "pnpm-lock.yaml", "yarn.lock", "npm-shrinkwrap.json"],
  requirements: ["requirements.txt"],
  pyproject: ["pyproject.toml"],
} as const;
export type EnvFileKind = keyof typeof ENV_FILES;

/** Artifact paths written by the capture. */
export const CONTEXT_ARTIFACTS = {
  gitDiff: "ciclo/git-diff.patch",
  untracked: "ciclo/git-untracked.txt",
  /** Every captured fact as one JSON document (`RunContext`). */
  context: "ciclo/run-context.json",
  /** Copies of the dependency files: `ciclo/env/package.json`, `ciclo/env/package-lock.json`, ... */
  envDir: "ciclo/env",
} as const;

export const CONTEXT_VERSION = "1";
const TAG_LIMIT = 8000;

export interface CaptureOptions {
  /** Working folder (default process.cwd()). */
  cwd?: string;
  /** The process's argv (default process.argv): `[node, script, ...args]`. */
  argv?: string[];
  /** Node's own flags (default process.execArgv). */
  execArgv?: string[];
  /** false: no git facts or patch. */
  git?: boolean;
  /** false: no dependency files. */
  envFiles?: boolean;
}

export interface CapturedFile {
  kind: EnvFileKind;
  /** Absolute path on this machine. */
  file: string;
  /** Path recorded in the tag (relative to the git root when inside it). */
  path: string;
  sha256: string;
  size: number;
}

/** Everything the capture found, as written to `ciclo/run-context.json`. */
export interface RunContext {
  version: string;
  capturedAt: number;
  git?: Omit<GitContext, "root"> & { root: string };
  entryPoint?: string;
  workingDir: string;
  argv: string[];
  commandLine: string;
  node: string;
  os: string;
  arch: string;
  host: string;
  files: CapturedFile[];
}

const SAFE_WORD = /^[A-Za-z0-9@%+=:,./_-]+$/;
/** POSIX shell quoting (what `sh` reads back as the same word). */
const shellWord = (w: string): string => (w !== "" && SAFE_WORD.test(w) ? w : `'${w.replaceAll("'", `'\\''`)}'`);

const posix = (p: string) => p.split(sep).join("/");

/** `target` relative to `root` when inside it, else absolute. */
function under(root: string | undefined, target: string): string {
  if (!root) return target;
  const rel = relative(root, target);
  return rel === "" ? "." : rel.startsWith("..") || isAbsolute(rel) ? target : posix(rel);
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(file), hash);
  return hash.digest("hex");
}

async function isFile(p: string): Promise<boolean> {
  return stat(p).then((s) => s.isFile(), () => false);
}

/** The first of `names` found in `start` or a parent folder, not above `stop` (the git root) — or above the filesystem root without one. */
async function findUp(start: string, stop: string | undefined, names: readonly string[]): Promise<string | undefined> {
  for (let dir = start; ; dir = dirname(dir)) {
    for (const n of names) if (await isFile(join(dir, n))) return join(dir, n);
    if (dir === stop || dirname(dir) === dir) return undefined;
  }
}

/** Reads the run context of this process (or of the `argv`/`cwd` given). */
export async function captureRunContext(opts: CaptureOptions = {}): Promise<RunContext> {
  const cwd = resolve(opts.cwd ?? process.cwd());
  const argv = opts.argv ?? process.argv;
  const execArgv = opts.execArgv ?? process.execArgv;
  const script = argv[1] ? await realpath(resolve(cwd, argv[1])).catch(() => resolve(cwd, argv[1])) : undefined;
  const git = opts.git === false ? undefined : await readGitContext(script ? dirname(script) : cwd);
  // Paths are compared after resolving links, as git reports its root.
  const realCwd = await realpath(cwd).catch(() => cwd);
  const words = ["node", ...execArgv, ...(script ? [under(realCwd, script)] : []), ...argv.slice(2)];
  const files: CapturedFile[] = [];
  if (opts.envFiles !== false) {
    const start = script ? dirname(script) : realCwd;
    for (const [kind, names] of Object.entries(ENV_FILES) as Array<[EnvFileKind, readonly string[]]>) {
      const file = await findUp(start, git?.root, names);
      if (!file) continue;
      const st = await stat(file);
      files.push({ kind, file, path: under(git?.root, file), sha256: await sha256File(file), size: st.size });
    }
  }
  return {
    version: CONTEXT_VERSION,
    capturedAt: Date.now(),
    git,
    entryPoint: script ? under(git?.root, script) : undefined,
    workingDir: under(git?.root, realCwd),
    argv: words,
    commandLine: words.map(shellWord).join(" "),
    node: process.version,
    os: `${platform()} ${release()}`,
    arch: process.arch,
    host: hostname(),
    files,
  };
}

/** The run tags of a context (values over MLflow's 8,000-character limit are cut; the JSON artifact has them whole). */
export function runContextTags(ctx: RunContext): Record<string, string> {
  const T = CONTEXT_TAGS;
  const tags: Record<string, string> = {
    [T.version]: ctx.version,
    [T.workingDir]: ctx.workingDir,
    [T.commandLine]: ctx.commandLine,
    [T.argv]: JSON.stringify(ctx.argv),
    [T.node]: ctx.node,
    [T.os]: ctx.os,
    [T.arch]: ctx.arch,
    [T.host]: ctx.host,
  };
  if (ctx.entryPoint) tags[T.entryPoint] = ctx.entryPoint;
  const g = ctx.git;
  if (g) {
    tags[T.gitCommit] = g.commit;
    tags[T.gitDirty] = String(g.dirty);
    tags[T.gitUntracked] = String(g.untracked.length);
    if (g.branch) tags[T.gitBranch] = g.branch;
    if (g.repoUrl) tags[T.gitRepoUrl] = tags[T.gitRepoUrlLegacy] = g.repoUrl;
  }
  for (const f of ctx.files) {
    tags[`ciclo.env.${f.kind}`] = f.path;
    tags[`ciclo.env.${f.kind}.sha256`] = f.sha256;
  }
  for (const [k, v] of Object.entries(tags)) if (v.length > TAG_LIMIT) tags[k] = `${v.slice(0, TAG_LIMIT - 1)}…`;
  return tags;
}

/**
 * Uploads the context's files to the run: the dirty patch, the untracked
 * list, copies of the dependency files and `ciclo/run-context.json`. Resolves
 * with the tags only known once the patch is written (`ciclo.git.patch*`).
 */
export async function logRunContext(artifacts: ArtifactClient, runId: string, ctx: RunContext): Promise<Record<string, string>> {
  const tags: Record<string, string> = {};
  const g = ctx.git;
  if (g?.dirty) {
    const tmp = await mkdtemp(join(tmpdir(), "ciclo-diff-"));
    try {
      const patch = join(tmp, basename(CONTEXT_ARTIFACTS.gitDiff));
      const { sha256 } = await writeGitDiff(g.root, patch);
      await artifacts.logArtifact(runId, patch, dirname(CONTEXT_ARTIFACTS.gitDiff));
      tags[CONTEXT_TAGS.gitPatch] = CONTEXT_ARTIFACTS.gitDiff;
      tags[CONTEXT_TAGS.gitPatchSha256] = sha256;
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
  if (g && g.untracked.length > 0) await artifacts.logText(runId, `${g.untracked.join("\n")}\n`, CONTEXT_ARTIFACTS.untracked);
  for (const f of ctx.files) await artifacts.logArtifact(runId, f.file, CONTEXT_ARTIFACTS.envDir);
  await artifacts.logDict(runId, { ...ctx, patch: tags[CONTEXT_TAGS.gitPatch] ?? null }, CONTEXT_ARTIFACTS.context);
  return tags;
}

/**
 * The capture as `startRun` uses it (the `contextCapture` seam): facts become
 * tags of the new run; once it exists, files are uploaded and the patch tags
 * added. A run joined through CICLO_RUN_ID is captured here only when whoever
 * created it did not (no `ciclo.context.version` tag). Offline runs keep the
 * tags; their files are not uploaded (the spool holds no artifacts).
 */
export function createContextCapture(opts: CaptureOptions = {}): ContextCapture {
  let pending: RunContext | undefined;
  return {
    async tags() {
      pending = await captureRunContext(opts);
      return runContextTags(pending);
    },
    async afterStart(run, ciclo) {
      let ctx = pending;
      pending = undefined;
      if (run.offline) return;
      if (!ctx) {
        const existing = await ciclo.client.getRun(run.runId);
        if (existing.data.tags.some((t) => t.key === CONTEXT_TAGS.version)) return;
        ctx = await captureRunContext(opts);
        for (const [k, v] of Object.entries(runContextTags(ctx))) run.logger.setTag(k, v);
      }
      for (const [k, v] of Object.entries(await logRunContext(ciclo.artifacts, run.runId, ctx))) run.logger.setTag(k, v);
    },
  };
}
