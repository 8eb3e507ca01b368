/**
 * The model registry metadata store: registered models, model versions, their
 * tags and aliases, and the append-only audit history. One interface, every
 * method required; SQLite and PostgreSQL implement it with the same SQL
 * (store/sql/registry-*.ts), and the contract suite runs against both.
 *
 * Semantics follow MLflow's SqlAlchemyStore for the model registry, except
 * where noted. Every mutation records its audit event(s) in the same
 * transaction, so the history never disagrees with the data. Methods throw
 * MlflowErrors with MLflow's codes and messages; they never know about HTTP.
 * Inputs were validated by the registry services (names, tags, aliases,
 * stages, sources).
 * @module
 */
import type { Actor, ModelVersion, RegisteredModel, RegistryEvent, Stage } from "../shared/registry-types.js";
import type { FilterNode, OrderByClause } from "../shared/filter/filter-ast.js";
import type { Page, Tag } from "../shared/types.js";

export interface CreateRegisteredModelInput {
  name: string;
  description: string | null;
  tags: Tag[];
}

export interface CreateModelVersionInput {
  name: string;
  /** The source URI exactly as the client sent it (already verified). */
  source: string;
  /** Where the artifacts really are, when it differs from `source` (`runs:/`, `models:/` sources). */
  storageLocation: string | null;
  runId: string | null;
  runLink: string | null;
  description: string | null;
  modelId: string | null;
  tags: Tag[];
}

export interface SearchRegisteredModelsQuery {
  filter?: FilterNode;
  /** Leave out prompts (models tagged `mlflow.prompt.is_prompt = 'true'`), as MLflow does by default. */
  excludePrompts: boolean;
  orderBy: OrderByClause[];
  maxResults: number;
  pageToken?: string;
}

export interface SearchModelVersionsQuery {
  filter?: FilterNode;
  /** Leave out versions of prompts (a version of the model tagged `mlflow.prompt.is_prompt = 'true'`). */
  excludePrompts: boolean;
  orderBy: OrderByClause[];
  maxResults: number;
  pageToken?: string;
}

export interface HistoryQuery {
  maxResults: number;
  pageToken?: string;
}

export interface RegistryStore {
  /** RESOURCE_ALREADY_EXISTS (`Registered Model (name=X) already exists.`) when the name is taken. */
  createRegisteredModel(input: CreateRegisteredModelInput, by: Actor): Promise<RegisteredModel>;
  /** With `latestVersions` (highest READY version per stage), tags and aliases; RESOURCE_DOES_NOT_EXIST when unknown. */
  getRegisteredModel(name: string): Promise<RegisteredModel>;
  /** Renames the model; its versions, tags, aliases and history follow. RESOURCE_ALREADY_EXISTS when `newName` is taken. */
  renameRegisteredModel(name: string, newName: string, by: Actor): Promise<RegisteredModel>;
  /** Sets the description (null clears it) and bumps last_updated_timestamp. */
  updateRegisteredModel(name: string, description: string | null, by: Actor): Promise<RegisteredModel>;
  /** Deletes the model with its versions, tags and aliases (the audit history stays). */
  deleteRegisteredModel(name: string, by: Actor): Promise<void>;
  /** Default order: name ASC; ties always break on name. Keyset-paged behind an opaque token. */
  searchRegisteredModels(query: SearchRegisteredModelsQuery): Promise<Page<RegisteredModel>>;
  /** Highest READY version in each of `stages` (all stages when empty), in version order, with aliases. */
  getLatestVersions(name: string, stages: Stage[]): Promise<ModelVersion[]>;
  /** Upserts a tag (MLflow does not bump last_updated_timestamp for tags). */
  setRegisteredModelTag(name: string, tag: Tag, by: Actor): Promise<void>;
  /** MLflow compat: deleting an absent tag of an existing model succeeds and changes nothing. */
  deleteRegisteredModelTag(name: string, key: string, by: Actor): Promise<void>;
  /** Points `alias` at `version` (moving it if it pointed elsewhere); the version must exist. */
  setRegisteredModelAlias(name: string, alias: string, version: string, by: Actor): Promise<void>;
  /** MLflow compat: deleting an absent alias of an existing model succeeds. */
  deleteRegisteredModelAlias(name: string, alias: string, by: Actor): Promise<void>;
  /** INVALID_PARAMETER_VALUE `Registered model alias X not found.` when the alias is not set (MLflow's code). */
  getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion>;

  /**
   * Creates the model's next version, READY, in stage None. Version numbers
   * come from a per-model counter, so a number is never reused after a
   * deletion. Bumps the model's last_updated_timestamp.
   */
  createModelVersion(input: CreateModelVersionInput, by: Actor): Promise<ModelVersion>;
  /** `Model Version (name=X, version=N) not found` (RESOURCE_DOES_NOT_EXIST) when unknown. */
  getModelVersion(name: string, version: string): Promise<ModelVersion>;
  updateModelVersion(name: string, version: string, description: string | null, by: Actor): Promise<ModelVersion>;
  /**
   * Moves a version to `stage`. With `archiveExisting`, the model's other
   * versions in that stage move to Archived in the same transaction (the
   * service allows it only for Staging and Production).
   */
  transitionModelVersionStage(name: string, version: string, stage: Stage, archiveExisting: boolean, by: Actor): Promise<ModelVersion>;
  /** Deletes a version with its tags; aliases pointing at it are removed (each one audited). */
  deleteModelVersion(name: string, version: string, by: Actor): Promise<void>;
  /** Default order: last_updated_timestamp DESC, name ASC, version DESC; ties break on (name, version). */
  searchModelVersions(query: SearchModelVersionsQuery): Promise<Page<ModelVersion>>;
  /** The storage location recorded at creation, else the source. */
  getModelVersionDownloadUri(name: string, version: string): Promise<string>;
  setModelVersionTag(name: string, version: string, tag: Tag, by: Actor): Promise<void>;
  /** MLflow compat: deleting an absent tag of an existing version succeeds. */
  deleteModelVersionTag(name: string, version: string, key: string, by: Actor): Promise<void>;

  /**
   * Audit events, newest first. `name` selects the model now bearing it (its
   * events before a rename included) or, when none does, the deleted models
   * that bore it. RESOURCE_DOES_NOT_EXIST when no model ever had the name.
   */
  getHistory(name: string, query: HistoryQuery): Promise<Page<RegistryEvent>>;
}
