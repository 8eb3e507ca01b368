/**
 * What each step kind runs. Most kinds are a process: the project's own
 * command (`run:`, `train`), or a `ciclo` command against this server
 * (`evaluate`, `register`, `alias`, `build-image`, `push`, `sweep`): the same
 * code a user runs by hand, in its own process, so a step's timeout or cancel
 * kills it cleanly and its output is the step's log. `deploy` and `notify`
 * run in the server (see step-inline.ts); `approve` is the engine's own.
 * @module
 */
import { readFileSync } from "node:fs";
import { loadProject, projectRunEnv, resolveCommand, resolveEntryPoint, shellQuote } from "../../projects/index.js";
import { InvalidParameterValueError } from "../../shared/errors.js";
import { stringify } from "../definition/expression.js";
import type { StepKind } from "../definition/pipeline-spec.js";

export interface ProcessPlan {
  /** A shell command (`/bin/sh -c`) or an argument vector (no shell). */
  shell?: string;
  argv?: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Params to log on the step's run before it starts. */
  params?: Record<string, string>;
  /** The step's outputs from its stdout and the `CICLO_STEP_OUTPUTS` file. */
  outputs(stdout: string): Record<string, unknown>;
  /** Why the process failed, from its stdout, when the command says so there (the step's error then names it). */
  failure?(stdout: string): string | undefined;
}

export interface StepCommandContext {
  kind: StepKind;
  /** `with:` after expressions. */
  args: Record<string, unknown>;
  /** A `run:` step's command after expressions (values shell-quoted). */
  shell?: string;
  env: Record<string, string>;
  projectDir: string;
  childRunId: string;
  experimentId: string;
  trackingUri: string;
  /** How to run ciclo: `[node, bin/ciclo.js]`. */
  cli: readonly string[];
  baseEnv: NodeJS.ProcessEnv;
  /** A file the step may write `key=value` lines to: its outputs. */
  outputsFile: string;
}

const str = (v: unknown, what: string): string => {
  if (v === undefined || v === null || v === "") throw new InvalidParameterValueError(`${what} is empty.`);
  if (typeof v === "object") throw new InvalidParameterValueError(`${what} must be a text value, got ${JSON.stringify(v)}.`);
  return String(v);
};

/** `key=value` lines (GitHub's $GITHUB_OUTPUT, one line per value). */
export function readOutputsFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return {};
  }
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0 && /^[A-Za-z_][A-Za-z0-9_-]*$/.test(line.slice(0, eq))) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

function lastJson(stdout: string): Record<string, unknown> {
  const text = stdout.trim();
  try {
    const v = JSON.parse(text);
    return v && typeof v === "object" && !Array.isArray(v) ? v : { value: v };
  } catch {
    return {};
  }
}

