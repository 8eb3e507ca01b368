/**
 * Pipeline definitions: the data a `pipelines:` block of ciclo.yaml
 * becomes (see pipeline-parser.ts for the YAML and its checks). A parsed
 * definition is stored with each run as JSON, so resuming a run uses the
 * definition it started with, even if the file changed since.
 * @module
 */
import { LocatedYamlError } from "./located-yaml.js";

export const STEP_KINDS = ["run", "train", "evaluate", "register", "alias", "approve", "build-image", "push", "deploy", "sweep", "notify"] as const;
export type StepKind = (typeof STEP_KINDS)[number];

/** Where a step's process runs (`runs-on:`): the server's host, or a Kubernetes Job. */
export const STEP_EXECUTORS = ["local", "kubernetes"] as const;
export type StepExecutorName = (typeof STEP_EXECUTORS)[number];

/** The roles an `approve` step may require (`with.role`): admins only (the default), or MANAGE on the pipeline's experiment. */
export const APPROVAL_ROLES = ["admin", "manage"] as const;

/** Kinds the server does itself (no process): they ignore a pipeline's `runs-on:`. */
export const IN_SERVER_KINDS: ReadonlySet<StepKind> = new Set<StepKind>(["approve", "deploy", "notify"]);

export const INPUT_TYPES = ["string", "int", "float", "bool", "data"] as const;
export type InputType = (typeof INPUT_TYPES)[number];

export interface InputSpec {
  name: string;
  type: InputType;
  /** Absent: required. */
  default?: string | number | boolean;
  description?: string;
}

export interface StepSpec {
  id: string;
  uses: StepKind;
  /** The step's arguments; strings may hold `${{ }}` expressions. */
  with: Record<string, unknown>;
  /** The shell command of a `run:` step. */
  run?: string;
  /** Steps that must finish first (direct only; the DAG gives the rest). */
  needs: string[];
  /** A condition (no `${{ }}` needed); default `success()`. */
  if?: string;
  env: Record<string, string>;
  timeoutSeconds?: number;
  /** Attempts after the first that a failure may use. */
  retries: number;
  retryDelaySeconds: number;
  /** Reuse an identical earlier step's result (default true for kinds that have no side effects). */
  cache: boolean;
  /** Where the step's process runs: `kubernetes` (a Job in the server's namespace) or the server's host (absent). */
  runsOn?: StepExecutorName;
  /** The runner image of a `kubernetes` step (the step's `image:`, else the pipeline's). */
  image?: string;
}

/** A trigger declared under a pipeline's `on:` (registered with its project; the triggers module checks the settings). */
export interface DeclaredTrigger {
  /** `push` (a git push webhook of `provider`), `schedule` (cron), `registry` (a registry event). */
  on: "push" | "schedule" | "registry";
  /** The trigger's settings as written (`provider`, `branches`, `cron`, `model`, `event`, …). */
  config: Record<string, unknown>;
  /** `file:line:col` of the declaration, for messages. */
  at: string;
}

export interface PipelineSpec {
  name: string;
  description?: string;
  /** Experiment of the pipeline's runs (default `pipelines`). */
  experiment: string;
  inputs: InputSpec[];
  /** In declaration order. */
  steps: StepSpec[];
  /** A topological order of the step ids (declaration order among independent steps). */
  order: string[];
  /** Triggers under `on:` (absent: none). */
  triggers?: DeclaredTrigger[];
}

/** Kinds whose steps are cached by default: they only compute (their outputs are runs and files). */
export const CACHEABLE: ReadonlySet<StepKind> = new Set<StepKind>(["run", "train", "evaluate", "build-image", "sweep"]);

/** The `with:` keys each kind takes; `true` marks the required ones. */
export const STEP_ARGUMENTS: Record<StepKind, Record<string, boolean>> = {
  run: {},
  train: { entry_point: false, params: false },
  evaluate: { model: true, data: true, targets: true, model_type: true, baseline: false, thresholds: false, prediction_output: false, probability_output: false },
  register: { model: true, name: true, tags: false, description: false },
  alias: { name: true, alias: true, version: true },
  approve: { approvers: false, message: false, role: false },
  "build-image": { model: true, image: true, base: false, platform: false, insecure_registry: false },
  push: { model: true, image: true, base: false, platform: false, insecure_registry: false, registry_username: false, registry_password: false },
  deploy: { endpoint: true, deployment: true, model: true, replicas: false, strategy: false, env: false },
  sweep: {
    entry_point: false,
    space: false,
    metric: false,
    mode: false,
    trials: false,
    parallel: false,
    sampler: false,
    early_stop: false,
    seed: false,
    timeout: false,
    params: false,
  },
  notify: { url: true, message: false, signing_key: false },
};

/** A pipeline definition that cannot be used; the message starts with `file:line:col`. */
export class PipelineDefinitionError extends LocatedYamlError {
  override name = "PipelineDefinitionError";
}
