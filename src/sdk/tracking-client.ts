/**
 * A typed client over every tracking route of the REST API (the same API the
 * Python `mlflow` client uses). camelCase domain types in and out; search and
 * history calls have paging helpers that follow `next_page_token`.
 * @module
 */
import { ResourceDoesNotExistError } from "../shared/errors.js";
import type {
  WireExperiment,
  WireMetric,
  WireMetricWithRunId,
  WireRun,
  WireRunInfo,
} from "../shared/wire/tracking-wire.js";
import type { DatasetInput, Experiment, Metric, Param, Run, RunInfo, RunMetric, RunStatus } from "../shared/tracking-types.js";
import type { Page, Tag, ViewType } from "../shared/types.js";
import { HttpClient, type HttpClientOptions } from "./http-client.js";
import {
  fromWireExperiment,
  fromWireMetric,
  fromWireRun,
  fromWireRunInfo,
  fromWireRunMetric,
  toWireDatasetInput,
  toWireMetric,
  toWireTags,
} from "../shared/wire/tracking-codec.js";

/** Tags as a list or as a `{key: value}` object. */
export type TagsInput = Tag[] | Record<string, string>;

export function toTagList(tags: TagsInput | undefined): Tag[] {
  if (!tags) return [];
  return Array.isArray(tags) ? tags : Object.entries(tags).map(([key, value]) => ({ key, value: String(value) }));
}

export interface SearchExperimentsOptions {
  filter?: string;
  orderBy?: string[];
  viewType?: ViewType;
  maxResults?: number;
  pageToken?: string;
}

export interface SearchRunsOptions {
  experimentIds: string[];
  filter?: string;
  orderBy?: string[];
  viewType?: ViewType;
  /** Page size (server default 1,000, at most 50,000). */
  maxResults?: number;
  pageToken?: string;
}

export interface CreateRunOptions {
  experimentId?: string;
  userId?: string;
  runName?: string;
  /** ms since the epoch; the server's clock when absent. */
  startTime?: number;
  tags?: TagsInput;
}

export interface MetricOptions {
  step?: number;
  timestamp?: number;
  modelId?: string;
  datasetName?: string;
  datasetDigest?: string;
}

/** A metric for log-batch: step defaults to 0 and timestamp to now. */
export type MetricInput = Omit<Metric, "step" | "timestamp"> & { step?: number; timestamp?: number };

export interface LogBatchOptions {
  metrics?: MetricInput[];
  params?: Param[];
  tags?: TagsInput;
}

export interface BulkIntervalOptions {
  runIds: string[];
  metricKey: string;
  startStep?: number;
  endStep?: number;
  /** Points per run (server default 2,500). */
  maxResults?: number;
}

/** MLflow's page size for full metric histories. */
const HISTORY_PAGE = 25_000;

export class TrackingClient {
  readonly http: HttpClient;

  constructor(opts: HttpClientOptions | HttpClient) {
    this.http = opts instanceof HttpClient ? opts : new HttpClient(opts);
  }

  // ── experiments ──────────────────────────────────────────────────────────

  async createExperiment(name: string, opts: { artifactLocation?: string; tags?: TagsInput } = {}): Promise<string> {
    const tags = toTagList(opts.tags);
    const res = await this.http.post<{ experiment_id: string }>("experiments/create", {
      name,
      artifact_location: opts.artifactLocation || undefined,
      tags: tags.length > 0 ? toWireTags(tags) : undefined,
    });
    return res.experiment_id;
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    const res = await this.http.get<{ experiment: WireExperiment }>("experiments/get", { experiment_id: experimentId });
    return fromWireExperiment(res.experiment);
  }

  /** RESOURCE_DOES_NOT_EXIST when no experiment has the name. */
  async getExperimentByName(name: string): Promise<Experiment> {
    const res = await this.http.get<{ experiment: WireExperiment }>("experiments/get-by-name", { experiment_name: name });
    return fromWireExperiment(res.experiment);
  }

  /** The experiment, or undefined when none has the name (MLflow's `get_experiment_by_name`). */
  async findExperimentByName(name: string): Promise<Experiment | undefined> {
    try {
      return await this.getExperimentByName(name);
    } catch (err) {
      if (err instanceof ResourceDoesNotExistError) return undefined;
      throw err;
    }
  }

