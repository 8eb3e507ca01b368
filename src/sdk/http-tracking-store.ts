/**
 * The TrackingStore interface over the REST API: a remote server behind the
 * same contract as the SQL stores (DESIGN.md point 4). Parsed filters travel
 * back as text; the server validates and parses them again.
 *
 * Differences a caller may notice: the server's services run first, so
 * inputs the stores accept but MLflow's validation refuses (e.g. a metric key
 * with `..`) fail here with INVALID_PARAMETER_VALUE; and `createRun` with a
 * null start time gets the server's clock.
 * @module
 */
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
} from "../tracking/tracking-store.js";
import type { DatasetInput, Experiment, Metric, Run, RunInfo, RunMetric } from "../shared/tracking-types.js";
import type { Page, Tag } from "../shared/types.js";
import { AdminClient } from "./admin-client.js";
import { filterToString, orderByToStrings } from "./filter-serializer.js";
import type { HttpClientOptions } from "./http-client.js";
import { TrackingClient } from "./tracking-client.js";

export class HttpTrackingStore implements TrackingStore {
  readonly client: TrackingClient;

  constructor(opts: HttpClientOptions | TrackingClient) {
    this.client = opts instanceof TrackingClient ? opts : new TrackingClient(opts);
  }

  createExperiment(input: CreateExperimentInput): Promise<string> {
    return this.client.createExperiment(input.name, { artifactLocation: input.artifactLocation, tags: input.tags });
  }

  getExperiment(experimentId: string): Promise<Experiment> {
    return this.client.getExperiment(experimentId);
  }

  getExperimentByName(name: string): Promise<Experiment> {
    return this.client.getExperimentByName(name);
  }

  searchExperiments(q: SearchExperimentsQuery): Promise<Page<Experiment>> {
    return this.client.searchExperiments({
      filter: filterToString(q.filter),
      orderBy: orderByToStrings(q.orderBy),
      viewType: q.viewType,
      maxResults: q.maxResults,
      pageToken: q.pageToken,
    });
  }

  renameExperiment(experimentId: string, newName: string): Promise<void> {
    return this.client.renameExperiment(experimentId, newName);
  }

  deleteExperiment(experimentId: string): Promise<void> {
    return this.client.deleteExperiment(experimentId);
  }

  restoreExperiment(experimentId: string): Promise<void> {
    return this.client.restoreExperiment(experimentId);
  }

  setExperimentTag(experimentId: string, tag: Tag): Promise<void> {
    return this.client.setExperimentTag(experimentId, tag.key, tag.value);
  }

  deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    return this.client.deleteExperimentTag(experimentId, key);
  }

  createRun(input: CreateRunInput): Promise<Run> {
    return this.client.createRun({
      experimentId: input.experimentId,
      userId: input.userId,
      runName: input.runName,
      startTime: input.startTime ?? undefined,
      tags: input.tags,
    });
  }

  getRun(runId: string): Promise<Run> {
    return this.client.getRun(runId);
  }

  updateRun(runId: string, input: UpdateRunInput): Promise<RunInfo> {
    return this.client.updateRun(runId, { status: input.status, endTime: input.endTime ?? undefined, runName: input.runName });
  }

  deleteRun(runId: string): Promise<void> {
    return this.client.deleteRun(runId);
  }

  restoreRun(runId: string): Promise<void> {
    return this.client.restoreRun(runId);
  }

  logBatch(runId: string, batch: LogBatchInput): Promise<void> {
    return this.client.logBatch(runId, batch);
  }

  deleteTag(runId: string, key: string): Promise<void> {
    return this.client.deleteTag(runId, key);
  }

  logInputs(runId: string, inputs: DatasetInput[]): Promise<void> {
    return this.client.logInputs(runId, inputs);
  }

  getMetricHistory(runId: string, key: string, query: MetricHistoryQuery): Promise<Page<Metric>> {
    return this.client.getMetricHistory(runId, key, query);
  }

  getMetricHistoryBulkInterval(query: BulkIntervalQuery): Promise<RunMetric[]> {
    return this.client.getMetricHistoryBulkInterval(query);
  }

  searchRuns(q: SearchRunsQuery): Promise<Page<Run>> {
    return this.client.searchRuns({
      experimentIds: q.experimentIds,
      filter: filterToString(q.filter),
      orderBy: orderByToStrings(q.orderBy),
      viewType: q.viewType,
      maxResults: q.maxResults,
      pageToken: q.pageToken,
    });
  }

  /**
   * Through `POST /api/ciclo/v1/gc`, which also deletes the artifacts. The
   * route measures age on the server's clock, so `deletedBefore` travels as an age.
   */
  async findGcCandidates(q: GcQuery): Promise<GcEntities> {
    const olderThanMs = q.deletedBefore === undefined ? undefined : Math.max(0, Date.now() - q.deletedBefore);
    const r = await this.admin().gc({ dryRun: true, olderThanMs });
    const scope = q.experimentIds && new Set(q.experimentIds);
    const inScope = (e: { experimentId: string }) => !scope || scope.has(e.experimentId);
    return {
      experiments: r.experiments.filter(inScope),
      runs: r.runs.filter(inScope),
      loggedModels: r.loggedModels.filter(inScope),
    };
  }

  async hardDeleteRuns(runIds: string[]): Promise<GcRun[]> {
    return runIds.length === 0 ? [] : (await this.admin().gc({ runIds })).runs;
  }

  async hardDeleteLoggedModels(modelIds: string[]): Promise<GcLoggedModel[]> {
    return modelIds.length === 0 ? [] : (await this.admin().gc({ loggedModelIds: modelIds })).loggedModels;
  }

  async hardDeleteExperiments(experimentIds: string[]): Promise<PurgedExperiment[]> {
    return experimentIds.length === 0 ? [] : (await this.admin().gc({ experimentIds })).experiments;
  }

  private admin(): AdminClient {
    return new AdminClient(this.client.http);
  }

  /** Nothing to close: fetch's pooled sockets idle out on their own. */
  async close(): Promise<void> {}
}
