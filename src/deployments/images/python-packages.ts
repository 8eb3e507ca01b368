/**
 * The Python packages ciclo adds to a Python model's image but does not ship
 * — MLflow above all (its pyfunc loader) — from folders the user names with
 * `--mlflow-from` (or `CICLO_MLFLOW_FROM`, folders separated by `:`). Each
 * folder is an import root, as `pip install --target DIR mlflow-skinny==…`
 * or an unpacked wheelhouse leaves it (packages beside their `.dist-info`),
 * and lands at `/opt/ciclo/python/<n>` on the image's PYTHONPATH, in order.
 * @module
 */
import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { InvalidParameterValueError } from "../../shared/errors.js";
import { LayerSpec } from "./layer-tar.js";
import { scanFolder, type PythonDistribution } from "./python-inventory.js";

export const PYTHON_PACKAGES_DIR = "/opt/ciclo/python";

export interface PythonPackagesLayer {
  layer?: LayerSpec;
  /** The image's PYTHONPATH entries, in order. */
  pythonPath: string[];
  /** What the folders provide, by normalized name. */
  provides: Map<string, PythonDistribution>;
}

/** The folders from the flag, else from `CICLO_MLFLOW_FROM`. */
export function mlflowSources(flag: string[] | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  if (flag && flag.length > 0) return flag;
  return (env.CICLO_MLFLOW_FROM ?? "").split(":").filter((s) => s.trim() !== "");
}

export async function pythonPackagesLayer(sources: string[]): Promise<PythonPackagesLayer> {
  const provides = new Map<string, PythonDistribution>();
  const pythonPath: string[] = [];
  if (sources.length === 0) return { pythonPath, provides };
  const layer = new LayerSpec(`Python packages from ${sources.length} folder(s) (--mlflow-from)`);
  for (const [i, src] of sources.entries()) {
    const dir = resolve(src);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new InvalidParameterValueError(
        `--mlflow-from '${src}' is not a folder. Give a folder of importable Python packages (e.g. made with \`pip install --target DIR mlflow-skinny==2.10.2\` on a machine that reaches an index).`,
      );
    }
    const at = `${PYTHON_PACKAGES_DIR}/${i}`;
    await layer.addTree(dir, at, { exclude: (rel) => /(^|\/)__pycache__(\/|$)/.test(rel) || rel.endsWith(".pyc") });
    pythonPath.push(at);
    for (const [name, d] of await scanFolder(dir)) if (!provides.has(name)) provides.set(name, d);
    if (existsSync(join(dir, "mlflow", "__init__.py")) && !provides.has("mlflow")) {
      provides.set("mlflow", { name: "mlflow", version: "unknown", where: join(dir, "mlflow") });
    }
  }
  return { layer, pythonPath, provides };
}
