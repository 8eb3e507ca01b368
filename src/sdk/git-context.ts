/**
 * What git knows about the code a run executes: the work tree's root, the
 * commit, the branch, the remote (credentials stripped), whether tracked
 * files differ from the commit, the untracked files, and the `git diff HEAD`
 * patch that turns a checkout of the commit back into the code that ran.
 *
 * Every command runs with `GIT_OPTIONAL_LOCKS=0` (reading must never take the
 * index lock from an editor or another git process) and a timeout; a
 * missing git, a folder outside any repository or a repository without
 * commits give `undefined`, never an error.
 * @module
 */
import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";

const exec = promisify(execFile);
const TIMEOUT_MS = 15_000;

export interface GitContext {
  /** Absolute path of the work tree's top folder. */
  root: string;
  commit: string;
  /** undefined on a detached HEAD. */
  branch?: string;
  /** The `origin` remote (else the first one), without user info for http(s) URLs. */
  repoUrl?: string;
  /** Tracked files differ from the commit (staged or not). Untracked files do not count, as in GitPython's `is_dirty()`. */
  dirty: boolean;
  /** Untracked, not ignored files, relative to the root. */
  untracked: string[];
}

function gitEnv(): NodeJS.ProcessEnv {
  // LC_ALL=C: messages we may match are in English; no pager, no prompts for credentials.
  return { ...process.env, GIT_OPTIONAL_LOCKS: "0", GIT_TERMINAL_PROMPT: "0", LC_ALL: "C", GIT_PAGER: "cat" };
}

async function git(cwd: string, args: string[]): Promise<string | undefined> {
  try {
    const { stdout } = await exec("git", args, { cwd, env: gitEnv(), timeout: TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch {
    return undefined;
  }
}

/**
 * A remote URL safe to record: user info is removed from http(s) URLs (it is
 * where tokens live: `https://x-access-token:ghp_…@github.com/…`); ssh URLs keep
 * their user (`git@host:org/repo`), which is not a secret.
 */
export function stripCredentials(url: string): string {
  const m = /^(https?:\/\/)([^/@]*@)(.*)$/i.exec(url.trim());
  return m ? `${m[1]}${m[3]}` : url.trim();
}

/** Git facts for the work tree holding `cwd`, or undefined outside a repository (or without git). */
export async function readGitContext(cwd: string): Promise<GitContext | undefined> {
  const root = (await git(cwd, ["rev-parse", "--show-toplevel"]))?.trim();
  if (!root) return undefined;
  const commit = (await git(root, ["rev-parse", "--verify", "-q", "HEAD"]))?.trim();
  if (!commit) return undefined; // a repository with no commit yet: nothing to reproduce from
  const [branchOut, remotes, untrackedOut, dirty] = await Promise.all([
    git(root, ["symbolic-ref", "--short", "-q", "HEAD"]),
    git(root, ["remote"]),
    git(root, ["ls-files", "--others", "--exclude-standard", "-z"]),
    isDirty(root),
  ]);
  const names = (remotes ?? "").split("\n").map((s) => s.trim()).filter(Boolean);
  const remote = names.includes("origin") ? "origin" : names[0];
  const url = remote ? (await git(root, ["remote", "get-url", remote]))?.trim() : undefined;
  return {
    root,
    commit,
    branch: branchOut?.trim() || undefined,
    repoUrl: url ? stripCredentials(url) : undefined,
    dirty,
    untracked: (untrackedOut ?? "").split("\0").filter(Boolean),
  };
}

/** `git diff HEAD --quiet` exits 1 when tracked files differ from the commit. */
async function isDirty(root: string): Promise<boolean> {
  try {
    await exec("git", ["diff", "HEAD", "--quiet", "--no-ext-diff"], { cwd: root, env: gitEnv(), timeout: TIMEOUT_MS });
    return false;
  } catch (err) {
    return (err as { code?: unknown }).code === 1;
  }
}

/**
 * Writes `git diff HEAD --binary` (staged and unstaged changes of tracked
 * files, binary files included, so `git apply` on a clean checkout of the
 * commit restores them) to `dest`, streamed; resolves with its size and sha256.
 */
export async function writeGitDiff(root: string, dest: string): Promise<{ size: number; sha256: string }> {
  const child = spawn("git", ["diff", "HEAD", "--binary", "--no-color", "--no-ext-diff", "--no-textconv", "--full-index"], {
    cwd: root,
    env: gitEnv(),
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 120_000,
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d.slice(0, 2000)));
  const hash = createHash("sha256");
  let size = 0;
  child.stdout.on("data", (chunk: Buffer) => {
    hash.update(chunk);
    size += chunk.length;
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", resolve);
  });
  await pipeline(child.stdout, createWriteStream(dest));
  const code = await exited;
  if (code !== 0) throw new Error(`git diff HEAD failed (exit ${code}): ${stderr.trim()}`);
  return { size, sha256: hash.digest("hex") };
}
