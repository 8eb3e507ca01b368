/**
 * The one codec of the registry's entities (registered models, model
 * versions, audit events): domain (camelCase) ↔ wire (MLflow's snake_case
 * model-registry JSON), used by the server's routes, the SDK and the UI.
 * Presence rules are MLflow's (its entities' `to_proto`: unset optional
 * fields and empty lists are omitted).
 * @module
 */
import type { ModelVersion, ModelVersionStatus, RegisteredModel, RegistryAction, RegistryEntity, RegistryEvent, Stage } from "../registry-types.js";
import type { WireModelVersion, WireRegisteredModel, WireRegistryEvent } from "./registry-wire.js";
import { fromWireTags } from "./tracking-codec.js";

export function toWireModelVersion(v: ModelVersion): WireModelVersion {
  const out: WireModelVersion = {
    name: v.name,
    version: v.version,
    creation_timestamp: v.creationTimestamp,
    last_updated_timestamp: v.lastUpdatedTimestamp,
    current_stage: v.currentStage,
    source: v.source,
    status: v.status,
  };
  if (v.userId !== null) out.user_id = v.userId;
  if (v.description !== null) out.description = v.description;
  if (v.runId !== null) out.run_id = v.runId;
  if (v.statusMessage) out.status_message = v.statusMessage;
  if (v.tags.length > 0) out.tags = v.tags.map((t) => ({ key: t.key, value: t.value }));
  if (v.runLink !== null) out.run_link = v.runLink;
  if (v.aliases.length > 0) out.aliases = [...v.aliases];
  if (v.modelId !== null) out.model_id = v.modelId;
  return out;
}

export function toWireRegisteredModel(m: RegisteredModel): WireRegisteredModel {
  const out: WireRegisteredModel = { name: m.name, creation_timestamp: m.creationTimestamp };
  if (m.lastUpdatedTimestamp) out.last_updated_timestamp = m.lastUpdatedTimestamp;
  if (m.description) out.description = m.description;
  if (m.latestVersions.length > 0) out.latest_versions = m.latestVersions.map(toWireModelVersion);
  if (m.tags.length > 0) out.tags = m.tags.map((t) => ({ key: t.key, value: t.value }));
  if (m.aliases.length > 0) out.aliases = m.aliases.map((a) => ({ alias: a.alias, version: a.version }));
  return out;
}

export function toWireRegistryEvent(e: RegistryEvent): WireRegistryEvent {
  return {
    event_id: e.eventId,
    timestamp: e.timestamp,
    actor: e.actor,
    name: e.name,
    version: e.version,
    entity: e.entity,
    action: e.action,
    key: e.key,
    from: e.from,
    to: e.to,
  };
}

export function fromWireModelVersion(v: WireModelVersion): ModelVersion {
  return {
    name: v.name,
    version: v.version,
    creationTimestamp: v.creation_timestamp,
    lastUpdatedTimestamp: v.last_updated_timestamp ?? v.creation_timestamp,
    userId: v.user_id ?? null,
    currentStage: v.current_stage as Stage,
    description: v.description ?? null,
    source: v.source,
    runId: v.run_id || null,
    status: v.status as ModelVersionStatus,
    statusMessage: v.status_message ?? null,
    runLink: v.run_link ?? null,
    modelId: v.model_id ?? null,
    tags: fromWireTags(v.tags),
    aliases: v.aliases ?? [],
  };
}

export function fromWireRegisteredModel(m: WireRegisteredModel): RegisteredModel {
  return {
    name: m.name,
    creationTimestamp: m.creation_timestamp,
    lastUpdatedTimestamp: m.last_updated_timestamp ?? m.creation_timestamp,
    description: m.description ?? null,
    latestVersions: (m.latest_versions ?? []).map(fromWireModelVersion),
    tags: fromWireTags(m.tags),
    aliases: m.aliases ?? [],
  };
}

export function fromWireRegistryEvent(e: WireRegistryEvent): RegistryEvent {
  return {
    eventId: e.event_id,
    timestamp: e.timestamp,
    actor: e.actor,
    name: e.name,
    version: e.version,
    entity: e.entity as RegistryEntity,
    action: e.action as RegistryAction,
    key: e.key,
    from: e.from,
    to: e.to,
  };
}