  async searchExperiments(opts: SearchExperimentsOptions = {}): Promise<Page<Experiment>> {
    const res = await this.http.post<{ experiments?: WireExperiment[]; next_page_token?: string }>("experiments/search", {
      filter: opts.filter || undefined,
      order_by: opts.orderBy && opts.orderBy.length > 0 ? opts.orderBy : undefined,
      view_type: opts.viewType,
      max_results: opts.maxResults,
      page_token: opts.pageToken || undefined,
    });
    return { items: (res.experiments ?? []).map(fromWireExperiment), nextPageToken: res.next_page_token || undefined };
  }

  /** Every matching experiment, page by page. */
  async *iterateExperiments(opts: Omit<SearchExperimentsOptions, "pageToken"> = {}): AsyncGenerator<Experiment> {
    let pageToken: string | undefined;
    do {
      const page = await this.searchExperiments({ ...opts, pageToken });
      yield* page.items;
      pageToken = page.nextPageToken;
    } while (pageToken);
  }

  async renameExperiment(experimentId: string, newName: string): Promise<void> {
    await this.http.post("experiments/update", { experiment_id: experimentId, new_name: newName });
  }

  async deleteExperiment(experimentId: string): Promise<void> {
    await this.http.post("experiments/delete", { experiment_id: experimentId });
  }

  async restoreExperiment(experimentId: string): Promise<void> {
    await this.http.post("experiments/restore", { experiment_id: experimentId });
  }

  async setExperimentTag(experimentId: string, key: string, value: string): Promise<void> {
    await this.http.post("experiments/set-experiment-tag", { experiment_id: experimentId, key, value });
  }

