/**
 * What `ciclo reproduce` reads from a run before touching anything: the
 * commit and where to fetch it, the project folder inside the repository,
 * the entry point and parameters, the recorded patch and dependency files.
 * Everything comes from the tags written by `ciclo run` (project-tags.ts)
 * and the SDK's context capture (`CONTEXT_TAGS`, `CONTEXT_ARTIFACTS`); a run
 * missing what reproduction needs is refused with what is missing and why.
 * @module
 */
import { posix } from "node:path";
import { CONTEXT_ARTIFACTS, CONTEXT_TAGS, ENV_FILES, type EnvFileKind } from "../sdk/context-capture.js";
import type { Run } from "../tracking/index.js";
import { PARAMETER_NAME } from "../shared/project-files.js";
import { PROJECT_TAGS } from "./project-tags.js";

export class ReproduceError extends Error {
  override name = "ReproduceError";
}

export interface RecordedFile {
  kind: EnvFileKind;
  /** Where it was, relative to the git root (POSIX). */
  path: string;
  /** Where the copy is among the run's artifacts. */
  artifact: string;
  sha256?: string;
}

export interface ReproducePlan {
  runId: string;
  experimentId: string;
  runName: string;
  commit: string;
  /** The recorded remote (credentials were stripped when recorded). */
  repoUrl?: string;
  /** The work tree the run came from, as a local clone source. */
  localRepo?: string;
  /** The project folder relative to the git root ("" at the root). */
  subdir: string;
  /** The project entry point (`ciclo run` / `mlflow run`), or — for a script run with the SDK — the script. */
  entryPoint: string;
  params: Record<string, string>;
  /** A script run (no project): its command line as recorded by the SDK's capture, run as is. */
  argv?: string[];
  patch?: { artifact: string; sha256?: string };
  files: RecordedFile[];
  /** Untracked files at the time of the run: not in the patch, so not restored. */
  untracked: number;
  /** Things recorded that reproduction cannot use (said to the user, not fatal). */
  notes: string[];
}

const COMMIT = /^[0-9a-f]{7,64}$/;

export function planReproduction(run: Run): ReproducePlan {
  const tags = new Map(run.data.tags.map((t) => [t.key, t.value]));
  const id = run.info.runId;
  const commit = tags.get(CONTEXT_TAGS.gitCommit);
  if (!commit) {
    throw new ReproduceError(`Run ${id} has no recorded git commit (${CONTEXT_TAGS.gitCommit}): it was not started from a git repository, so there is no code to check out.`);
  }
  if (!COMMIT.test(commit)) throw new ReproduceError(`Run ${id}: the recorded commit '${commit}' is not a git commit id.`);
  const projectEntry = tags.get(PROJECT_TAGS.entryPoint);
  const argv = projectEntry ? undefined : recordedArgv(tags, id);
  const entryPoint = projectEntry ?? tags.get(CONTEXT_TAGS.entryPoint) ?? argv![0];
  const subdir = projectSubdir(tags, id);
  const notes: string[] = [];
  return {
    runId: id,
    experimentId: run.info.experimentId,
    runName: run.info.runName,
    commit,
    repoUrl: tags.get(CONTEXT_TAGS.gitRepoUrl) ?? tags.get(CONTEXT_TAGS.gitRepoUrlLegacy),
    localRepo: tags.get(PROJECT_TAGS.gitRoot),
    subdir,
    entryPoint,
    params: argv ? {} : recordedParams(run, tags),
    argv,
    patch: tags.get(CONTEXT_TAGS.gitPatch) ? { artifact: CONTEXT_ARTIFACTS.gitDiff, sha256: tags.get(CONTEXT_TAGS.gitPatchSha256) } : undefined,
    files: recordedFiles(tags, id, notes),
    notes,
    untracked: Number(tags.get(CONTEXT_TAGS.gitUntracked) ?? 0) || 0,
  };
}

