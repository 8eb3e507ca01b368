/**
 * Wire shapes of the trigger API (snake_case, like the rest of ciclo's API).
 * @module
 */
import Type from "typebox";
import { CICLO_API } from "../../../shared/api-paths.js";
import type { FiringRecord, TriggerRecord } from "../trigger-types.js";
import type { WebhookAnswer } from "../trigger-service.js";

const Json = Type.Record(Type.String(), Type.Unknown());

export const TriggerOut = Type.Object({
  trigger_id: Type.String(),
  name: Type.String(),
  kind: Type.String(),
  project: Type.String(),
  pipeline: Type.String(),
  config: Json,
  inputs: Json,
  /** Where the provider sends a webhook trigger's deliveries (the path under the server's address). */
  webhook_path: Type.Optional(Type.String()),
  next_fire_at: Type.Optional(Type.Integer()),
  created_at: Type.Integer(),
  updated_at: Type.Integer(),
  created_by: Type.Optional(Type.String()),
});

export const FiringOut = Type.Object({
  firing_key: Type.String(),
  fired_at: Type.Integer(),
  outcome: Type.String(),
  reason: Type.Optional(Type.String()),
  detail: Json,
  run_id: Type.Optional(Type.String()),
});

export const CreateTriggerBody = Type.Object(
  {
    name: Type.String({ maxLength: 128 }),
    kind: Type.String({ maxLength: 16 }),
    project: Type.String({ maxLength: 2048 }),
    pipeline: Type.String({ maxLength: 128 }),
    config: Type.Optional(Json),
    inputs: Type.Optional(Json),
    secret: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: false },
);

export const CreateTriggerResponse = Type.Object({
  trigger: TriggerOut,
  /** A webhook trigger's secret, shown this once: paste it into the provider's webhook settings. */
  secret: Type.Optional(Type.String()),
});

export const TriggerRef = Type.Object({ trigger_id: Type.String({ maxLength: 128 }) });

export const WebhookResponse = Type.Object({
  outcome: Type.String(),
  delivery_id: Type.String(),
  reason: Type.Optional(Type.String()),
  run_id: Type.Optional(Type.String()),
  pipeline_run_id: Type.Optional(Type.String()),
});

export const WEBHOOK_PREFIX = "/pipelines/webhooks";

export function triggerToWire(t: TriggerRecord) {
  return {
    trigger_id: t.triggerId,
    name: t.name,
    kind: t.kind,
    project: t.project,
    pipeline: t.pipeline,
    config: t.config as unknown as Record<string, unknown>,
    inputs: t.inputs,
    webhook_path: t.secretName ? `${CICLO_API}${WEBHOOK_PREFIX}/${t.kind}/${t.triggerId}` : undefined,
    next_fire_at: t.nextFireAt ?? undefined,
    created_at: t.createdAt,
    updated_at: t.updatedAt,
    created_by: t.createdBy ?? undefined,
  };
}

export function firingToWire(f: FiringRecord) {
  return { firing_key: f.firingKey, fired_at: f.firedAt, outcome: f.outcome, reason: f.reason ?? undefined, detail: f.detail, run_id: f.runId ?? undefined };
}

export function answerToWire(a: WebhookAnswer) {
  return { outcome: a.outcome, delivery_id: a.deliveryId, reason: a.reason, run_id: a.runId, pipeline_run_id: a.pipelineRunId };
}
