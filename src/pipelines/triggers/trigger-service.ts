/**
 * Triggers: defining them, and turning what they hear — a verified git push,
 * a cron tick, a registry event — into one launcher call each, recorded as a
 * firing (and on the run, through the launcher's `trigger` kind and detail).
 * @module
 */
import { randomBytes } from "node:crypto";
import { InvalidParameterValueError, MlflowError, ResourceAlreadyExistsError, ResourceDoesNotExistError } from "../../shared/errors.js";
import { nextTick } from "../../jobs/index.js";
import type { PipelineLauncher, PipelineTrigger } from "../runs/pipeline-launcher.js";
import type { TriggerStore } from "./trigger-store.js";
import {
  checkConfig,
  checkInputs,
  checkKind,
  checkPipelineName,
  checkProject,
  checkTriggerName,
  isWebhookKind,
  type CronConfig,
  type FiringRecord,
  type PushConfig,
  type RegistryConfig,
  type TriggerRecord,
  type WebhookKind,
} from "./trigger-types.js";
import { branchMatches, branchOf, readDelivery, type GitDelivery } from "./git-push-event.js";
import { verifyWebhook, type Headers } from "./webhook-signature.js";

/** The part of the auth module's secret store triggers use. */
export interface TriggerSecrets {
  create(actor: string | null, name: string, value: string, description?: string): Promise<unknown>;
  delete(name: string): Promise<void>;
  resolve(name: string): Promise<string>;
}

export interface TriggerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface TriggerServiceDeps {
  store: TriggerStore;
  secrets: TriggerSecrets;
  /** Undefined when this server runs no pipelines engine: triggers can be defined, and refuse to fire. */
  launcher?: PipelineLauncher;
  logger: TriggerLogger;
  now?: () => number;
  /** How far a provider's own timestamp (Azure DevOps' createdDate) may be from now, ms (default 10 minutes). */
  replayWindowMs?: number;
}

export interface NewTrigger {
  name: unknown;
  kind: unknown;
  project: unknown;
  pipeline: unknown;
  config?: unknown;
  inputs?: unknown;
  /** A webhook's secret; generated when absent. */
  secret?: unknown;
}

export interface WebhookAnswer {
  status: 200 | 202;
  outcome: "started" | "ignored" | "pong";
  reason?: string;
  deliveryId: string;
  runId?: string;
  pipelineRunId?: string;
}

export class ReplayedDeliveryError extends MlflowError {
  constructor(message: string) {
    super(message, "RESOURCE_CONFLICT");
  }
}

const MIN_SECRET = 16;

