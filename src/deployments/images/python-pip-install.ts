/**
 * The model's requirements that the image does not hold, installed from a
 * package index at build time (`--pip-index-url`, else `PIP_INDEX_URL`):
 * after the base's packages and the `--mlflow-from` folders are checked
 * (python-requirements-check.ts), the lines that still do not fit — a
 * package missing, or at another version — are installed with the host's
 * pip into a folder that becomes one more layer, first on the image's
 * PYTHONPATH (so it wins over the base's copy of the same package).
 *
 * pip downloads for the image, not the host: `--only-binary=:all:` with the
 * image's Python version (`--python-version`, CPython) and platform
 * (manylinux wheels up to glibc 2.28, and pure-Python ones), `--target`
 * instead of an environment. `--no-deps`: what is installed is exactly the
 * lines that did not fit — their own dependencies must be in the base, in
 * the folders, or among the model's requirements (MLflow lists a model's
 * direct imports; a dependency pip would pull in beside them could shadow
 * the base's build of numpy or scipy that the rest of the base was built
 * against). No pip runs inside the image.
 * @module
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InvalidParameterValueError } from "../../shared/errors.js";
import { LayerSpec } from "./layer-tar.js";
import type { Platform } from "./oci-manifest.js";
import { scanFolder, type PythonDistribution } from "./python-inventory.js";
import { PYTHON_PACKAGES_DIR } from "./python-packages.js";

/** Where the installed requirements sit in the image (first on PYTHONPATH). */
export const PIP_PACKAGES_DIR = `${PYTHON_PACKAGES_DIR}/pip`;

/** The index from the flag, else `PIP_INDEX_URL` (pip's own variable); undefined: nothing is installed. */
export function pipIndexUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const url = (flag ?? env.PIP_INDEX_URL ?? "").trim();
  if (!url) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidParameterValueError(`--pip-index-url '${url}' is not a URL: give a PEP 503 simple index, e.g. https://pypi.example.com/simple.`);
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:" && parsed.protocol !== "file:") {
    throw new InvalidParameterValueError(`--pip-index-url '${url}': use an http(s) or file URL of a PEP 503 simple index.`);
  }
  return url;
}

/** manylinux platform tags for an image platform: glibc 2.28 and older, newest first (pip also takes pure wheels). */
export function manylinuxPlatforms(p: Platform): string[] {
  const machine: Record<string, string> = { amd64: "x86_64", arm64: "aarch64" };
  const arch = machine[p.architecture];
  if (p.os !== "linux" || !arch) throw new InvalidParameterValueError(`Installing Python requirements for ${p.os}/${p.architecture} is not supported (linux/amd64 and linux/arm64 are).`);
  const glibc = [28, 27, 26, 24, 17].map((minor) => `manylinux_2_${minor}_${arch}`);
  return [...glibc, `manylinux2014_${arch}`, ...(arch === "x86_64" ? [`manylinux2010_${arch}`, `manylinux1_${arch}`] : [])];
}

export interface PipInstallOptions {
  /** Requirement lines (`name==version`, as MLflow writes them). */
  requirements: string[];
  indexUrl: string;
  /** The image's Python, `major.minor`. */
  python: string;
  platform: Platform;
  /** The host interpreter that runs pip (default `python3`; `CICLO_PIP_PYTHON` overrides). */
  hostPython?: string;
  log?: (line: string) => void;
}

/** The pip command line (without the interpreter) that installs `o.requirements` into `target` for the image. */
export function pipInstallArgs(o: PipInstallOptions, target: string): string[] {
  const args = ["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--no-cache-dir", "--no-compile", "--no-deps"];
  args.push("--target", target, "--index-url", o.indexUrl, "--only-binary=:all:", "--implementation", "cp", "--python-version", o.python);
  for (const p of manylinuxPlatforms(o.platform)) args.push("--platform", p);
  return [...args, ...o.requirements];
}

export interface PipInstalled {
  layer: LayerSpec;
  /** The staging folder the layer is made from (removed by cleanup). */
  dir: string;
  /** What the folder provides, by normalized name. */
  provides: Map<string, PythonDistribution>;
  cleanup: () => Promise<void>;
}

function run(cmd: string, args: string[], log?: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    // PIP_* variables of the host (a config's --extra-index-url, --user) must not change what lands in the image.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("PIP_")));
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...env, PIP_CONFIG_FILE: "/dev/null" } });
    const tail: string[] = [];
    const take = (b: Buffer) => {
      for (const line of b.toString("utf8").split("\n")) {
        if (!line.trim()) continue;
        tail.push(line);
        if (tail.length > 12) tail.shift();
        log?.(line);
      }
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("error", (err) => reject(new InvalidParameterValueError(`Could not run pip with '${cmd}' (${err.message}): installing the model's requirements needs python3 with pip on this machine (set CICLO_PIP_PYTHON).`)));
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new InvalidParameterValueError(`pip could not install the model's requirements (exit ${code}):\n${tail.join("\n")}`))));
  });
}

/** Installs the requirements into a staging folder and makes it a layer at {@link PIP_PACKAGES_DIR}. */
export async function pipInstallLayer(o: PipInstallOptions): Promise<PipInstalled> {
  const dir = await mkdtemp(join(tmpdir(), "ciclo-pip-"));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    await run(o.hostPython ?? process.env.CICLO_PIP_PYTHON ?? "python3", pipInstallArgs(o, dir), o.log);
    // The index URL may carry credentials: it stays out of the layer's comment (image history is public).
    const layer = new LayerSpec(`Python requirements installed with pip (${o.requirements.length}, --pip-index-url)`);
    await layer.addTree(dir, PIP_PACKAGES_DIR, { exclude: (rel) => /(^|\/)__pycache__(\/|$)/.test(rel) || rel.endsWith(".pyc") || /^bin(\/|$)/.test(rel) });
    return { layer, dir, provides: await scanFolder(dir), cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
