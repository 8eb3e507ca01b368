/**
 * The Python packages ciclo adds to a Python model's image but does not ship
 * — MLflow above all (its pyfunc loader) — from sources the user names with
 * `--mlflow-from` (or `CICLO_MLFLOW_FROM`, separated by `:`):
 *
 * - a folder that is an import root, as `pip install --target DIR
 *   mlflow-skinny==…` leaves it (packages beside their `.dist-info`);
 * - a wheelhouse: a folder of `.whl` files (`pip download mlflow-skinny==…`
 *   on a connected machine), every wheel unpacked into one import root;
 * - one `.whl` file.
 *
 * Each source lands at `/opt/ciclo/python/<n>` on the image's PYTHONPATH,
 * in order. Wheels are unpacked by ciclo (wheel-unpack.ts); pip is not run.
 * @module
 */
import { existsSync, statSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { InvalidParameterValueError } from "../../shared/errors.js";
import { LayerSpec } from "./layer-tar.js";
import { scanFolder, type PythonDistribution } from "./python-inventory.js";
import { unpackWheel } from "./wheel-unpack.js";

export const PYTHON_PACKAGES_DIR = "/opt/ciclo/python";

export interface PythonPackagesLayer {
  layer?: LayerSpec;
  /** The image's PYTHONPATH entries, in order. */
  pythonPath: string[];
  /** What the folders provide, by normalized name. */
  provides: Map<string, PythonDistribution>;
  /** Removes the folders wheels were unpacked into (after the layer is written). */
  cleanup: () => Promise<void>;
}

/** The folders from the flag, else from `CICLO_MLFLOW_FROM`. */
export function mlflowSources(flag: string[] | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  if (flag && flag.length > 0) return flag;
  return (env.CICLO_MLFLOW_FROM ?? "").split(":").filter((s) => s.trim() !== "");
}

export async function pythonPackagesLayer(sources: string[]): Promise<PythonPackagesLayer> {
  const provides = new Map<string, PythonDistribution>();
  const pythonPath: string[] = [];
  const staged: string[] = [];
  const cleanup = async () => void (await Promise.all(staged.map((d) => rm(d, { recursive: true, force: true }))));
  if (sources.length === 0) return { pythonPath, provides, cleanup };
  const layer = new LayerSpec(`Python packages from ${sources.length} source(s) (--mlflow-from)`);
  try {
    for (const [i, src] of sources.entries()) {
      const dir = await importRoot(src, staged);
      await addRoot(layer, dir, i, pythonPath, provides);
    }
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { layer, pythonPath, provides, cleanup };
}

/** The import root a source stands for: a folder as is, or a wheel / a wheelhouse unpacked into a staging folder. */
async function importRoot(src: string, staged: string[]): Promise<string> {
  const path = resolve(src);
  const stage = async (wheels: string[]) => {
    const dir = await mkdtemp(join(tmpdir(), "ciclo-wheels-"));
    staged.push(dir);
    for (const w of wheels) await unpackWheel(w, dir);
    return dir;
  };
  if (existsSync(path) && statSync(path).isFile() && path.endsWith(".whl")) return stage([path]);
  if (!existsSync(path) || !statSync(path).isDirectory()) {
    throw new InvalidParameterValueError(
      `--mlflow-from '${src}' is neither a folder nor a .whl file. Give a folder of importable Python packages (e.g. made with \`pip install --target DIR mlflow-skinny==2.10.2\` on a machine that reaches an index), a folder of wheels (\`pip download\`), or one wheel.`,
    );
  }
  const wheels = (await readdir(path)).filter((n) => n.endsWith(".whl")).sort();
  return wheels.length > 0 ? stage(wheels.map((w) => join(path, w))) : path;
}

async function addRoot(layer: LayerSpec, dir: string, i: number, pythonPath: string[], provides: Map<string, PythonDistribution>): Promise<void> {
  const at = `${PYTHON_PACKAGES_DIR}/${i}`;
  await layer.addTree(dir, at, { exclude: (rel) => /(^|\/)__pycache__(\/|$)/.test(rel) || rel.endsWith(".pyc") });
  pythonPath.push(at);
  for (const [name, d] of await scanFolder(dir)) if (!provides.has(name)) provides.set(name, d);
  if (existsSync(join(dir, "mlflow", "__init__.py")) && !provides.has("mlflow")) {
    provides.set("mlflow", { name: "mlflow", version: "unknown", where: join(dir, "mlflow") });
  }
}
