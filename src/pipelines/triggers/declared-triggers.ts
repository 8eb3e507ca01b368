/**
 * Triggers declared in ciclo.yaml, under a pipeline's `on:`:
 *
 * ```yaml
 * pipelines:
 *   churn:
 *     on:
 *       push: { provider: github, branches: [main], repository: acme/churn }
 *       schedule: { cron: "0 3 * * 1", timezone: Europe/Madrid }
 *       registry: [{ model: churn-features, event: alias_set, alias: latest }]
 * ```
 *
 * Registering (or registering again) the project makes the stored triggers
 * match the file: new declarations are created, changed ones replaced,
 * removed ones deleted, unchanged ones kept (a webhook keeps its secret).
 * They are ordinary triggers named `<project>.<pipeline>.<kind>[-n]`, marked
 * as the file's (`created_by`), and run the project's source (a push runs at
 * the pushed commit). Every declaration is checked before anything changes.
 * @module
 */
import { InvalidParameterValueError, ResourceAlreadyExistsError } from "../../shared/errors.js";
import type { PipelineSpec } from "../definition/pipeline-spec.js";
import type { DeclaredTriggerChange, ProjectRegistrationHook } from "../runs/pipeline-launcher.js";
import type { TriggerService } from "./trigger-service.js";
import type { TriggerStore } from "./trigger-store.js";
import { checkConfig, checkKind, checkTriggerName, type TriggerKind, type TriggerRecord } from "./trigger-types.js";

interface Desired {
  name: string;
  kind: TriggerKind;
  pipeline: string;
  config: Record<string, unknown>;
}

/** `created_by` of the triggers a project's file declares. */
export const declaredBy = (project: string) => `ciclo.yaml of project ${project}`;

export class DeclaredTriggers implements ProjectRegistrationHook {
  constructor(
    private readonly service: TriggerService,
    private readonly store: TriggerStore,
    private readonly webhookPath: (t: TriggerRecord) => string | undefined,
  ) {}

  /** What the project's pipelines declare, checked whole; throws on the first bad declaration. */
  private desired(project: string, pipelines: PipelineSpec[]): Desired[] {
    const out: Desired[] = [];
    for (const p of pipelines) {
      const count = new Map<string, number>();
      for (const d of p.triggers ?? []) {
        const { provider, ...rest } = d.config;
        const kind = d.on === "push" ? String(provider) : d.on === "schedule" ? "cron" : "registry";
        const n = (count.get(kind) ?? 0) + 1;
        count.set(kind, n);
        try {
          const checked = checkKind(kind);
          const name = checkTriggerName(`${project}.${p.name}.${kind}${n > 1 ? `-${n}` : ""}`);
          out.push({ name, kind: checked, pipeline: p.name, config: checkConfig(checked, d.on === "push" ? rest : d.config) as unknown as Record<string, unknown> });
        } catch (err) {
          throw new InvalidParameterValueError(`${d.at}: pipeline '${p.name}': on.${d.on}: ${(err as Error).message}`);
        }
      }
    }
    return out;
  }

  async check(project: string, _source: string, pipelines: PipelineSpec[]): Promise<void> {
    for (const d of this.desired(project, pipelines)) {
      const existing = await this.store.getByName(d.name);
      if (existing && existing.createdBy !== declaredBy(project)) {
        throw new ResourceAlreadyExistsError(`Trigger '${d.name}' exists and was not declared by project ${project}'s ciclo.yaml; delete or rename it first.`);
      }
    }
  }

  async apply(project: string, source: string, pipelines: PipelineSpec[]): Promise<DeclaredTriggerChange[]> {
    const desired = this.desired(project, pipelines);
    const mine = (await this.store.list()).filter((t) => t.createdBy === declaredBy(project));
    const changes: DeclaredTriggerChange[] = [];
    for (const t of mine) {
      if (desired.some((d) => d.name === t.name)) continue;
      await this.service.delete(t.triggerId);
      changes.push({ name: t.name, kind: t.kind, pipeline: t.pipeline, change: "deleted" });
    }
    for (const d of desired) {
      const old = mine.find((t) => t.name === d.name);
      const same = old && old.kind === d.kind && old.pipeline === d.pipeline && old.project === source && JSON.stringify(old.config) === JSON.stringify(d.config);
      if (old && same) {
        changes.push({ name: d.name, kind: d.kind, pipeline: d.pipeline, change: "kept", ...(this.webhookPath(old) && { webhookPath: this.webhookPath(old) }) });
        continue;
      }
      if (old) await this.service.delete(old.triggerId);
      const { trigger, secret } = await this.service.create(declaredBy(project), { name: d.name, kind: d.kind, project: source, pipeline: d.pipeline, config: d.config }, { pipelineKnown: true });
      const path = this.webhookPath(trigger);
      changes.push({ name: d.name, kind: d.kind, pipeline: d.pipeline, change: old ? "replaced" : "created", ...(secret && { secret }), ...(path && { webhookPath: path }) });
    }
    return changes;
  }
}
