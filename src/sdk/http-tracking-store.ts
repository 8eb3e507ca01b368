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
  LogBatchInput,
  MetricHistoryQuery,
  SearchExperimentsQuery,
  SearchRunsQuery,
  TrackingStore,
  UpdateRunInput,
} from "../store/tracking-store.js";
import type { DatasetInput, Experiment, Metric, Page, Run, RunInfo, RunMetric, Tag } from "../tracking/types.js";
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

  /** Nothing to close: fetch's pooled sockets idle out on their own. */
  async close(): Promise<void> {}
}
