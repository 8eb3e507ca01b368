/**
 * Content hashes: of a data input (a file, or a folder's files in path
 * order), recorded as the pipeline run's dataset inputs; and of a project's
 * code tree, part of every cached step's key. Both read files as streams.
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import { createReadStream, existsSync, lstatSync, readdirSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { InvalidParameterValueError } from "../../shared/errors.js";

/** Folders a code tree leaves out: dependencies, VCS data and run outputs are not the project's code. */
const SKIPPED = new Set([".git", "node_modules", "mlruns", ".ciclo", "__pycache__", ".venv", "dist"]);
const MAX_FILES = 50_000;

async function hashFile(h: Hash, path: string): Promise<void> {
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
}

/** Files under `dir` (relative, sorted), without symlinks and skipped folders. */
function listFiles(dir: string, skip: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const walk = (sub: string) => {
    for (const e of readdirSync(join(dir, sub), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const rel = sub ? `${sub}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!skip.has(e.name)) walk(rel);
      } else if (e.isFile()) {
        out.push(rel);
        if (out.length > MAX_FILES) throw new InvalidParameterValueError(`${dir} holds more than ${MAX_FILES} files; a code tree or data input that large is not hashed.`);
      }
    }
  };
  walk("");
  return out;
}

/** sha256 of a tree: each file's path and content. */
export async function treeDigest(dir: string, skip: ReadonlySet<string> = SKIPPED): Promise<string> {
  const h = createHash("sha256");
  for (const rel of listFiles(dir, skip)) {
    h.update(`${rel}\0`);
    const f = createHash("sha256");
    await hashFile(f, join(dir, rel));
    h.update(f.digest());
  }
  return h.digest("hex");
}

/** The local path a data input names: a path (relative to the project) or a file: URI. */
export function dataPath(value: string, projectDir: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(value) && !value.startsWith("file:")) {
    throw new InvalidParameterValueError(`Data input '${value}': only local paths and file: URIs are digested; copy remote data into the project or a local folder first.`);
  }
  const path = value.startsWith("file:") ? fileURLToPath(value) : isAbsolute(value) ? value : resolve(projectDir, value);
  if (!existsSync(path)) throw new InvalidParameterValueError(`Data input '${value}' does not exist (${isAbsolute(value) ? path : relative(projectDir, path)}).`);
  return path;
}

/** sha256 of a data input's content (a file, or a folder's tree). */
export async function dataDigest(path: string): Promise<string> {
  const st = lstatSync(path);
  if (st.isDirectory()) return treeDigest(path, new Set());
  if (!st.isFile()) throw new InvalidParameterValueError(`Data input ${path} is neither a file nor a folder.`);
  const h = createHash("sha256");
  await hashFile(h, path);
  return h.digest("hex");
}
