/**
 * What Python an image holds, read from its files rather than by running it:
 * the interpreters (`usr/bin/python3.11` → 3.11) and the installed
 * distributions, named by their metadata folders
 * (`…/dist-packages/scikit_learn-1.2.1.egg-info`,
 * `…/site-packages/mlflow-2.10.2.dist-info`) — what `importlib.metadata`
 * and pip see. Read from a base image's layers (later layers and whiteouts
 * applied as a runtime would) and from the folders `--mlflow-from` adds.
 * @module
 */
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join, posix } from "node:path";
import { isUnder, walkLayers } from "./layer-walk.js";

export interface PythonDistribution {
  /** As the metadata folder spells it (`scikit_learn`). */
  name: string;
  version: string;
  /** Where it was found (an image path or a host folder). */
  where: string;
}

export interface PythonInventory {
  /** `major.minor` of every interpreter found. */
  pythons: string[];
  /** By normalized name (PEP 503: `scikit-learn`). */
  packages: Map<string, PythonDistribution>;
}

/** PEP 503's normalized project name. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

/** A metadata folder's name → distribution (its name escapes `-` as `_`, so the version follows the last `-`). */
export function parseMetadataDir(base: string): { name: string; version: string } | undefined {
  const m = /^(.+)\.(dist-info|egg-info)$/.exec(base);
  if (!m) return undefined;
  const stem = m[1].replace(/-py\d+(\.\d+)?$/, "");
  const dash = stem.lastIndexOf("-");
  if (dash <= 0 || dash === stem.length - 1) return undefined;
  return { name: stem.slice(0, dash), version: stem.slice(dash + 1) };
}

/** Folders whose children are importable distributions. */
const SITE_DIR = /^(usr\/(local\/)?lib\/python3(\.\d+)?\/(dist|site)-packages|opt\/[^/]+(\/[^/]+)*\/(dist|site)-packages)$/;
const INTERPRETER = /^usr\/(local\/)?bin\/python(3\.\d+)$/;

/** Reads a base image's layers (local gzip tars, in order). */
export async function scanLayers(layers: Array<{ path: string; digest: string }>): Promise<PythonInventory> {
  // path → what it is; deletions by whiteouts remove earlier layers' entries.
  const found = new Map<string, { kind: "python"; version: string } | { kind: "dist"; d: PythonDistribution }>();
  await walkLayers(layers, {
    remove(path, opaque) {
      for (const k of [...found.keys()]) if (opaque ? k !== path && isUnder(k, path) : isUnder(k, path)) found.delete(k);
    },
    entry(path, header) {
      const py = INTERPRETER.exec(path);
      if (py && header.type !== "directory") {
        found.set(path, { kind: "python", version: py[2] });
        return;
      }
      // The metadata folder itself, or a file in it (layers need not hold folder entries).
      const dir = posix.dirname(path) === "." ? "" : posix.dirname(path);
      const meta = SITE_DIR.test(dir) ? path : SITE_DIR.test(posix.dirname(dir)) ? dir : undefined;
      const d = meta ? parseMetadataDir(posix.basename(meta)) : undefined;
      if (meta && d && !found.has(meta)) found.set(meta, { kind: "dist", d: { ...d, where: `/${meta}` } });
    },
  });
  const inv: PythonInventory = { pythons: [], packages: new Map() };
  for (const v of found.values()) {
    if (v.kind === "python") {
      if (!inv.pythons.includes(v.version)) inv.pythons.push(v.version);
    } else inv.packages.set(normalizeName(v.d.name), v.d);
  }
  inv.pythons.sort();
  return inv;
}

/**
 * What a host folder put on PYTHONPATH provides: its metadata folders, and
 * for a bare `mlflow/` package without one, the version in `mlflow/version.py`.
 */
export async function scanFolder(dir: string): Promise<Map<string, PythonDistribution>> {
  const out = new Map<string, PythonDistribution>();
  for (const name of (await readdir(dir)).sort()) {
    const d = parseMetadataDir(name);
    if (d) out.set(normalizeName(d.name), { ...d, where: join(dir, name) });
  }
  const versionFile = join(dir, "mlflow", "version.py");
  if (!out.has("mlflow") && existsSync(versionFile)) {
    const m = /^VERSION\s*=\s*["']([^"']+)["']/m.exec(await readFile(versionFile, "utf8"));
    if (m) out.set("mlflow", { name: "mlflow", version: m[1], where: versionFile });
  }
  return out;
}
