/**
 * Pipeline triggers: what starts which pipeline of which project without a
 * person asking. A trigger is defined through the API (`POST
 * /api/ciclo/v1/pipelines/triggers/create`, or `ciclo pipelines triggers
 * create`) and has one kind:
 * - `github`, `gitlab`, `azure`: a git push webhook from that provider,
 *   verified with the trigger's secret, filtered by branch and repository;
 * - `cron`: a schedule, fired by the job runner's minute tick;
 * - `registry`: a registry event (a version created, an alias set, a stage
 *   transition) of one registered model.
 * Monitor alerts reach the engine through the job monitoring enqueues
 * (`pipelines.run`), not through a stored trigger.
 * @module
 */
import { InvalidParameterValueError } from "../../shared/errors.js";
import { validateCron } from "../../jobs/index.js";

export const WEBHOOK_KINDS = ["github", "gitlab", "azure"] as const;
export type WebhookKind = (typeof WEBHOOK_KINDS)[number];
export const TRIGGER_KINDS = [...WEBHOOK_KINDS, "cron", "registry"] as const;
export type TriggerKind = (typeof TRIGGER_KINDS)[number];

export interface PushConfig {
  /** Branch names or globs (`release/*`); every branch when absent. */
  branches?: string[];
  /** The repository as the provider names it (`org/repo`, `group/sub/repo`, an Azure repo name); any when absent. */
  repository?: string;
  /** Azure DevOps basic authentication: the user name the service hook sends (the password is the secret). */
  username?: string;
}

export interface CronConfig {
  cron: string;
  /** IANA zone, default UTC. */
  timezone?: string;
}

export const REGISTRY_EVENTS = ["version_created", "alias_set", "stage_transitioned"] as const;
export type RegistryEventName = (typeof REGISTRY_EVENTS)[number];

export interface RegistryConfig {
  model: string;
  event: RegistryEventName;
  /** For `alias_set`: only this alias (any when absent). */
  alias?: string;
  /** For `stage_transitioned`: only into this stage (any when absent). */
  stage?: string;
}

export type TriggerConfig = PushConfig | CronConfig | RegistryConfig;

export interface TriggerRecord {
  triggerId: string;
  name: string;
  kind: TriggerKind;
  /** What the launcher gets: a project folder on the server's disk or a git URI. */
  project: string;
  pipeline: string;
  config: TriggerConfig;
  /** Fixed values for the pipeline's inputs. */
  inputs: Record<string, unknown>;
  /** The secret store's name of a webhook's secret. */
  secretName: string | null;
  /** For cron triggers: the next tick, epoch ms. */
  nextFireAt: number | null;
  createdAt: number;
  updatedAt: number;
  createdBy: string | null;
}

export type FiringOutcome = "pending" | "started" | "ignored" | "failed";

export interface FiringRecord {
  triggerId: string;
  /** Unique per trigger: the delivery id, the cron tick, the event's position. */
  firingKey: string;
  firedAt: number;
  outcome: FiringOutcome;
  reason: string | null;
  detail: Record<string, unknown>;
  runId: string | null;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const MAX_PROJECT = 2048;

function bad(message: string): never {
  throw new InvalidParameterValueError(message);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function optString(o: Record<string, unknown>, key: string, max = 256): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== "string" || v === "" || v.length > max) bad(`config.${key} must be a non-empty string of at most ${max} characters.`);
  return v;
}

export function checkTriggerName(name: unknown): string {
  if (typeof name !== "string" || !NAME.test(name)) bad(`Invalid trigger name '${String(name).slice(0, 64)}': a letter or digit, then letters, digits, '.', '_', '-' (at most 128).`);
  return name;
}

export function checkKind(kind: unknown): TriggerKind {
  if (!TRIGGER_KINDS.includes(kind as TriggerKind)) bad(`Invalid trigger kind '${String(kind).slice(0, 32)}': one of ${TRIGGER_KINDS.join(", ")}.`);
  return kind as TriggerKind;
}

export function checkProject(project: unknown): string {
  if (typeof project !== "string" || project.trim() === "" || project.length > MAX_PROJECT) bad(`project must be a project folder or git URI of at most ${MAX_PROJECT} characters.`);
  if (/[\u0000-\u001f]/.test(project)) bad("project may not contain control characters.");
  return project;
}

export function checkPipelineName(pipeline: unknown): string {
  if (typeof pipeline !== "string" || !NAME.test(pipeline)) bad(`Invalid pipeline name '${String(pipeline).slice(0, 64)}'.`);
  return pipeline;
}

export function checkInputs(inputs: unknown): Record<string, unknown> {
  if (inputs === undefined) return {};
  if (!isObject(inputs)) bad("inputs must be an object of input names to values.");
  if (JSON.stringify(inputs).length > 64 * 1024) bad("inputs must be at most 64 KiB as JSON.");
  return inputs;
}

/** The kind's settings, checked whole (unknown keys refused, so a typo is not silently a filter that matches all). */
export function checkConfig(kind: TriggerKind, config: unknown): TriggerConfig {
  const c = config === undefined ? {} : config;
  if (!isObject(c)) bad("config must be an object.");
  const allowed: Record<TriggerKind, string[]> = {
    github: ["branches", "repository"],
    gitlab: ["branches", "repository"],
    azure: ["branches", "repository", "username"],
    cron: ["cron", "timezone"],
    registry: ["model", "event", "alias", "stage"],
  };
  for (const k of Object.keys(c)) if (!allowed[kind].includes(k)) bad(`config.${k} is not a setting of a ${kind} trigger; it takes ${allowed[kind].join(", ")}.`);
  switch (kind) {
    case "github":
    case "gitlab":
    case "azure": {
      const out: PushConfig = {};
      if (c.branches !== undefined) {
        if (!Array.isArray(c.branches) || c.branches.length === 0 || c.branches.length > 50) bad("config.branches must be a list of 1 to 50 branch names or globs.");
        for (const b of c.branches) if (typeof b !== "string" || b === "" || b.length > 256 || /[\u0000-\u001f ~^:?\\[]/.test(b)) bad(`config.branches: '${String(b).slice(0, 64)}' is not a branch name or glob.`);
        out.branches = c.branches as string[];
      }
      const repository = optString(c, "repository", 512);
      if (repository) out.repository = repository;
      const username = kind === "azure" ? optString(c, "username") : undefined;
      if (username) out.username = username;
      return out;
    }
    case "cron": {
      const cron = optString(c, "cron", 128);
      if (!cron) bad("A cron trigger needs config.cron, e.g. \"0 3 * * *\" (03:00 UTC daily).");
      const timezone = optString(c, "timezone", 64) ?? "UTC";
      validateCron({ cron, timezone });
      return { cron, timezone };
    }
    case "registry": {
      const model = optString(c, "model", 256);
      if (!model) bad("A registry trigger needs config.model, the registered model's name.");
      if (!REGISTRY_EVENTS.includes(c.event as RegistryEventName)) bad(`config.event must be one of ${REGISTRY_EVENTS.join(", ")}.`);
      const event = c.event as RegistryEventName;
      const alias = optString(c, "alias");
      const stage = optString(c, "stage", 64);
      if (alias && event !== "alias_set") bad("config.alias applies to the alias_set event only.");
      if (stage && event !== "stage_transitioned") bad("config.stage applies to the stage_transitioned event only.");
      return { model, event, ...(alias ? { alias } : {}), ...(stage ? { stage } : {}) };
    }
  }
}

export const isWebhookKind = (k: TriggerKind): k is WebhookKind => (WEBHOOK_KINDS as readonly string[]).includes(k);
