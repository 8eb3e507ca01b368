/**
 * Where a pipeline's project comes from: a folder on the server's disk, or
 * a git URI fetched once per pipeline run
 * (`https://host/org/repo.git[#<branch, tag or commit>][:<subdir>]`). Git runs without a shell, only over
 * https, http, ssh, git and file (no `ext::` transports), and refuses URIs
 * that could be read as options.
 * @module
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, realpathSync, statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { promisify } from "node:util";
import { InvalidParameterValueError } from "../../shared/errors.js";

const run = promisify(execFile);
const GIT_URI = /^(https?:\/\/|ssh:\/\/|git:\/\/|file:\/\/|git@[^:]+:)/;

/**
 * `<url>[#<ref>][:<subdir>]`, as Docker reads git build contexts (`…/repo.git#main`, `…#v1.4:models/churn`,
 * `…#:models/churn`): the ref is a branch, tag or commit id. Without a `#`, an `@<ref>` at the end of the
 * last path segment is read as the ref too (`…/repo.git@3f2c…`).
 */
export function parseGitSource(source: string): { url: string; subdir?: string; ref?: string } {
  let url = source;
  let ref: string | undefined;
  let subdir: string | undefined;
  const hash = source.indexOf("#");
  if (hash >= 0) {
    url = source.slice(0, hash);
    const fragment = source.slice(hash + 1);
    const colon = fragment.indexOf(":");
    ref = (colon >= 0 ? fragment.slice(0, colon) : fragment) || undefined;
    subdir = colon >= 0 ? fragment.slice(colon + 1) : undefined;
  } else {
    const tail = url.slice(url.lastIndexOf("/") + 1);
    const at = tail.lastIndexOf("@");
    if (at >= 0) {
      ref = tail.slice(at + 1);
      url = url.slice(0, url.length - tail.length + at);
    }
  }
  if (ref !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._/-]{0,200}$/.test(ref)) throw new InvalidParameterValueError(`The git ref '${ref}' is not a branch, tag or commit id.`);
  if (subdir !== undefined && (subdir === "" || subdir.startsWith("/") || subdir.split("/").includes(".."))) throw new InvalidParameterValueError(`The project folder '${subdir}' must be a relative path inside the repository.`);
  if (url.startsWith("-")) throw new InvalidParameterValueError("A git URI cannot start with '-'.");
  return { url, ...(subdir !== undefined && { subdir }), ...(ref !== undefined && { ref }) };
}

export function isGitUri(source: string): boolean {
  return GIT_URI.test(source);
}

/** The project folder for `source`: the folder itself, or a fresh clone under `checkoutDir`. */
export async function checkoutProject(source: string, checkoutDir: string, signal?: AbortSignal): Promise<string> {
  if (source.includes("\0")) throw new InvalidParameterValueError("The project may not contain NUL characters.");
  if (!isGitUri(source)) {
    if (!isAbsolute(source)) throw new InvalidParameterValueError(`The project '${source}' must be an absolute folder path on the server, a git URI or a registered project name.`);
    const dir = resolve(source);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InvalidParameterValueError(`The project folder ${dir} does not exist on the server.`);
    return dir;
  }
  const { url, subdir, ref } = parseGitSource(source);
  mkdirSync(checkoutDir, { recursive: true });
  const dir = join(checkoutDir, "project");
  const env = { ...process.env, GIT_ALLOW_PROTOCOL: "https:http:ssh:git:file", GIT_TERMINAL_PROMPT: "0" };
  const git = (args: string[], cwd?: string) => run("git", args, { cwd, signal, timeout: 10 * 60_000, env });
  try {
    if (ref === undefined) await git(["clone", "--quiet", "--depth", "1", "--", url, dir]);
    else {
      // Fetching the one ref works for branches, tags and commit ids alike (clone --branch takes no ids).
      mkdirSync(dir, { recursive: true });
      await git(["init", "--quiet"], dir);
      await git(["remote", "add", "origin", "--", url], dir);
      await git(["fetch", "--quiet", "--depth", "1", "origin", "--", ref], dir);
      await git(["checkout", "--quiet", "FETCH_HEAD"], dir);
    }
  } catch (err) {
    throw new InvalidParameterValueError(`Could not fetch ${url}${ref ? ` at ${ref}` : ""}: ${((err as { stderr?: string }).stderr || (err as Error).message).trim().split("\n")[0]}`);
  }
  if (subdir === undefined) return dir;
  const wanted = resolve(dir, subdir);
  if (!existsSync(wanted) || !statSync(wanted).isDirectory()) throw new InvalidParameterValueError(`${url} has no folder '${subdir}'.`);
  // Symlinks resolved: a repository's link may not lead the project out of its checkout.
  const root = realpathSync(dir);
  const sub = realpathSync(wanted);
  if (sub !== root && !sub.startsWith(`${root}/`)) throw new InvalidParameterValueError(`The project folder '${subdir}' leaves the repository.`);
  return sub;
}
