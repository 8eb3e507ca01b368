/**
 * Which Python runs a model, as `mlflow models serve --env-manager` chooses it:
 *
 * - `local`: a given interpreter as it is (`--python`, default `python3`); it
 *   must be able to import mlflow and the model's packages.
 * - `virtualenv`: a virtual environment built from the model's
 *   `python_env.yaml` (its `build_dependencies` and `dependencies`, following
 *   `-r requirements.txt`) or `requirements.txt`, with `uv` when it is on the
 *   PATH, else `python -m venv` + pip, from the index `--pip-index-url` names
 *   (else pip's own default, which honours PIP_INDEX_URL). Environments are cached by a hash of
 *   what they are built from (interpreter, requirement lines, options) under
 *   `~/.cache/ciclo/envs` (or `CICLO_ENV_CACHE`); each is built once per hash,
 *   even when several servers start at once: concurrent builds in one process
 *   share a promise, across processes each builds in a private folder and the
 *   first to rename it into place wins.
 * - `conda`: `conda env create` from the model's `conda.yaml`, cached the same
 *   way, when `conda` is on the PATH.
 * @module
 */
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { parse } from "yaml";
import { InvalidParameterValueError } from "../../shared/errors.js";

export const ENV_MANAGERS = ["local", "virtualenv", "conda"] as const;
export type EnvManager = (typeof ENV_MANAGERS)[number];

export interface PythonEnvOptions {
  envManager?: EnvManager;
  /** The interpreter (local) or the base interpreter of a virtualenv (default `python3`). */
  python?: string;
  /** Where built environments are kept (default `CICLO_ENV_CACHE` or `~/.cache/ciclo/envs`). */
  cacheDir?: string;
  /** virtualenv: let the environment see the base interpreter's packages (`--system-site-packages`). */
  systemSitePackages?: boolean;
  /** virtualenv: the package index the requirements are installed from (`--pip-index-url`; pip's own default: PIP_INDEX_URL). */
  pipIndexUrl?: string;
  /** Progress lines while an environment is built. */
  log?: (line: string) => void;
}

export interface PythonEnvironment {
  manager: EnvManager;
  /** The interpreter the workers run. */
  python: string;
  /** Extra environment variables for the workers. */
  env: Record<string, string>;
  /** Where a built environment lives (virtualenv, conda). */
  prefix?: string;
}

/** `cmd` found on the PATH, or undefined. */
export function findOnPath(cmd: string): string | undefined {
  if (cmd.includes("/")) return existsSync(cmd) ? cmd : undefined;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir && existsSync(join(dir, cmd))) return join(dir, cmd);
  }
  return undefined;
}

function run(cmd: string, args: string[], log?: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: process.env });
    const tail: string[] = [];
    const take = (b: Buffer) => {
      for (const line of b.toString("utf8").split("\n")) {
        if (!line.trim()) continue;
        tail.push(line);
        if (tail.length > 15) tail.shift();
        log?.(line);
      }
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("error", (err) => reject(new Error(`${cmd} could not start: ${err.message}`)));
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${[cmd, ...args].join(" ")} failed (exit ${code}):\n${tail.join("\n")}`))));
  });
}

/** The requirement lines a virtualenv is built from (python_env.yaml first, then requirements.txt). */
export async function modelRequirements(modelPath: string): Promise<{ lines: string[]; python?: string; source: string }> {
  const envFile = join(modelPath, "python_env.yaml");
  const reqFile = join(modelPath, "requirements.txt");
  const readReq = async (file: string): Promise<string[]> => {
    const text = await readFile(file, "utf8").catch(() => {
      throw new InvalidParameterValueError(`The model's environment refers to '${file}', which does not exist.`);
    });
    const out: string[] = [];
    for (const raw of text.split(/\r?\n/)) {
      const line = raw.replace(/\s+#.*$/, "").trim();
      if (!line || line.startsWith("#")) continue;
      const include = /^-r\s+(.+)$/.exec(line);
      if (include) {
        const name = include[1].trim();
        if (name.includes("/") || name.includes("\\") || name.startsWith(".")) throw new InvalidParameterValueError(`Refusing '-r ${name}': only files beside the model's requirements are read.`);
        out.push(...(await readReq(join(modelPath, name))));
      } else out.push(line);
    }
    return out;
  };
  if (existsSync(envFile)) {
    const doc = (parse(await readFile(envFile, "utf8")) ?? {}) as { python?: unknown; build_dependencies?: unknown; dependencies?: unknown };
    const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);
    const lines: string[] = [];
    for (const dep of [...list(doc.build_dependencies), ...list(doc.dependencies)]) {
      const include = /^-r\s+(.+)$/.exec(dep.trim());
      if (include) {
        const name = include[1].trim();
        if (name.includes("/") || name.includes("\\") || name.startsWith(".")) throw new InvalidParameterValueError(`Refusing '-r ${name}' in python_env.yaml: only files beside it are read.`);
        lines.push(...(await readReq(join(modelPath, name))));
      } else lines.push(dep.trim());
    }
    return { lines, python: doc.python === undefined ? undefined : String(doc.python), source: "python_env.yaml" };
  }
  if (existsSync(reqFile)) return { lines: await readReq(reqFile), source: "requirements.txt" };
  throw new InvalidParameterValueError(
    "The model has neither python_env.yaml nor requirements.txt, so --env-manager virtualenv has nothing to build from. Use --env-manager local with an interpreter that has the model's packages.",
  );
}

