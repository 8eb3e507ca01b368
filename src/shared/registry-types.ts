/**
 * Domain types of the register station: registered models, model versions,
 * aliases, stages and the audit history (camelCase; the registry presenter
 * turns them into MLflow's snake_case JSON).
 * @module
 */
import type { Tag } from "./types.js";

/** MLflow's model-version stages (deprecated by MLflow since 2.9 in favour of aliases, still served). */
export const STAGES = ["None", "Staging", "Production", "Archived"] as const;
export type Stage = (typeof STAGES)[number];
/** The stages `archive_existing_versions` applies to (MLflow's DEFAULT_STAGES_FOR_GET_LATEST_VERSIONS). */
export const ACTIVE_STAGES: readonly Stage[] = ["Staging", "Production"];

const MODEL_VERSION_STATUSES = ["PENDING_REGISTRATION", "FAILED_REGISTRATION", "READY"] as const;
export type ModelVersionStatus = (typeof MODEL_VERSION_STATUSES)[number];

/** The tag MLflow 3.x puts on prompts, which live in the same tables as models. */
export const IS_PROMPT_TAG = "mlflow.prompt.is_prompt";

export interface RegisteredModelAlias {
  alias: string;
  version: string;
}

export interface ModelVersion {
  name: string;
  /** A decimal string, as on the wire. */
  version: string;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
  userId: string | null;
  currentStage: Stage;
  description: string | null;
  source: string;
  runId: string | null;
  status: ModelVersionStatus;
  statusMessage: string | null;
  runLink: string | null;
  /** MLflow 3.x: the logged model this version was registered from. */
  modelId: string | null;
  tags: Tag[];
  aliases: string[];
}

export interface RegisteredModel {
  name: string;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
  description: string | null;
  /** The highest READY version in each stage. */
  latestVersions: ModelVersion[];
  tags: Tag[];
  aliases: RegisteredModelAlias[];
}

export type RegistryEntity =
  | "registered_model"
  | "model_version"
  | "registered_model_tag"
  | "model_version_tag"
  | "registered_model_alias";

export type RegistryAction = "created" | "renamed" | "updated" | "transitioned" | "set" | "deleted";

/** One append-only audit record: who changed what, when, from which value to which. */
export interface RegistryEvent {
  eventId: string;
  timestamp: number;
  /** The user the request was made as; null when the server runs without authentication. */
  actor: string | null;
  /** The registered model's name when the event happened. */
  name: string;
  version: string | null;
  entity: RegistryEntity;
  action: RegistryAction;
  /** The tag key, alias name or field (`description`, `current_stage`, `name`) the event is about. */
  key: string | null;
  from: string | null;
  to: string | null;
}

/** Who performs a mutation (recorded in the audit history). */
export type Actor = string | null;