export class TriggerService {
  private readonly now: () => number;
  constructor(private readonly deps: TriggerServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  get store(): TriggerStore {
    return this.deps.store;
  }

  /**
   * Creates a trigger; a webhook's secret is kept in the secret store and returned here only. The pipeline must
   * exist: a project that cannot be read, or that declares no such pipeline, is refused and nothing is stored
   * (`pipelineKnown`: the caller just read it from the project's ciclo.yaml, as declared triggers do).
   */
  async create(actor: string | null, input: NewTrigger, opts: { pipelineKnown?: boolean } = {}): Promise<{ trigger: TriggerRecord; secret?: string }> {
    const name = checkTriggerName(input.name);
    const kind = checkKind(input.kind);
    const project = checkProject(input.project);
    const pipeline = checkPipelineName(input.pipeline);
    const config = checkConfig(kind, input.config);
    const inputs = checkInputs(input.inputs);
    if (input.secret !== undefined && !isWebhookKind(kind)) throw new InvalidParameterValueError(`A ${kind} trigger takes no secret.`);
    if (input.secret !== undefined && (typeof input.secret !== "string" || input.secret.length < MIN_SECRET || input.secret.length > 256)) {
      throw new InvalidParameterValueError(`A webhook secret must be ${MIN_SECRET} to 256 characters; leave it out and ciclo generates one.`);
    }
    if (await this.deps.store.getByName(name)) throw new ResourceAlreadyExistsError(`Trigger '${name}' already exists; delete it first to define it again.`);
    // Without an engine on this server the pipeline cannot be looked up; such triggers are kept and refuse to fire.
    if (!opts.pipelineKnown) await this.deps.launcher?.checkPipeline?.(project, pipeline);
    const t = this.now();
    const triggerId = randomBytes(12).toString("hex");
    const rec: TriggerRecord = {
      triggerId,
      name,
      kind,
      project,
      pipeline,
      config,
      inputs,
      secretName: null,
      nextFireAt: kind === "cron" ? (nextTick(cronSpec(config as CronConfig), t) ?? null) : null,
      createdAt: t,
      updatedAt: t,
      createdBy: actor,
    };
    let secret: string | undefined;
    if (isWebhookKind(kind)) {
      secret = (input.secret as string | undefined) ?? randomBytes(24).toString("base64url");
      rec.secretName = `pipeline-trigger.${triggerId}`;
      // The secret first: without a secrets key this refuses (FEATURE_DISABLED) before anything is stored.
      await this.deps.secrets.create(actor, rec.secretName, secret, `Webhook secret of pipeline trigger '${name}'`);
    }
    if (!(await this.deps.store.insert(rec))) {
      if (rec.secretName) await this.deps.secrets.delete(rec.secretName).catch(() => {});
      throw new ResourceAlreadyExistsError(`Trigger '${name}' already exists; delete it first to define it again.`);
    }
    return { trigger: rec, secret };
  }

  list(): Promise<TriggerRecord[]> {
    return this.deps.store.list();
  }

  async get(idOrName: string): Promise<{ trigger: TriggerRecord; firings: FiringRecord[] }> {
    const trigger = await this.find(idOrName);
    return { trigger, firings: await this.deps.store.listFirings(trigger.triggerId, 50) };
  }

  async delete(idOrName: string): Promise<void> {
    const trigger = await this.find(idOrName);
    await this.deps.store.delete(trigger.triggerId);
    if (trigger.secretName) await this.deps.secrets.delete(trigger.secretName).catch(() => {});
  }

  private async find(idOrName: string): Promise<TriggerRecord> {
    const t = (await this.deps.store.get(idOrName)) ?? (await this.deps.store.getByName(idOrName));
    if (!t) throw new ResourceDoesNotExistError(`Pipeline trigger '${idOrName.slice(0, 128)}' does not exist.`);
    return t;
  }

  /**
   * A webhook delivery: verified over its raw body with the trigger's secret
   * before anything else is read, then refused if replayed, ignored (with the
   * reason) if it is not a push to a watched branch and repository, and
   * otherwise one pipeline run.
   */
  async receiveWebhook(provider: WebhookKind, triggerId: string, headers: Headers, raw: Buffer, body: Record<string, unknown>): Promise<WebhookAnswer> {
    const trigger = await this.deps.store.get(triggerId);
    // The same answer for an unknown trigger and one of another provider: a guess learns nothing.
    if (!trigger || trigger.kind !== provider || !trigger.secretName) throw new ResourceDoesNotExistError(`No ${provider} webhook trigger '${triggerId.slice(0, 64)}'.`);
    const config = trigger.config as PushConfig;
    verifyWebhook(provider, headers, raw, await this.deps.secrets.resolve(trigger.secretName), { username: config.username });
    const d = readDelivery(provider, headers, body);
    const now = this.now();
    const window = this.deps.replayWindowMs ?? 10 * 60_000;
    if (d.sentAt !== undefined && Math.abs(now - d.sentAt) > window) {
      throw new ReplayedDeliveryError(`Delivery ${d.deliveryId} was created at ${new Date(d.sentAt).toISOString()}, more than ${Math.round(window / 60_000)} minutes from now: refused as a possible replay.`);
    }
    if (d.event === "ping") return { status: 200, outcome: "pong", deliveryId: d.deliveryId };
    const skip = ignoreReason(d, config);
    const detail = deliveryDetail(trigger, d);
    if (!(await this.deps.store.claimFiring({ triggerId, firingKey: d.deliveryId, firedAt: now, detail }))) {
      const seen = await this.deps.store.getFiring(triggerId, d.deliveryId);
      throw new ReplayedDeliveryError(`Delivery ${d.deliveryId} was already received${seen ? ` at ${new Date(seen.firedAt).toISOString()} (${seen.outcome})` : ""}; a delivery is acted on once.`);
    }
    if (skip) {
      await this.deps.store.finishFiring(triggerId, d.deliveryId, { outcome: "ignored", reason: skip });
      return { status: 202, outcome: "ignored", reason: skip, deliveryId: d.deliveryId };
    }
    let started;
    try {
      started = await this.launch(trigger, { kind: "git", detail, actor: d.actor }, projectAt(trigger.project, d.sha));
    } catch (err) {
      // Not recorded as seen: the provider's retry of this delivery may start the run once the cause is fixed.
      await this.deps.store.dropFiring(triggerId, d.deliveryId);
      throw err;
    }
    await this.deps.store.finishFiring(triggerId, d.deliveryId, { outcome: "started", runId: started.runId });
    return { status: 202, outcome: "started", deliveryId: d.deliveryId, runId: started.runId, pipelineRunId: started.pipelineRunId };
  }

  /** Fires every cron trigger whose tick has come (the job runner's minute schedule calls it); resolves with the runs started. */
  async cronTick(): Promise<number> {
    const now = this.now();
    let started = 0;
    for (const t of await this.deps.store.list("cron")) {
      if (t.nextFireAt === null || t.nextFireAt > now) continue;
      const spec = cronSpec(t.config as CronConfig);
      const next = nextTick(spec, now) ?? Number.MAX_SAFE_INTEGER;
      // Compare-and-set: of several replicas ticking, one moves the schedule and fires.
      if (!(await this.deps.store.advanceCron(t.triggerId, t.nextFireAt, next, now))) continue;
      const detail = { trigger_id: t.triggerId, trigger_name: t.name, cron: spec.cron, timezone: spec.timezone, scheduled_at: new Date(t.nextFireAt).toISOString() };
      if (await this.fire(t, `cron:${t.nextFireAt}`, { kind: "cron", detail })) started++;
    }
    return started;
  }

  /** A registry event (`registry.model_version.created`, `registry.registered_model_alias.set`, `registry.model_version.transitioned`). */
  async onRegistryEvent(e: { source: string; position: string; type: string; payload: Record<string, unknown> }): Promise<number> {
    const event = e.type === "registry.model_version.created" ? "version_created" : e.type === "registry.registered_model_alias.set" ? "alias_set" : e.type === "registry.model_version.transitioned" ? "stage_transitioned" : undefined;
    if (!event) return 0;
    const p = e.payload;
    let started = 0;
    for (const t of await this.deps.store.list("registry")) {
      const c = t.config as RegistryConfig;
      if (c.model !== p.name || c.event !== event) continue;
      if (event === "alias_set" && c.alias !== undefined && c.alias !== p.key) continue;
      if (event === "stage_transitioned" && c.stage !== undefined && c.stage.toLowerCase() !== String(p.to ?? "").toLowerCase()) continue;
      const detail: Record<string, unknown> = { trigger_id: t.triggerId, trigger_name: t.name, event, model: p.name, version: p.version };
      if (event === "alias_set") detail.alias = p.key;
      if (event === "stage_transitioned") Object.assign(detail, { from_stage: p.from, to_stage: p.to });
      const actor = typeof p.actor === "string" && p.actor !== "" ? p.actor : undefined;
      if (await this.fire(t, `${e.source}:${e.position}`, { kind: "registry", detail, actor })) started++;
    }
    return started;
  }

  /** One firing of a cron or registry trigger: claimed once, its outcome recorded; a launch error is recorded, not retried. */
  private async fire(t: TriggerRecord, key: string, trigger: PipelineTrigger): Promise<boolean> {
    if (!(await this.deps.store.claimFiring({ triggerId: t.triggerId, firingKey: key, firedAt: this.now(), detail: trigger.detail ?? {} }))) return false;
    try {
      const r = await this.launch(t, trigger, t.project);
      await this.deps.store.finishFiring(t.triggerId, key, { outcome: "started", runId: r.runId });
      this.deps.logger.info({ trigger: t.name, runId: r.runId, kind: trigger.kind }, "pipeline trigger started a run");
      return true;
    } catch (err) {
      const reason = (err as Error).message.slice(0, 2000);
      await this.deps.store.finishFiring(t.triggerId, key, { outcome: "failed", reason });
      this.deps.logger.warn({ trigger: t.name, err }, "pipeline trigger could not start its pipeline");
      return false;
    }
  }

  private launch(t: TriggerRecord, trigger: PipelineTrigger, project: string) {
    const launcher = this.deps.launcher;
    if (!launcher) throw new MlflowError("This server runs no pipelines engine, so triggers cannot start runs.", "FEATURE_DISABLED");
    return launcher.launch({ project, pipeline: t.pipeline, inputs: t.inputs, trigger });
  }
}

function cronSpec(c: CronConfig): { cron: string; timezone: string } {
  return { cron: c.cron, timezone: c.timezone ?? "UTC" };
}

function ignoreReason(d: GitDelivery, c: PushConfig): string | undefined {
  if (d.event !== "push") return `'${d.eventName || "unnamed"}' events do not start pipelines; this trigger acts on pushes.`;
  const branch = branchOf(d.ref);
  if (!branch) return `${d.ref ?? "The ref"} is not a branch; this trigger acts on branch pushes.`;
  if (!d.sha) return `Branch ${branch} was deleted; nothing to run.`;
  if (c.repository !== undefined && c.repository.toLowerCase() !== (d.repository ?? "").toLowerCase()) {
    return `Repository ${d.repository ?? "(unnamed)"} is not ${c.repository}, the one this trigger watches.`;
  }
  if (c.branches && !c.branches.some((p) => branchMatches(p, branch))) return `Branch ${branch} is not among the trigger's branches (${c.branches.join(", ")}).`;
  return undefined;
}

function deliveryDetail(t: TriggerRecord, d: GitDelivery): Record<string, unknown> {
  const out: Record<string, unknown> = { trigger_id: t.triggerId, trigger_name: t.name, provider: d.provider, delivery_id: d.deliveryId, event: d.eventName };
  if (d.repository) out.repository = d.repository;
  if (d.ref) out.ref = d.ref;
  if (d.sha) out.commit = d.sha;
  if (d.actor) out.pusher = d.actor;
  return out;
}

/**
 * A git URI project without a ref runs at the pushed commit (`...repo.git@<sha>`, the engine's
 * `<url>[#<subdir>][@<ref>]`); a folder on the server's disk, a registered project, or a URI pinned to a ref
 * runs as defined.
 */
export function projectAt(project: string, sha: string | undefined): string {
  if (!sha || !/^[a-z][a-z0-9+.-]*:\/\//i.test(project)) return project;
  const tail = project.slice(project.lastIndexOf("/") + 1);
  return tail.includes("@") ? project : `${project}@${sha}`;
}
