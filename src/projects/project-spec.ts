/**
 * A project: a folder with a `ciclo.yaml` (or MLflow's `MLproject`, read
 * as-is) that declares entry points — typed parameters and a command.
 *
 * ```yaml
 * name: churn
 * env:
 *   node: npm                      # or { packageManager: pnpm }; reproduce reinstalls from the lock file
 *   python: requirements.txt       # or { requirements: requirements.txt }
 * entry_points:
 *   train:
 *     parameters:
 *       lr: { type: float, default: 0.1, description: learning rate }
 *       epochs: { type: int, default: 10 }
 *       data: path                 # shorthand "name: type": no default, so required
 *     command: node train.js --lr {lr} --epochs {epochs} --data {data}
 * ```
 *
 * Without a project file, or for an entry point not declared, a file name is
 * an entry point (`-e train.js` runs `node train.js`), as in MLflow.
 * @module
 */
import { PARAMETER_NAME, PROJECT_FILES } from "../shared/project-files.js";
import { existsSync, readFileSync } from "node:fs";
import { basename, extname, join, resolve } from "node:path";
import { parse } from "yaml";
import { shellQuote, templateNames } from "./shell-quote.js";

type ParameterType = "string" | "float" | "int" | "path" | "uri";
const PARAMETER_TYPES: readonly ParameterType[] = ["string", "float", "int", "path", "uri"];

export interface ParameterSpec {
  name: string;
  type: ParameterType;
  /** Absent: the parameter is required. */
  default?: string;
  description?: string;
}

export interface EntryPoint {
  name: string;
  parameters: ParameterSpec[];
  /** The command template; `{name}` is replaced by the quoted value. */
  command: string;
}

type PackageManager = "npm" | "pnpm";

interface ProjectEnv {
  node?: { packageManager: PackageManager };
  python?: { requirements?: string };
  /** MLproject's python_env / conda_env / docker_env, kept to report that ciclo runs in the current environment. */
  mlflowEnv?: string;
}

export interface ProjectSpec {
  name: string;
  /** Absolute path of the project folder. */
  dir: string;
  /** `ciclo.yaml`, `ciclo.yml`, `MLproject`, or undefined when the folder has none. */
  file?: string;
  entryPoints: Map<string, EntryPoint>;
  env: ProjectEnv;
}


/** A project file that cannot be used; the message says where and why. */
export class ProjectError extends Error {
  override name = "ProjectError";
}

/** Reads the project in `dir` (ciclo.yaml wins over MLproject when both exist). */
export function loadProject(dir: string): ProjectSpec {
  const abs = resolve(dir);
  if (!existsSync(abs)) throw new ProjectError(`Project folder ${abs} does not exist.`);
  const file = PROJECT_FILES.find((f) => existsSync(join(abs, f)));
  if (!file) return { name: basename(abs), dir: abs, entryPoints: new Map(), env: {} };
  return parseProject(readFileSync(join(abs, file), "utf8"), file, abs);
}