function cacheRoot(opts: PythonEnvOptions): string {
  return opts.cacheDir ?? process.env.CICLO_ENV_CACHE ?? join(homedir(), ".cache", "ciclo", "envs");
}

const READY = ".ciclo-env-ready";
const building = new Map<string, Promise<string>>();

/** Builds `prefix` once: `build(tmp)` fills a private folder that is then renamed into place. */
async function buildOnce(prefix: string, build: (tmp: string) => Promise<void>): Promise<string> {
  if (existsSync(join(prefix, READY))) return prefix;
  let p = building.get(prefix);
  if (!p) {
    p = (async () => {
      const tmp = `${prefix}.building-${process.pid}-${randomBytes(4).toString("hex")}`;
      try {
        await build(tmp);
        await writeFile(join(tmp, READY), new Date().toISOString());
        try {
          await rename(tmp, prefix);
        } catch (err) {
          // Another process finished first: use its environment.
          if (!existsSync(join(prefix, READY))) throw err;
        }
        return prefix;
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    })();
    building.set(prefix, p);
    p.finally(() => building.delete(prefix)).catch(() => undefined);
  }
  return p;
}

async function virtualenv(modelPath: string, opts: PythonEnvOptions): Promise<PythonEnvironment> {
  const base = opts.python ?? "python3";
  const basePath = findOnPath(base);
  if (!basePath) throw new InvalidParameterValueError(`The Python interpreter '${base}' was not found. Give one with --python.`);
  const req = await modelRequirements(modelPath);
  const uv = findOnPath("uv");
  const hash = createHash("sha256")
    .update(JSON.stringify({ python: basePath, lines: req.lines, site: !!opts.systemSitePackages, tool: uv ? "uv" : "venv" }))
    .digest("hex")
    .slice(0, 24);
  const root = cacheRoot(opts);
  await mkdir(root, { recursive: true });
  const prefix = join(root, `venv-${hash}`);
  await buildOnce(prefix, async (tmp) => {
    opts.log?.(`building a virtualenv for the model from its ${req.source} (${req.lines.length} requirements) in ${prefix}`);
    const reqFile = `${tmp}.requirements.txt`;
    await writeFile(reqFile, req.lines.join("\n") + "\n");
    try {
      const site = opts.systemSitePackages ? ["--system-site-packages"] : [];
      const index = opts.pipIndexUrl ? ["--index-url", opts.pipIndexUrl] : [];
      if (uv) {
        await run(uv, ["venv", "--python", basePath, ...site, tmp], opts.log);
        if (req.lines.length > 0) await run(uv, ["pip", "install", "--python", join(tmp, "bin", "python"), ...index, "-r", reqFile], opts.log);
      } else {
        await run(basePath, ["-m", "venv", ...site, tmp], opts.log);
        if (req.lines.length > 0) await run(join(tmp, "bin", "python"), ["-m", "pip", "install", "--disable-pip-version-check", "--no-input", ...index, "-r", reqFile], opts.log);
      }
    } finally {
      await rm(reqFile, { force: true });
    }
  });
  return { manager: "virtualenv", python: join(prefix, "bin", "python"), env: { VIRTUAL_ENV: prefix }, prefix };
}

async function conda(modelPath: string, opts: PythonEnvOptions): Promise<PythonEnvironment> {
  const condaBin = findOnPath(process.env.CONDA_EXE ?? "conda");
  if (!condaBin) throw new InvalidParameterValueError("--env-manager conda needs the conda command, which is not on the PATH. Use --env-manager virtualenv or local.");
  const file = join(modelPath, "conda.yaml");
  if (!existsSync(file)) throw new InvalidParameterValueError("The model has no conda.yaml: use --env-manager virtualenv or local.");
  const text = await readFile(file, "utf8");
  const hash = createHash("sha256").update(text).digest("hex").slice(0, 24);
  const root = cacheRoot(opts);
  await mkdir(root, { recursive: true });
  const prefix = join(root, `conda-${hash}`);
  await buildOnce(prefix, async (tmp) => {
    opts.log?.(`building a conda environment for the model from its conda.yaml in ${prefix}`);
    await run(condaBin, ["env", "create", "--quiet", "--prefix", tmp, "--file", file], opts.log);
  });
  return { manager: "conda", python: join(prefix, "bin", "python"), env: { CONDA_PREFIX: prefix }, prefix };
}

/** The environment a model's Python workers run in (built and cached if the manager builds one). */
export async function preparePythonEnvironment(modelPath: string, opts: PythonEnvOptions = {}): Promise<PythonEnvironment> {
  const manager = opts.envManager ?? "local";
  switch (manager) {
    case "local": {
      const python = opts.python ?? "python3";
      if (!findOnPath(python)) throw new InvalidParameterValueError(`The Python interpreter '${python}' was not found. Give one with --python.`);
      return { manager, python, env: {} };
    }
    case "virtualenv":
      return virtualenv(modelPath, opts);
    case "conda":
      return conda(modelPath, opts);
    default:
      throw new InvalidParameterValueError(`Unknown environment manager '${String(manager)}': use ${ENV_MANAGERS.join(", ")}.`);
  }
}
