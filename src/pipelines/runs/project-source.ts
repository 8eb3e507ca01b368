/**
 * Where a pipeline's project comes from: a folder on the server's disk, or
 * a git URI cloned once per pipeline run (`https://host/org/repo.git`,
 * optionally `#<branch-or-tag>`). Git runs without a shell, only over
 * https, http, ssh, git and file (no `ext::` transports), and refuses URIs
 * that could be read as options.
 * @module
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { promisify } from "node:util";
import { InvalidParameterValueError } from "../../shared/errors.js";

const run = promisify(execFile);
const GIT_URI = /^(https?:\/\/|ssh:\/\/|git:\/\/|file:\/\/|git@[^:]+:)/;

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
  const hash = source.lastIndexOf("#");
  const url = hash > 0 ? source.slice(0, hash) : source;
  const ref = hash > 0 ? source.slice(hash + 1) : undefined;
  if (ref !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._/-]{0,200}$/.test(ref)) throw new InvalidParameterValueError(`The git ref '${ref}' is not a branch or tag name.`);
  mkdirSync(checkoutDir, { recursive: true });
  const dir = join(checkoutDir, "project");
  const args = ["clone", "--quiet", "--depth", "1", ...(ref ? ["--branch", ref] : []), "--", url, dir];
  try {
    await run("git", args, {
      signal,
      timeout: 10 * 60_000,
      env: { ...process.env, GIT_ALLOW_PROTOCOL: "https:http:ssh:git:file", GIT_TERMINAL_PROMPT: "0" },
    });
  } catch (err) {
    throw new InvalidParameterValueError(`Could not clone ${url}${ref ? ` at ${ref}` : ""}: ${((err as { stderr?: string }).stderr || (err as Error).message).trim().split("\n")[0]}`);
  }
  return dir;
}
