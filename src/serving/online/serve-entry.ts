/**
 * The container's entry point (bundled to `app/server.mjs` by build-docker;
 * runs with plain `node`, no tsx). Settings come from the environment, so
 * Kubernetes manifests and `docker run -e` can tune them:
 *
 * | variable | default |
 * |---|---|
 * | `CICLO_MODEL_URI` (or `CICLO_MODEL_PATH`) | `/opt/ml/model` (MLflow's image layout) |
 * | `HOST`, `PORT` | `0.0.0.0`, `8080` |
 * | `CICLO_WORKERS`, `CICLO_MAX_BATCH_SIZE`, `CICLO_MAX_WAIT_MS`, `CICLO_MAX_QUEUE`, `CICLO_MAX_QUEUE_WAIT_MS` | see `ciclo models serve --help` |
 * | `CICLO_TIMEOUT_MS` (or MLflow's `MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT`, seconds) | 60 s |
 * | `CICLO_DRAIN_SECONDS` | 30 |
 * | `CICLO_MAX_BODY_MB`, `CICLO_MAX_INFLIGHT_MB` | 64, 512 (see `ciclo models serve --help`) |
 * | `CICLO_LOG_REQUESTS`, `CICLO_TRACKING_URI` | off |
 * | `CICLO_MODEL_NAME`, `CICLO_MODEL_VERSION` | set by build-docker |
 * | `CICLO_RUNTIME` | from the MLmodel file (`in-process` or `python`) |
 * | `CICLO_ENV_MANAGER`, `CICLO_PYTHON` | `local`, `python3` (the Python runtime's environment) |
 * | `CICLO_BATCHES_PER_WORKER` | 1 (see `ciclo models serve --help`: `--batches-per-worker`) |
 * | `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) | off: no traces |
 * @module
 */
import { resolveModelSource } from "../model-source.js";
import { ENV_MANAGERS, type EnvManager } from "../python/python-environment.js";
import { RUNTIME_NAMES, type RuntimeName } from "./model-runtime.js";
import { scoringOptions } from "./scoring-options.js";
import { jsonLog, startScoringServer } from "./scoring-server.js";
import { tracingConfig } from "../../telemetry/tracing.js";

const env = process.env;

function num(name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === "") return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got '${v}'`);
  return n;
}

function mb(name: string): number | undefined {
  const n = num(name);
  return n === undefined ? undefined : Math.round(n * 1024 * 1024);
}

function oneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined {
  const v = env[name];
  if (v === undefined || v === "") return undefined;
  if (!(allowed as readonly string[]).includes(v)) throw new Error(`${name} must be one of ${allowed.join(", ")}, got '${v}'`);
  return v as T;
}

async function main(): Promise<void> {
  const mlflowTimeout = num("MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT");
  const opts = scoringOptions({
    modelUri: env.CICLO_MODEL_URI ?? env.CICLO_MODEL_PATH ?? "/opt/ml/model",
    host: env.HOST ?? "0.0.0.0",
    port: num("PORT") ?? 8080,
    workers: num("CICLO_WORKERS"),
    maxBatchSize: num("CICLO_MAX_BATCH_SIZE"),
    maxWaitMs: num("CICLO_MAX_WAIT_MS"),
    maxQueue: num("CICLO_MAX_QUEUE"),
    maxQueueWaitMs: num("CICLO_MAX_QUEUE_WAIT_MS"),
    timeoutMs: num("CICLO_TIMEOUT_MS") ?? (mlflowTimeout !== undefined ? mlflowTimeout * 1000 : undefined),
    drainSeconds: num("CICLO_DRAIN_SECONDS"),
    maxBodyBytes: mb("CICLO_MAX_BODY_MB"),
    maxInflightBytes: mb("CICLO_MAX_INFLIGHT_MB"),
    logRequests: env.CICLO_LOG_REQUESTS || undefined,
    trackingUri: env.CICLO_TRACKING_URI ?? env.MLFLOW_TRACKING_URI,
    modelName: env.CICLO_MODEL_NAME || undefined,
    modelVersion: env.CICLO_MODEL_VERSION || undefined,
    runtime: oneOf<RuntimeName>("CICLO_RUNTIME", RUNTIME_NAMES),
    python: { envManager: oneOf<EnvManager>("CICLO_ENV_MANAGER", ENV_MANAGERS), python: env.CICLO_PYTHON || undefined, batchesPerWorker: num("CICLO_BATCHES_PER_WORKER") },
    tracing: tracingConfig("ciclo-model-server", env),
  });
  const server = await startScoringServer(opts, await resolveModelSource(opts.modelUri, { trackingUri: opts.trackingUri }));
  const stop = () => void server.drain().then((code) => process.exit(code));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  await server.ready.catch(async (err: Error) => {
    jsonLog("ciclo scoring server failed to load the model", { error: err.message });
    await server.drain();
    process.exit(1);
  });
}

main().catch((err: Error) => {
  jsonLog("ciclo scoring server failed to start", { error: err.message });
  process.exit(1);
});