/**
 * The command line of a run started by a script with the SDK (`node
 * train.js --lr 0.1`): `ciclo.source.argv`, a JSON array of words.
 */
function recordedArgv(tags: Map<string, string>, id: string): string[] {
  const json = tags.get(CONTEXT_TAGS.argv);
  if (!json) {
    throw new ReproduceError(
      `Run ${id} recorded neither a project entry point (${PROJECT_TAGS.entryPoint}, set by \`ciclo run\` / \`mlflow run\`) nor a command line (${CONTEXT_TAGS.argv}, set by the SDK): there is nothing to re-run.`,
    );
  }
  let words: unknown;
  try {
    words = JSON.parse(json);
  } catch {
    words = undefined;
  }
  if (!Array.isArray(words) || words.length === 0 || !words.every((w) => typeof w === "string" && !w.includes("\0"))) {
    throw new ReproduceError(`Run ${id}: the ${CONTEXT_TAGS.argv} tag is not a JSON array of words (it may have been cut at the tag length limit).`);
  }
  return words as string[];
}

/** A relative path inside the checkout: no absolute paths, no `..` (the tags come from a server). */
function insideRepo(p: string, what: string, id: string): string {
  const norm = posix.normalize(p.replaceAll("\\", "/"));
  if (norm === ".") return "";
  if (posix.isAbsolute(norm) || norm === ".." || norm.startsWith("../")) {
    throw new ReproduceError(`Run ${id}: the recorded ${what} '${p}' is not a path inside the repository.`);
  }
  return norm.replace(/\/$/, "");
}

function projectSubdir(tags: Map<string, string>, id: string): string {
  // MLflow compat: `mlflow run https://host/repo#examples/x` records the subfolder after '#' in mlflow.source.name.
  const fragment = /#(.+)$/.exec(tags.get(CONTEXT_TAGS.sourceName) ?? "")?.[1];
  const sub = tags.get(PROJECT_TAGS.subdir) ?? tags.get(CONTEXT_TAGS.workingDir) ?? fragment ?? "";
  return insideRepo(sub, "project folder", id);
}

/**
 * The parameters passed: `ciclo run` records them as one JSON tag. A run made
 * by `mlflow run` has only its params (declared ones and extras alike).
 */
function recordedParams(run: Run, tags: Map<string, string>): Record<string, string> {
  const json = tags.get(PROJECT_TAGS.parameters);
  if (json === undefined) return Object.fromEntries(run.data.params.map((p) => [p.key, p.value]));
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new ReproduceError(`Run ${run.info.runId}: the ${PROJECT_TAGS.parameters} tag is not JSON.`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ReproduceError(`Run ${run.info.runId}: the ${PROJECT_TAGS.parameters} tag is not a JSON object.`);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (!PARAMETER_NAME.test(k) || typeof v !== "string") throw new ReproduceError(`Run ${run.info.runId}: recorded parameter '${k}' is not a name with a string value.`);
    out[k] = v;
  }
  return out;
}

function recordedFiles(tags: Map<string, string>, id: string, notes: string[]): RecordedFile[] {
  const out: RecordedFile[] = [];
  for (const kind of Object.keys(ENV_FILES) as EnvFileKind[]) {
    const path = tags.get(`ciclo.env.${kind}`);
    if (!path) continue;
    if (posix.isAbsolute(path) || /^[A-Za-z]:[\\/]/.test(path)) {
      notes.push(`The recorded ${kind} file ${path} was outside the repository; it is not restored.`);
      continue;
    }
    const rel = insideRepo(path, `${kind} file`, id);
    const name = posix.basename(rel);
    if (!(ENV_FILES[kind] as readonly string[]).includes(name)) throw new ReproduceError(`Run ${id}: the recorded ${kind} file '${path}' has an unexpected name.`);
    out.push({ kind, path: rel, artifact: `${CONTEXT_ARTIFACTS.envDir}/${name}`, sha256: tags.get(`ciclo.env.${kind}.sha256`) });
  }
  return out;
}
