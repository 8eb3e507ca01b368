/**
 * `ciclo ci init`'s work, apart from its flags: which pipeline (named, or the
 * only one in the project's `ciclo.yaml`), the workflow's text, and writing
 * it without overwriting a file unless asked.
 * @module
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parse } from "yaml";
import { defaultWorkflowPath, renderWorkflow, type CiWorkflowOptions } from "./ci-workflows.js";

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const BRANCH = /^[^\u0000-\u001f ~^:?\\[]{1,256}$/;

export class CiInitError extends Error {
  constructor(message: string, readonly usage = true) {
    super(message);
  }
}

/** The pipelines a project's ciclo.yaml declares (its `pipelines:` keys), or undefined when it has no ciclo.yaml. */
export function projectPipelines(projectDir: string): string[] | undefined {
  const file = join(projectDir, "ciclo.yaml");
  if (!existsSync(file)) return undefined;
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new CiInitError(`${file} is not valid YAML: ${(err as Error).message}`, false);
  }
  const pipelines = (doc as { pipelines?: unknown } | null)?.pipelines;
  return pipelines && typeof pipelines === "object" && !Array.isArray(pipelines) ? Object.keys(pipelines) : [];
}

export function choosePipeline(named: string | undefined, projectDir: string): string {
  const declared = projectPipelines(projectDir);
  if (named !== undefined) {
    if (!NAME.test(named)) throw new CiInitError(`--pipeline '${named.slice(0, 64)}' is not a pipeline name (letters, digits, '.', '_', '-').`);
    if (declared && declared.length > 0 && !declared.includes(named)) {
      throw new CiInitError(`The project's ciclo.yaml has no pipeline '${named}'; it declares ${declared.join(", ")}.`);
    }
    return named;
  }
  if (!declared) throw new CiInitError(`No ciclo.yaml in ${projectDir}: pass --pipeline NAME, or --project DIR for the folder that has it.`);
  if (declared.length === 1) return declared[0]!;
  if (declared.length === 0) throw new CiInitError(`The project's ciclo.yaml declares no pipelines (a 'pipelines:' section); see docs/pipelines.md.`);
  throw new CiInitError(`The project's ciclo.yaml declares several pipelines (${declared.join(", ")}): choose one with --pipeline.`);
}

export interface CiInitRequest extends Omit<CiWorkflowOptions, "pipeline"> {
  pipeline?: string;
  /** The repository's root, where the workflow goes (default the current folder). */
  root: string;
  output?: string;
  force?: boolean;
}

/** Writes the workflow; resolves with its path and pipeline. Refuses to overwrite without `force`. */
export function ciInit(req: CiInitRequest): { path: string; pipeline: string; text: string } {
  const project = req.project ?? ".";
  const pipeline = choosePipeline(req.pipeline, resolve(req.root, project));
  for (const b of req.branches ?? []) if (!BRANCH.test(b)) throw new CiInitError(`--branch '${b.slice(0, 64)}' is not a branch name or glob.`);
  const text = renderWorkflow({ ...req, project, pipeline });
  const path = resolve(req.root, req.output ?? defaultWorkflowPath(req.provider, pipeline));
  if (existsSync(path) && !req.force) {
    const hint =
      req.provider === "gitlab" && !req.output
        ? " For GitLab, write it beside yours (--output .gitlab/ciclo.yml) and add `include: { local: .gitlab/ciclo.yml }` to .gitlab-ci.yml."
        : "";
    throw new CiInitError(`${path} exists; pass --force to replace it, or --output for another file.${hint}`, false);
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return { path, pipeline, text };
}