  async deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    await this.http.post("experiments/delete-experiment-tag", { experiment_id: experimentId, key });
  }

  // ── runs ─────────────────────────────────────────────────────────────────

  async createRun(opts: CreateRunOptions = {}): Promise<Run> {
    const tags = toTagList(opts.tags);
    // Not idempotent: a retry after a lost response would create a second run.
    const res = await this.http.post<{ run: WireRun }>(
      "runs/create",
      {
        experiment_id: opts.experimentId,
        user_id: opts.userId,
        run_name: opts.runName || undefined,
        start_time: opts.startTime,
        tags: tags.length > 0 ? toWireTags(tags) : undefined,
      },
      { idempotent: false },
    );
    return fromWireRun(res.run);
  }

  async getRun(runId: string): Promise<Run> {
    // MLflow compat: the Python client sends both names of the id.
    const res = await this.http.get<{ run: WireRun }>("runs/get", { run_id: runId, run_uuid: runId });
    return fromWireRun(res.run);
  }

  async updateRun(runId: string, opts: { status?: RunStatus; endTime?: number; runName?: string }): Promise<RunInfo> {
    const res = await this.http.post<{ run_info: WireRunInfo }>("runs/update", {
      run_id: runId,
      run_uuid: runId,
      status: opts.status,
      end_time: opts.endTime,
      run_name: opts.runName,
    });
    return fromWireRunInfo(res.run_info);
  }

  /** Ends a run: status (default FINISHED) and end time (default now). */
  setTerminated(runId: string, status: RunStatus = "FINISHED", endTime = Date.now()): Promise<RunInfo> {
    return this.updateRun(runId, { status, endTime });
  }

  async deleteRun(runId: string): Promise<void> {
    await this.http.post("runs/delete", { run_id: runId });
  }

  async restoreRun(runId: string): Promise<void> {
    await this.http.post("runs/restore", { run_id: runId });
  }

  async logMetric(runId: string, key: string, value: number, opts: MetricOptions = {}): Promise<void> {
    const metric = toWireMetric({ key, value, timestamp: opts.timestamp ?? Date.now(), step: opts.step ?? 0, ...links(opts) });
    await this.http.post("runs/log-metric", { run_id: runId, run_uuid: runId, ...metric });
  }

  async logParam(runId: string, key: string, value: string | number | boolean): Promise<void> {
    await this.http.post("runs/log-parameter", { run_id: runId, run_uuid: runId, key, value: String(value) });
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.http.post("runs/set-tag", { run_id: runId, run_uuid: runId, key, value: String(value) });
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    await this.http.post("runs/delete-tag", { run_id: runId, run_uuid: runId, key });
  }

  /**
   * Up to 1,000 metrics, 100 params and 100 tags (1,000 in all) in one
   * transaction. Identical metric points are deduplicated by the server, so a
   * retried batch is harmless.
   */
  async logBatch(runId: string, batch: LogBatchOptions): Promise<void> {
    const now = Date.now();
    const tags = toTagList(batch.tags);
    await this.http.post("runs/log-batch", {
      run_id: runId,
      metrics: batch.metrics?.length
        ? batch.metrics.map((m) => toWireMetric({ ...m, timestamp: m.timestamp ?? now, step: m.step ?? 0 }))
        : undefined,
      params: batch.params?.length ? batch.params.map((p) => ({ key: p.key, value: String(p.value) })) : undefined,
      tags: tags.length > 0 ? toWireTags(tags) : undefined,
    });
  }

  async logInputs(runId: string, datasets: DatasetInput[]): Promise<void> {
    await this.http.post("runs/log-inputs", { run_id: runId, datasets: datasets.map(toWireDatasetInput) });
  }

  /** MLflow 2.x `log-model`: appends an MLmodel (as JSON) to the run's model history tag. */
  async logModel(runId: string, modelJson: string): Promise<void> {
    await this.http.post("runs/log-model", { run_id: runId, model_json: modelJson });
  }

  async searchRuns(opts: SearchRunsOptions): Promise<Page<Run>> {
    const res = await this.http.post<{ runs?: WireRun[]; next_page_token?: string }>("runs/search", {
      experiment_ids: opts.experimentIds,
      filter: opts.filter || undefined,
      run_view_type: opts.viewType,
      max_results: opts.maxResults,
      order_by: opts.orderBy && opts.orderBy.length > 0 ? opts.orderBy : undefined,
      page_token: opts.pageToken || undefined,
    });
    return { items: (res.runs ?? []).map(fromWireRun), nextPageToken: res.next_page_token || undefined };
  }

  /** Every matching run, page by page. */
  async *iterateRuns(opts: Omit<SearchRunsOptions, "pageToken">): AsyncGenerator<Run> {
    let pageToken: string | undefined;
    do {
      const page = await this.searchRuns({ ...opts, pageToken });
      yield* page.items;
      pageToken = page.nextPageToken;
    } while (pageToken);
  }

  /** Matching runs across pages, up to `limit` (default all). */
  async searchAllRuns(opts: Omit<SearchRunsOptions, "pageToken"> & { limit?: number }): Promise<Run[]> {
    const { limit = Infinity, ...query } = opts;
    const out: Run[] = [];
    if (limit <= 0) return out;
    const pageSize = query.maxResults ?? Math.min(Number.isFinite(limit) ? limit : 1000, 50_000);
    for await (const run of this.iterateRuns({ ...query, maxResults: pageSize })) {
      out.push(run);
      if (out.length >= limit) break;
    }
    return out;
  }

  // ── metric history ───────────────────────────────────────────────────────

  async getMetricHistory(runId: string, key: string, opts: { maxResults?: number; pageToken?: string } = {}): Promise<Page<Metric>> {
    const res = await this.http.get<{ metrics?: WireMetric[]; next_page_token?: string }>("metrics/get-history", {
      run_id: runId,
      run_uuid: runId,
      metric_key: key,
      max_results: opts.maxResults,
      page_token: opts.pageToken || undefined,
    });
    return { items: (res.metrics ?? []).map(fromWireMetric), nextPageToken: res.next_page_token || undefined };
  }

  /** Every point of one metric in (step, timestamp) order, fetched in pages of 25,000. */
  async getAllMetricHistory(runId: string, key: string): Promise<Metric[]> {
    const out: Metric[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.getMetricHistory(runId, key, { maxResults: HISTORY_PAGE, pageToken });
      for (const m of page.items) out.push(m);
      pageToken = page.nextPageToken;
    } while (pageToken);
    return out;
  }

  /** Min/max-preserving downsampled history of one metric for up to 100 runs (what charts draw). */
  async getMetricHistoryBulkInterval(opts: BulkIntervalOptions): Promise<RunMetric[]> {
    const res = await this.http.get<{ metrics?: WireMetricWithRunId[] }>("metrics/get-history-bulk-interval", {
      run_ids: opts.runIds,
      metric_key: opts.metricKey,
      start_step: opts.startStep,
      end_step: opts.endStep,
      max_results: opts.maxResults,
    });
    return (res.metrics ?? []).map(fromWireRunMetric);
  }
}

function links(o: MetricOptions): Partial<Metric> {
  const out: Partial<Metric> = {};
  if (o.modelId) out.modelId = o.modelId;
  if (o.datasetName) out.datasetName = o.datasetName;
  if (o.datasetDigest) out.datasetDigest = o.datasetDigest;
  return out;
}
