/**
 * The LoggedModelStore over SQL, shared by SQLite and PostgreSQL. It shares
 * the tracking store's connection (the same database; the tracking store
 * closes it). Queries live in `logged-model-*.ts`.
 * @module
 */
import type { CreateLoggedModelInput, LoggedModel, LoggedModelStatus } from "../../../logged-models/types.js";
import type { RunModelInput, RunModelOutput, Param } from "../../../shared/tracking-types.js";
import type { Page, Tag } from "../../../shared/types.js";
import type { LoggedModelStore, SearchLoggedModelsQuery } from "../../../logged-models/logged-model-store.js";
import * as q from "./logged-model-queries.js";
import { logOutputs } from "../tracking/run-model-links.js";
import { searchLoggedModels } from "./logged-model-search.js";
import type { SqlConnection } from "../sql-dialect.js";
import { loggedModelNotFound } from "../sql-errors.js";

export interface SqlLoggedModelStoreOptions {
  now?: () => number;
}

export class SqlLoggedModelStore implements LoggedModelStore {
  private readonly now: () => number;
  constructor(
    private readonly conn: SqlConnection,
    opts: SqlLoggedModelStoreOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
  }

  async createLoggedModel(input: CreateLoggedModelInput): Promise<LoggedModel> {
    const row = await this.conn.write((trx) => q.createLoggedModel(trx, input, this.now()));
    return (await q.loadLoggedModels(this.conn.db, [row]))[0];
  }

  async getLoggedModel(modelId: string, opts: { allowDeleted?: boolean } = {}): Promise<LoggedModel> {
    const row = await q.getLoggedModelRow(this.conn.db, modelId);
    if (row.lifecycle_stage !== "active" && !opts.allowDeleted) throw loggedModelNotFound(modelId);
    return (await q.loadLoggedModels(this.conn.db, [row]))[0];
  }

  deleteLoggedModel(modelId: string): Promise<void> {
    return this.conn.write((trx) => q.deleteLoggedModel(trx, modelId, this.now()));
  }

  async finalizeLoggedModel(modelId: string, status: LoggedModelStatus, statusMessage: string | null = null): Promise<LoggedModel> {
    const row = await this.conn.write((trx) => q.finalizeLoggedModel(trx, modelId, status, statusMessage, this.now()));
    return (await q.loadLoggedModels(this.conn.db, [row]))[0];
  }

  setLoggedModelTags(modelId: string, tags: Tag[]): Promise<void> {
    return this.conn.write((trx) => q.setLoggedModelTags(trx, modelId, tags, this.now()));
  }

  deleteLoggedModelTag(modelId: string, key: string): Promise<void> {
    return this.conn.write((trx) => q.deleteLoggedModelTag(trx, modelId, key, this.now()));
  }

  logLoggedModelParams(modelId: string, params: Param[]): Promise<void> {
    return this.conn.write((trx) => q.logLoggedModelParams(trx, modelId, params, this.now()));
  }

  searchLoggedModels(query: SearchLoggedModelsQuery): Promise<Page<LoggedModel>> {
    return searchLoggedModels(this.conn, query);
  }

  recordModelVersion(modelId: string, name: string, version: string): Promise<void> {
    return this.conn.write((trx) => q.recordModelVersion(trx, modelId, name, version, this.now()));
  }

  logOutputs(runId: string, outputs: RunModelOutput[]): Promise<void> {
    return this.conn.write((trx) => logOutputs(trx, runId, outputs));
  }
}
