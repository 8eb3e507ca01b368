/**
 * Test helper: a scoring app over a real model (real inference threads, real
 * scheduler), not listening — drive it with `app.inject()`, or pass
 * `app.handler` to `http.createServer` for a loopback server.
 * @module
 */
import { BatchScheduler, type SchedulerLimits } from "../serving/online/request-batcher.js";
import { IN_PROCESS_BYTES_PER_BODY_BYTE, startExecutor, type InferenceExecutor } from "../serving/online/inference-executor.js";
import { AdmissionControl } from "../serving/online/admission-control.js";
import type { InferenceLog } from "../serving/online/inference-log.js";
import { inject } from "light-my-request";
import { buildScoringApp, type ScoringApp } from "../serving/online/scoring-app.js";
import { ScoringMetrics } from "../serving/online/scoring-metrics.js";
import { SCORING_DEFAULTS } from "../serving/online/scoring-options.js";

interface InjectOptions {
  method: string;
  url: string;
  headers?: Record<string, string>;
  payload?: string | Buffer | object;
}

interface InjectResponse {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
  json(): unknown;
}

/** The production app plus Fastify-style in-process requests (light-my-request), which only tests need. */
type TestScoringApp = ScoringApp & { inject(opts: InjectOptions): Promise<InjectResponse> };

export interface ScoringKit {
  app: TestScoringApp;
  admission: AdmissionControl;
  scheduler: BatchScheduler;
  executor: InferenceExecutor;
  metrics: ScoringMetrics;
  close(): Promise<void>;
}

export interface KitOptions extends Partial<SchedulerLimits> {
  workers?: number;
  maxBodyBytes?: number;
  /** The admission budget (bytes). */
  maxInflightBytes?: number;
  name?: string;
  version?: string;
  inferenceLog?: InferenceLog;
  /** Leave the app in `loading` (the scheduler exists but is not attached). */
  loading?: boolean;
}

export async function startScoringKit(modelDir: string, o: KitOptions = {}): Promise<ScoringKit> {
  const name = o.name ?? "m";
  const version = o.version ?? "1";
  const metrics = new ScoringMetrics(name, version, { defaultMetrics: false });
  const admission = new AdmissionControl({ maxInflightBytes: o.maxInflightBytes ?? SCORING_DEFAULTS.maxInflightBytes, retryAfterSeconds: 1 });
  metrics.watchAdmission(admission);
  const prod = buildScoringApp({ modelName: name, modelVersion: version, metrics, maxBodyBytes: o.maxBodyBytes ?? SCORING_DEFAULTS.maxBodyBytes, admission, inferenceLog: o.inferenceLog });
  const app: TestScoringApp = Object.assign(prod, {
    async inject(opts: InjectOptions): Promise<InjectResponse> {
      const r = await inject(prod.handler, opts as never);
      return { statusCode: r.statusCode, headers: r.headers, body: r.body, json: () => JSON.parse(r.body) as unknown };
    },
  });
  const executor = await startExecutor({ reload: { path: modelDir, options: {} }, context: { modelName: name, modelVersion: version }, workers: o.workers ?? 1, memory: admission });
  admission.setRuntimeBytesPerBodyByte(executor.bytesPerBodyByte ?? IN_PROCESS_BYTES_PER_BODY_BYTE);
  const limits: SchedulerLimits = {
    maxBatchSize: o.maxBatchSize ?? SCORING_DEFAULTS.maxBatchSize,
    maxWaitMs: o.maxWaitMs ?? 0,
    maxQueue: o.maxQueue ?? SCORING_DEFAULTS.maxQueue,
    maxQueueBytes: o.maxQueueBytes ?? SCORING_DEFAULTS.maxQueueBytes,
    maxQueueWaitMs: o.maxQueueWaitMs ?? SCORING_DEFAULTS.maxQueueWaitMs,
    timeoutMs: o.timeoutMs ?? SCORING_DEFAULTS.timeoutMs,
  };
  const scheduler = new BatchScheduler(executor, limits, {
    onDispatch: (n) => metrics.batchDispatched(n),
    onBatchDone: (_n, rows, ms) => metrics.batchDone(rows, ms),
    onQueueDepth: (n) => metrics.queueDepth(n),
  });
  if (!o.loading) app.setReady(scheduler, executor.info);
  return { app, admission, scheduler, executor, metrics, close: () => executor.close() };
}

/** One sample's value from Prometheus text (`name{labels} value`), or undefined. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== "{" && rest[0] !== " ") continue;
    if (!Object.entries(labels).every(([k, v]) => rest.includes(`${k}="${v}"`))) continue;
    return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return undefined;
}
