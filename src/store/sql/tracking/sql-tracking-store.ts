/**
 * The TrackingStore over SQL, shared by SQLite and PostgreSQL. Queries live in
 * the neighbouring `*-queries.ts` files; engine differences live in
 * {@link SqlDialect} implementations.
 * @module
 */
import type { DatasetInput, Experiment, Metric, Run, RunInfo, RunMetric, RunModelInput } from "../../../shared/tracking-types.js";
import type { Page, Tag } from "../../../shared/types.js";
import type {
  BulkIntervalQuery,
  CreateExperimentInput,
  CreateRunInput,
  GcEntities,
  GcLoggedModel,
  GcQuery,
  GcRun,
  LogBatchInput,
  MetricHistoryQuery,
  SearchExperimentsQuery,
  PurgedExperiment,
  SearchRunsQuery,
  TrackingStore,
  UpdateRunInput,
} from "../../../tracking/tracking-store.js";
import * as experiments from "./experiment-queries.js";
import * as gc from "./gc-queries.js";
import { CREATE_RUN } from "./create-run-group.js";
import { LOG_BATCH } from "./log-batch-group.js";
import { inboxOf, MetricInbox } from "./metric-inbox.js";
import * as metrics from "./metric-history-queries.js";
import * as runs from "./run-queries.js";
import { searchRuns } from "./run-search.js";
import type { SqlConnection } from "../sql-dialect.js";

export interface SqlTrackingStoreOptions {
  /** Root under which new experiments get `<root>/<experiment_id>`. */
  defaultArtifactRoot: string;
  now?: () => number;
  /**
   * Plain metric points through the connection's metric inbox (metric-inbox.ts; default true). False: every
   * group writes its points' chunks, latest values and summaries itself — the way before, kept for tests of
   * that path and A/B measurements. Decided by the first store on a connection.
   */
  metricInbox?: boolean;
}

export class SqlTrackingStore implements TrackingStore {
  private readonly now: () => number;
  /**
   * Plain metric points wait here before they reach the history (metric-inbox.ts); every read of metric data
   * folds it first, so it sees every acknowledged point.
   */
  readonly inbox: MetricInbox | undefined;
  constructor(
    private readonly conn: SqlConnection,
    private readonly opts: SqlTrackingStoreOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.inbox = opts.metricInbox === false ? inboxOf(conn.dialect) : MetricInbox.attach(conn);
  }

  private get db() {
    return this.conn.db;
  }

  /** Creates the default experiment when missing. Call once after migrating. */
  async init(): Promise<void> {
    await experiments.ensureDefaultExperiment(this.db, this.opts.defaultArtifactRoot, this.now());
  }

  createExperiment(input: CreateExperimentInput): Promise<string> {
    return this.conn.write((trx) => experiments.createExperiment(trx, this.opts.defaultArtifactRoot, input, this.now()));
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    const row = await experiments.getExperimentRow(this.db, experimentId);
    return (await experiments.loadExperiments(this.db, [row]))[0];
  }

  async getExperimentByName(name: string): Promise<Experiment> {
    const row = await experiments.getExperimentByName(this.db, name);
    return (await experiments.loadExperiments(this.db, [row]))[0];
  }

  searchExperiments(query: SearchExperimentsQuery): Promise<Page<Experiment>> {
    return experiments.searchExperiments(this.db, query);
  }

  renameExperiment(experimentId: string, newName: string): Promise<void> {
    return this.conn.write((trx) => experiments.renameExperiment(trx, experimentId, newName, this.now()));
  }

  deleteExperiment(experimentId: string): Promise<void> {
    return this.conn.write((trx) => experiments.setExperimentLifecycle(trx, experimentId, "deleted", this.now()));
  }

  restoreExperiment(experimentId: string): Promise<void> {
    return this.conn.write((trx) => experiments.setExperimentLifecycle(trx, experimentId, "active", this.now()));
  }

  setExperimentTag(experimentId: string, tag: Tag): Promise<void> {
    return this.conn.write((trx) => experiments.setExperimentTag(trx, experimentId, tag, this.now()));
  }

  deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    return this.conn.write((trx) => experiments.deleteExperimentTag(trx, experimentId, key));
  }

  createRun(input: CreateRunInput): Promise<Run> {
    return this.conn.writeGrouped(CREATE_RUN, input);
  }

  async getRun(runId: string): Promise<Run> {
    await this.inbox?.settle();
    return (await runs.loadRuns(this.conn, [await runs.getRunRow(this.db, runId)]))[0];
  }

  updateRun(runId: string, input: UpdateRunInput): Promise<RunInfo> {
    return this.conn.write((trx) => runs.updateRun(trx, runId, input));
  }

  deleteRun(runId: string): Promise<void> {
    return this.conn.write((trx) => runs.setRunLifecycle(trx, runId, "deleted", this.now()));
  }

  restoreRun(runId: string): Promise<void> {
    return this.conn.write((trx) => runs.setRunLifecycle(trx, runId, "active", this.now()));
  }

  logBatch(runId: string, batch: LogBatchInput): Promise<void> {
    return this.conn.writeGrouped(LOG_BATCH, { runId, batch });
  }

  deleteTag(runId: string, key: string): Promise<void> {
    return this.conn.write((trx) => runs.deleteTag(trx, runId, key));
  }

  logInputs(runId: string, inputs: DatasetInput[], models: RunModelInput[] = []): Promise<void> {
    return this.conn.write((trx) => runs.logInputs(trx, runId, inputs, models));
  }

  async getMetricHistory(runId: string, key: string, query: MetricHistoryQuery): Promise<Page<Metric>> {
    await this.inbox?.settle();
    return metrics.getMetricHistory(this.db, runId, key, query);
  }

  async getMetricHistoryBulkInterval(query: BulkIntervalQuery): Promise<RunMetric[]> {
    await this.inbox?.settle();
    return metrics.getMetricHistoryBulkInterval(this.db, query);
  }

  async searchRuns(query: SearchRunsQuery): Promise<Page<Run>> {
    await this.inbox?.settle();
    return searchRuns(this.conn, query);
  }

  findGcCandidates(query: GcQuery): Promise<GcEntities> {
    return gc.findGcCandidates(this.db, query);
  }

  hardDeleteRuns(runIds: string[]): Promise<GcRun[]> {
    // The inbox folded first, in the purge's transaction: no point of these runs is left waiting.
    return this.conn.write(async (trx) => {
      await this.inbox?.foldAllIn(trx);
      return gc.hardDeleteRuns(trx, this.conn.dialect.name, runIds);
    });
  }

  hardDeleteLoggedModels(modelIds: string[]): Promise<GcLoggedModel[]> {
    return this.conn.write((trx) => gc.hardDeleteLoggedModels(trx, this.conn.dialect.name, modelIds));
  }

  hardDeleteExperiments(experimentIds: string[]): Promise<PurgedExperiment[]> {
    return this.conn.write(async (trx) => {
      await this.inbox?.foldAllIn(trx);
      return gc.hardDeleteExperiments(trx, this.conn.dialect.name, experimentIds);
    });
  }

  /** Folds what waits in the metric inbox, then closes the connection. */
  async close(): Promise<void> {
    try {
      await this.inbox?.close();
    } finally {
      await this.db.destroy();
    }
  }
}
