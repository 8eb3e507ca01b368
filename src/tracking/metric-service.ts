/**
 * Metric history reads: full/paged history and the downsampled bulk view charts use.
 * @module
 */
import { InvalidParameterValueError, MlflowError } from "../shared/errors.js";
import type { TrackingStore } from "./tracking-store.js";
import type { Metric, RunMetric } from "../shared/tracking-types.js";
import type { Page } from "../shared/types.js";
import { validateMaxResults } from "../shared/validation.js";

/** MLflow's caps for get-history-bulk-interval. */
export const MAX_RUNS_BULK_INTERVAL = 100;
const MAX_RESULTS_PER_RUN = 2500;
export const MAX_RESULTS_METRIC_HISTORY = 25_000;

export interface BulkIntervalRequest {
  runIds: string[];
  metricKey: string;
  startStep?: number;
  endStep?: number;
  maxResults?: number;
  signal?: AbortSignal;
}

export class MetricService {
  constructor(private readonly store: TrackingStore) {}

  /**
   * MLflow compat: get-history has no upper bound on `max_results` (2.x ignores it and returns the whole
   * history, 3.x pages by it); without one the whole history comes back.
   */
  history(runId: string, key: string, maxResults?: number, pageToken?: string): Promise<Page<Metric>> {
    if (maxResults !== undefined) validateMaxResults(maxResults, Number.MAX_SAFE_INTEGER);
    return this.store.getMetricHistory(runId, key, { maxResults, pageToken: pageToken || undefined });
  }

  /**
   * The older `get-history-bulk` as MLflow's SQL store answers it: runs in run-id order, each run's points by
   * timestamp, step and value, at most `maxResults` (25,000) points in all; unknown runs have no points.
   */
  async historyBulk(runIds: string[], key: string | undefined, maxResults?: number): Promise<RunMetric[]> {
    if (runIds.length === 0) throw new InvalidParameterValueError("GetMetricHistoryBulk request must specify at least one run_id.");
    if (runIds.length > MAX_RUNS_BULK_INTERVAL) {
      throw new InvalidParameterValueError(
        `GetMetricHistoryBulk request cannot specify more than ${MAX_RUNS_BULK_INTERVAL} run_ids. Received ${runIds.length} run_ids.`,
      );
    }
    if (key === undefined) throw new InvalidParameterValueError("GetMetricHistoryBulk request must specify a metric_key.");
    const cap = Math.min(maxResults ?? MAX_RESULTS_METRIC_HISTORY, MAX_RESULTS_METRIC_HISTORY);
    const out: RunMetric[] = [];
    for (const runId of [...new Set(runIds)].sort()) {
      if (out.length >= cap) break;
      let points: Metric[];
      try {
        points = (await this.store.getMetricHistory(runId, key, {})).items;
      } catch (err) {
        if (err instanceof MlflowError && err.errorCode === "RESOURCE_DOES_NOT_EXIST") continue;
        throw err;
      }
      points.sort((a, b) => a.timestamp - b.timestamp || a.step - b.step || a.value - b.value);
      for (const m of points.slice(0, cap - out.length)) out.push({ ...m, runId });
    }
    return out;
  }

  bulkInterval(req: BulkIntervalRequest): Promise<RunMetric[]> {
    if (req.runIds.length === 0) {
      throw new InvalidParameterValueError(
        "Missing value for required parameter 'run_ids'. See the API docs for more information about request parameters.",
      );
    }
    if (req.runIds.length > MAX_RUNS_BULK_INTERVAL) {
      throw new InvalidParameterValueError(
        `GetMetricHistoryBulkInterval request must specify at most ${MAX_RUNS_BULK_INTERVAL} run_ids. ` +
          `Received ${req.runIds.length} run_ids.`,
      );
    }
    const maxResults = req.maxResults ?? MAX_RESULTS_PER_RUN;
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > MAX_RESULTS_PER_RUN) {
      throw new InvalidParameterValueError(`max_results must be between 1 and ${MAX_RESULTS_PER_RUN}.`);
    }
    const { startStep, endStep } = req;
    if ((startStep === undefined) !== (endStep === undefined)) {
      throw new InvalidParameterValueError("If either start step or end step are specified, both must be specified.");
    }
    if (startStep !== undefined && endStep !== undefined && startStep > endStep) {
      throw new InvalidParameterValueError(
        `end_step must be greater than start_step. Found start_step=${startStep} and end_step=${endStep}.`,
      );
    }
    return this.store.getMetricHistoryBulkInterval({ ...req, runIds: [...new Set(req.runIds)], maxResults });
  }
}