/** Parses project file text; `file` decides the dialect (MLproject: MLflow's rules, unknown keys ignored). */
export function parseProject(text: string, file: string, dir: string): ProjectSpec {
  const mlflow = file === "MLproject";
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 50 });
  } catch (err) {
    throw new ProjectError(`${file}: not valid YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) doc = {};
  const root = asObject(doc, file);
  if (!mlflow) {
    for (const key of Object.keys(root)) {
      // `sweep` and `pipelines` are read by pipelines/ (sweeps/sweep-spec.ts, definition/pipeline-parser.ts) with positions.
      if (!["name", "env", "entry_points", "sweep", "pipelines"].includes(key)) {
        throw new ProjectError(`${file}: unknown key '${key}' (expected name, env, entry_points, sweep, pipelines).`);
      }
    }
  }
  const entryPoints = new Map<string, EntryPoint>();
  const eps = root.entry_points === undefined ? {} : asObject(root.entry_points, `${file}: entry_points`);
  for (const [name, value] of Object.entries(eps)) {
    entryPoints.set(name, parseEntryPoint(name, value, file, mlflow));
  }
  return {
    name: root.name === undefined || root.name === null ? basename(dir) : String(root.name),
    dir,
    file,
    entryPoints,
    env: mlflow ? mlflowEnv(root) : parseEnv(root.env, file),
  };
}

function parseEntryPoint(name: string, value: unknown, file: string, mlflow: boolean): EntryPoint {
  const where = `${file}: entry point '${name}'`;
  const ep = asObject(value, where);
  if (typeof ep.command !== "string" || ep.command.trim() === "") throw new ProjectError(`${where} needs a command (a string).`);
  const parameters: ParameterSpec[] = [];
  const params = ep.parameters === undefined || ep.parameters === null ? {} : asObject(ep.parameters, `${where}: parameters`);
  for (const [pname, spec] of Object.entries(params)) {
    if (!PARAMETER_NAME.test(pname)) throw new ProjectError(`${where}: parameter name '${pname}' must match ${PARAMETER_NAME}.`);
    parameters.push(parseParameter(pname, spec, `${where}: parameter '${pname}'`, mlflow));
  }
  const declared = new Set(parameters.map((p) => p.name));
  for (const ref of templateNames(ep.command)) {
    if (!declared.has(ref)) throw new ProjectError(`${where}: the command refers to {${ref}}, which is not one of its parameters.`);
  }
  return { name, parameters, command: ep.command };
}


function parseParameter(name: string, spec: unknown, where: string, mlflow: boolean): ParameterSpec {
  // MLflow compat: `name: type` is a required parameter of that type; `name: {type, default}` the long form.
  const long = typeof spec === "object" && spec !== null ? asObject(spec, where) : { type: spec };
  const rawType = long.type === undefined || long.type === null ? "string" : String(long.type);
  let type: ParameterType;
  if ((PARAMETER_TYPES as readonly string[]).includes(rawType)) type = rawType as ParameterType;
  else if (mlflow) type = "string"; // MLflow compat: other types are opaque strings
  else throw new ProjectError(`${where}: type '${rawType}' is not one of ${PARAMETER_TYPES.join(", ")}.`);
  const out: ParameterSpec = { name, type };
  if (long.default !== undefined && long.default !== null) {
    if (typeof long.default === "object") throw new ProjectError(`${where}: the default must be a scalar.`);
    out.default = String(long.default);
  }
  if (typeof long.description === "string") out.description = long.description;
  return out;
}

function parseEnv(value: unknown, file: string): ProjectEnv {
  if (value === undefined || value === null) return {};
  const env = asObject(value, `${file}: env`);
  const out: ProjectEnv = {};
  for (const key of Object.keys(env)) {
    if (key !== "node" && key !== "python") throw new ProjectError(`${file}: env: unknown key '${key}' (expected node, python).`);
  }
  if (env.node !== undefined && env.node !== null) {
    const pm = typeof env.node === "object" ? asObject(env.node, `${file}: env.node`).packageManager ?? "npm" : env.node;
    if (pm !== "npm" && pm !== "pnpm") throw new ProjectError(`${file}: env.node: package manager '${String(pm)}' is not npm or pnpm.`);
    out.node = { packageManager: pm };
  }
  if (env.python !== undefined && env.python !== null) {
    const req = typeof env.python === "object" ? asObject(env.python, `${file}: env.python`).requirements : env.python;
    if (req !== undefined && typeof req !== "string") throw new ProjectError(`${file}: env.python.requirements must be a file name.`);
    out.python = req === undefined ? {} : { requirements: req };
  }
  return out;
}

function mlflowEnv(root: Record<string, unknown>): ProjectEnv {
  const kind = ["python_env", "conda_env", "docker_env"].find((k) => root[k] !== undefined);
  return kind ? { mlflowEnv: kind } : {};
}

function asObject(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new ProjectError(`${where} must be a mapping.`);
  return value as Record<string, unknown>;
}

/** Interpreters for an entry point given as a file name (MLflow: .py and .sh; ciclo adds Node files). */
const RUNNERS: Record<string, string> = { ".js": "node", ".mjs": "node", ".cjs": "node", ".py": "python", ".sh": "bash" };

/**
 * The entry point called `name`: declared in the project file, or a script
 * file of the project folder (run with node, python or bash; every `-P` goes
 * as `--key value`).
 */
export function resolveEntryPoint(project: ProjectSpec, name: string): EntryPoint {
  const declared = project.entryPoints.get(name);
  if (declared) return declared;
  const runner = RUNNERS[extname(name)];
  if (runner && existsSync(join(project.dir, name)) && !name.split(/[\\/]/).includes("..")) {
    return { name, parameters: [], command: `${runner} ${shellQuote(name).replace(/[{}]/g, (c) => c + c)}` };
  }
  const known = [...project.entryPoints.keys()];
  throw new ProjectError(
    `Entry point '${name}' is not declared in ${project.file ?? "the project (it has no ciclo.yaml or MLproject)"}` +
      ` and is not a .js/.mjs/.cjs/.py/.sh file of ${project.dir}.` +
      (known.length ? ` Entry points: ${known.join(", ")}.` : ""),
  );
}
