/**
 * The RegistryStore over SQL, shared by SQLite and PostgreSQL; it shares the
 * tracking store's connection. Queries live in `registry-*.ts`; every write
 * goes through `conn.write`, in one transaction with its audit events.
 * @module
 */
import type { Actor, ModelVersion, RegisteredModel, RegistryEvent, Stage } from "../../../shared/registry-types.js";
import type { Page, Tag } from "../../../shared/types.js";
import type {
  CreateModelVersionInput,
  CreateRegisteredModelInput,
  HistoryQuery,
  RegistryStore,
  SearchModelVersionsQuery,
  SearchRegisteredModelsQuery,
} from "../../../registry/registry-store.js";
import { getHistory } from "./registry-events.js";
import { getModel, getModelRow, getVersion, latestVersionRows, loadVersions } from "./registry-loaders.js";
import * as models from "./registry-model-queries.js";
import { searchModelVersions, searchRegisteredModels } from "./registry-search.js";
import * as versions from "./registry-version-queries.js";
import type { SqlConnection } from "../sql-dialect.js";

export interface SqlRegistryStoreOptions {
  now?: () => number;
}

export class SqlRegistryStore implements RegistryStore {
  private readonly now: () => number;
  constructor(
    private readonly conn: SqlConnection,
    opts: SqlRegistryStoreOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
  }

  private get db() {
    return this.conn.db;
  }

  createRegisteredModel(input: CreateRegisteredModelInput, by: Actor): Promise<RegisteredModel> {
    return this.conn.write((trx) => models.createRegisteredModel(trx, input, by, this.now()));
  }

  getRegisteredModel(name: string): Promise<RegisteredModel> {
    return getModel(this.db, name);
  }

  renameRegisteredModel(name: string, newName: string, by: Actor): Promise<RegisteredModel> {
    return this.conn.write((trx) => models.renameRegisteredModel(trx, name, newName, by, this.now()));
  }

  updateRegisteredModel(name: string, description: string | null, by: Actor): Promise<RegisteredModel> {
    return this.conn.write((trx) => models.updateRegisteredModel(trx, name, description, by, this.now()));
  }

  deleteRegisteredModel(name: string, by: Actor): Promise<void> {
    return this.conn.write((trx) => models.deleteRegisteredModel(trx, name, by, this.now()));
  }

  searchRegisteredModels(query: SearchRegisteredModelsQuery): Promise<Page<RegisteredModel>> {
    return searchRegisteredModels(this.db, query);
  }

  async getLatestVersions(name: string, stages: Stage[]): Promise<ModelVersion[]> {
    const model = await getModelRow(this.db, name);
    return loadVersions(this.db, await latestVersionRows(this.db, [model.id], stages));
  }

  setRegisteredModelTag(name: string, tag: Tag, by: Actor): Promise<void> {
    return this.conn.write((trx) => models.setRegisteredModelTag(trx, name, tag, by, this.now()));
  }

  deleteRegisteredModelTag(name: string, key: string, by: Actor): Promise<void> {
    return this.conn.write((trx) => models.deleteRegisteredModelTag(trx, name, key, by, this.now()));
  }

  setRegisteredModelAlias(name: string, alias: string, version: string, by: Actor): Promise<void> {
    return this.conn.write((trx) => models.setRegisteredModelAlias(trx, name, alias, version, by, this.now()));
  }

  deleteRegisteredModelAlias(name: string, alias: string, by: Actor): Promise<void> {
    return this.conn.write((trx) => models.deleteRegisteredModelAlias(trx, name, alias, by, this.now()));
  }

  getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    return models.getModelVersionByAlias(this.db, name, alias);
  }

  createModelVersion(input: CreateModelVersionInput, by: Actor): Promise<ModelVersion> {
    return this.conn.write((trx) => versions.createModelVersion(trx, input, by, this.now()));
  }

  getModelVersion(name: string, version: string): Promise<ModelVersion> {
    return getVersion(this.db, name, version);
  }

  updateModelVersion(name: string, version: string, description: string | null, by: Actor): Promise<ModelVersion> {
    return this.conn.write((trx) => versions.updateModelVersion(trx, name, version, description, by, this.now()));
  }

  transitionModelVersionStage(name: string, version: string, stage: Stage, archiveExisting: boolean, by: Actor): Promise<ModelVersion> {
    return this.conn.write((trx) => versions.transitionModelVersionStage(trx, name, version, stage, archiveExisting, by, this.now()));
  }

  deleteModelVersion(name: string, version: string, by: Actor): Promise<void> {
    return this.conn.write((trx) => versions.deleteModelVersion(trx, name, version, by, this.now()));
  }

  searchModelVersions(query: SearchModelVersionsQuery): Promise<Page<ModelVersion>> {
    return searchModelVersions(this.db, query);
  }

  getModelVersionDownloadUri(name: string, version: string): Promise<string> {
    return versions.getModelVersionDownloadUri(this.db, name, version);
  }

  setModelVersionTag(name: string, version: string, tag: Tag, by: Actor): Promise<void> {
    return this.conn.write((trx) => versions.setModelVersionTag(trx, name, version, tag, by, this.now()));
  }

  deleteModelVersionTag(name: string, version: string, key: string, by: Actor): Promise<void> {
    return this.conn.write((trx) => versions.deleteModelVersionTag(trx, name, version, key, by, this.now()));
  }

  getHistory(name: string, query: HistoryQuery): Promise<Page<RegistryEvent>> {
    return getHistory(this.db, name, query);
  }
}