export function stepCommand(c: StepCommandContext): ProcessPlan {
  // $CICLO runs this server's ciclo (`$CICLO artifacts log "$CICLO_RUN_ID" ./model -p model`).
  const runEnv = { ...projectRunEnv(c.baseEnv, c.childRunId, c.trackingUri, c.experimentId), CICLO: c.cli.map(shellQuote).join(" "), ...c.env, CICLO_STEP_OUTPUTS: c.outputsFile };
  // ciclo commands log where they are told; the step's run id must not make them join it.
  const cliEnv: NodeJS.ProcessEnv = { ...c.baseEnv, ...c.env, CICLO_TRACKING_URI: c.trackingUri };
  for (const k of ["CICLO_RUN_ID", "MLFLOW_RUN_ID"]) delete cliEnv[k];
  const cli = (...words: string[]): string[] => [...c.cli, ...words, "--tracking-uri", c.trackingUri];
  const a = c.args;
  const fileOutputs = () => readOutputsFile(c.outputsFile);
  switch (c.kind) {
    case "run":
      return { shell: c.shell!, cwd: c.projectDir, env: runEnv, outputs: () => ({ run_id: c.childRunId, ...fileOutputs() }) };
    case "train": {
      const project = loadProject(c.projectDir);
      const ep = resolveEntryPoint(project, a.entry_point === undefined ? "main" : str(a.entry_point, "with.entry_point"));
      const given: Record<string, string> = {};
      const params = a.params ?? {};
      if (typeof params !== "object" || Array.isArray(params)) throw new InvalidParameterValueError("with.params must be a mapping of parameter names to values.");
      for (const [k, v] of Object.entries(params as Record<string, unknown>)) given[k] = stringify(v);
      const resolved = resolveCommand(ep, given, project.dir);
      return {
        shell: resolved.command,
        cwd: project.dir,
        env: { ...runEnv, ...resolved.env },
        params: { ...resolved.declared, ...resolved.extra },
        outputs: () => ({ run_id: c.childRunId, entry_point: resolved.entryPoint, ...fileOutputs() }),
      };
    }
    case "evaluate": {
      const argv = cli("models", "evaluate", "-m", str(a.model, "with.model"), "-d", str(a.data, "with.data"), "--targets", str(a.targets, "with.targets"), "--model-type", str(a.model_type, "with.model_type"));
      if (a.baseline !== undefined && a.baseline !== null && a.baseline !== "") argv.push("--baseline", str(a.baseline, "with.baseline"));
      const thresholds = a.thresholds === undefined || a.thresholds === null ? [] : Array.isArray(a.thresholds) ? a.thresholds : [a.thresholds];
      for (const t of thresholds) argv.push("--threshold", str(t, "with.thresholds"));
      if (a.prediction_output) argv.push("--prediction-output", str(a.prediction_output, "with.prediction_output"));
      if (a.probability_output) argv.push("--probability-output", str(a.probability_output, "with.probability_output"));
      argv.push("--run-id", c.childRunId, "--json");
      return {
        argv,
        cwd: c.projectDir,
        env: cliEnv,
        outputs: (stdout) => {
          const r = lastJson(stdout) as { passed?: boolean; metrics?: Record<string, number>; baselineMetrics?: Record<string, number> };
          return { run_id: c.childRunId, passed: r.passed ?? false, metrics: r.metrics ?? {}, ...(r.baselineMetrics && { baseline_metrics: r.baselineMetrics }) };
        },
        failure: (stdout) => {
          const v = (lastJson(stdout) as { validation?: { failures?: unknown } }).validation;
          const failures = Array.isArray(v?.failures) ? v.failures.filter((f): f is string => typeof f === "string") : [];
          if (failures.length === 0) return undefined;
          return `${failures[0]}${failures.length > 1 ? ` (and ${failures.length - 1} more threshold(s) not met)` : ""}`;
        },
      };
    }
    case "register": {
      const argv = cli("models", "register", str(a.model, "with.model"), str(a.name, "with.name"), "--json");
      if (a.description) argv.push("--description", str(a.description, "with.description"));
      if (a.tags && typeof a.tags === "object") for (const [k, v] of Object.entries(a.tags)) argv.push("--tag", `${k}=${stringify(v)}`);
      return {
        argv,
        cwd: c.projectDir,
        env: cliEnv,
        outputs: (stdout) => {
          const v = lastJson(stdout) as { name?: string; version?: string };
          return { name: v.name ?? String(a.name), version: v.version ?? null, model_uri: v.version ? `models:/${v.name ?? a.name}/${v.version}` : null };
        },
      };
    }
    case "alias": {
      const name = str(a.name, "with.name");
      const alias = str(a.alias, "with.alias");
      const version = str(a.version, "with.version");
      return { argv: cli("models", "alias", name, alias, version), cwd: c.projectDir, env: cliEnv, outputs: () => ({ name, alias, version, model_uri: `models:/${name}@${alias}` }) };
    }
    case "build-image":
    case "push": {
      const image = str(a.image, "with.image");
      const argv = cli("models", "build-image", "-m", str(a.model, "with.model"), "-t", image);
      if (a.base) argv.push("--base", str(a.base, "with.base"));
      if (a.platform) argv.push("--platform", str(a.platform, "with.platform"));
      const insecure = a.insecure_registry === undefined || a.insecure_registry === null ? [] : Array.isArray(a.insecure_registry) ? a.insecure_registry : [a.insecure_registry];
      for (const h of insecure) argv.push("--insecure-registry", str(h, "with.insecure_registry"));
      if (c.kind === "push") argv.push("--push");
      return {
        argv,
        cwd: c.projectDir,
        env: cliEnv,
        outputs: (stdout) => {
          // build-image prints the image digest; with --push, the pushed reference pinned by digest.
          const last = stdout.trim().split("\n").pop()?.trim() ?? "";
          const digest = /sha256:[0-9a-f]{64}/.exec(last)?.[0] ?? null;
          return c.kind === "push" ? { image: last, digest, tag: image } : { image, digest };
        },
      };
    }
    case "sweep": {
      const argv = cli("sweep", c.projectDir, "--json", "--experiment-id", c.experimentId);
      const flag: Record<string, string> = {
        entry_point: "--entry-point",
        space: "--space",
        metric: "--metric",
        mode: "--mode",
        trials: "--trials",
        parallel: "--parallel",
        sampler: "--sampler",
        early_stop: "--early-stop",
        seed: "--seed",
        timeout: "--timeout",
      };
      for (const [k, f] of Object.entries(flag)) if (a[k] !== undefined && a[k] !== null) argv.push(f, str(a[k], `with.${k}`));
      if (a.params && typeof a.params === "object") for (const [k, v] of Object.entries(a.params)) argv.push("-P", `${k}=${stringify(v)}`);
      return {
        argv,
        cwd: c.projectDir,
        env: cliEnv,
        outputs: (stdout) => {
          const s = lastJson(stdout) as { sweepRunId?: string; status?: string; summary?: unknown };
          return { run_id: s.sweepRunId ?? null, status: s.status ?? null, summary: s.summary ?? null };
        },
      };
    }
    default:
      throw new Error(`step kind ${c.kind} does not run a process`);
  }
}

export { shellQuote };
