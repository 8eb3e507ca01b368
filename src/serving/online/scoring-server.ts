/**
 * Starts a scoring server: listens at once (so
 * liveness answers and readiness says "loading"), loads the model into its
 * inference threads, then takes traffic. On SIGTERM/SIGINT it drains:
 * readiness goes false, the listener closes, requests in flight finish
 * (within `drainSeconds`), then the threads stop and the process may exit 0.
 *
 * Log lines are JSON on stdout (`msg` field), like the tracking server's.
 * @module
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { BatchScheduler } from "./request-batcher.js";
import { IN_PROCESS_BYTES_PER_BODY_BYTE, type InferenceExecutor } from "./inference-executor.js";
import { AdmissionControl } from "./admission-control.js";
import { exposeGarbageCollector, measuredCeiling, MeasuredMemory } from "./measured-memory.js";
import { readMlmodel } from "../../models/index.js";
import { chooseRuntime } from "./model-runtime.js";
import { BufferedInferenceLog, fileLogSink, monitoringLogSink, type InferenceLog } from "./inference-log.js";
import type { ResolvedModelSource } from "../model-source.js";
import { buildScoringApp, type ScoringApp } from "./scoring-app.js";
import { ScoringMetrics } from "./scoring-metrics.js";
import type { ScoringOptions } from "./scoring-options.js";
import { loadTracing } from "../../telemetry/tracing.js";
import { hostChecker, INVALID_HOST, isLoopbackAddress } from "../../shared/host-allow-list.js";

/** Health probes answer whatever name they use. */
const PROBES = new Set(["/ping", "/health", "/version", "/v2/health/live", "/v2/health/ready"]);

export interface ScoringServer {
  url: string;
  app: ScoringApp;
  server: Server;
  /** Resolves once the model is loaded (rejects if it cannot be). */
  ready: Promise<void>;
  /** Drains and stops; resolves with the exit code (0 = every request finished). */
  drain(): Promise<number>;
}

export type LogFn = (msg: string, fields?: Record<string, unknown>) => void;

export const jsonLog: LogFn = (msg, fields = {}) => {
  process.stdout.write(`${JSON.stringify({ time: Date.now(), msg, ...fields })}\n`);
};

/** Serves a model already resolved to a local folder (see model-source.ts). */
export async function startScoringServer(opts: ScoringOptions, source: ResolvedModelSource, log: LogFn = jsonLog): Promise<ScoringServer> {
  const t0 = performance.now();
  const modelName = opts.modelName ?? source.name;
  const modelVersion = opts.modelVersion ?? source.version;
  const metrics = new ScoringMetrics(modelName, modelVersion);
  let inferenceLog: InferenceLog | undefined;
  if (opts.logRequests) {
    const sink =
      opts.logRequests === "tracking"
        ? monitoringLogSink({ trackingUri: opts.trackingUri ?? process.env.CICLO_TRACKING_URI ?? process.env.MLFLOW_TRACKING_URI ?? "http://127.0.0.1:5000" })
        : fileLogSink(opts.logRequests);
    inferenceLog = new BufferedInferenceLog(sink, { name: modelName, version: modelVersion }, { sampleRate: opts.logSampleRate, endpoint: opts.logEndpoint, deployment: opts.logDeployment });
  }
  let executor: InferenceExecutor | undefined;
  // Asked for before the runtime starts its threads, so they can collect on request too.
  const gc = exposeGarbageCollector();
  const measured = new MeasuredMemory({
    ceilingBytes: measuredCeiling(opts.maxInflightBytes),
    read: () => process.memoryUsage.rss() + (executor?.residentBytes?.() ?? 0),
    onOver: () => {
      gc?.();
      executor?.collectGarbage?.();
    },
  });
  const admission = new AdmissionControl({ maxInflightBytes: opts.maxInflightBytes, retryAfterSeconds: 1 }, measured);
  metrics.watchAdmission(admission);
  if (inferenceLog) metrics.watchInferenceLog(inferenceLog);
  const tracing = await loadTracing(opts.tracing);
  const app = buildScoringApp({ modelName, modelVersion, metrics, maxBodyBytes: opts.maxBodyBytes, admission, inferenceLog, tracing });
  // On loopback (`ciclo models serve`'s default, and every replica of the local and container targets) the server
  // serves this machine: a web page re-pointing its own name at 127.0.0.1 (DNS rebinding) sends its own Host,
  // refused as `ciclo server` refuses it. Bound to another address (a pod), callers use whatever name routes to it.
  const hostAllowed = isLoopbackAddress(opts.host) ? hostChecker() : undefined;
  const handler: typeof app.handler = hostAllowed
    ? (req, res) => {
        if (hostAllowed(req.headers.host ?? "") || PROBES.has(req.url ?? "")) return app.handler(req, res);
        res.writeHead(403, { "content-type": "application/json" }).end(JSON.stringify({ error_code: "PERMISSION_DENIED", message: INVALID_HOST }));
      }
    : app.handler;
  const server = createServer({ keepAliveTimeout: 65_000 }, handler);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  log("ciclo scoring server listening", { url, model: modelName, version: modelVersion, modelPath: source.path, maxInflightMb: Math.round(opts.maxInflightBytes / 1048576), maxBodyMb: Math.round((opts.maxBodyBytes / 1048576) * 1000) / 1000, ...(opts.tracing && { tracesUrl: opts.tracing.tracesUrl }) });

  let draining: Promise<number> | undefined;
  const ready = (async () => {
    // The runtime is chosen from the MLmodel file's flavors (model-runtime.ts).
    const runtime = chooseRuntime(await readMlmodel(source.path), {
      runtime: opts.runtime,
      python: { ...opts.python, log: (line) => log("python environment", { line }), workerLog: (line) => log("python worker", { line }) },
    });
    executor = await runtime.start({ reload: { path: source.path, options: {} }, context: { modelName, modelVersion }, workers: opts.workers, memory: admission });
    admission.setRuntimeBytesPerBodyByte(executor.bytesPerBodyByte ?? IN_PROCESS_BYTES_PER_BODY_BYTE);
    const scheduler = new BatchScheduler(executor, opts, {
      onDispatch: (n) => metrics.batchDispatched(n),
      onBatchDone: (_n, rows, ms) => metrics.batchDone(rows, ms),
      onQueueDepth: (n) => metrics.queueDepth(n),
    });
    if (draining) return;
    measured.setBaseline(); // idle, with the model loaded: what the measured guard counts from
    app.setReady(scheduler, executor.info);
    log("ciclo scoring server ready", { url, runtime: runtime.name, flavor: executor.info.flavor, threads: executor.threads, startupMs: Math.round(performance.now() - t0) });
  })();

  const drain = (): Promise<number> =>
    (draining ??= (async () => {
      app.setDraining();
      log("ciclo scoring server draining", { inFlight: app.inFlight, drainSeconds: opts.drainSeconds });
      server.close();
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([
        app.whenNoneInFlight().then(() => true),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(false), opts.drainSeconds * 1000))),
      ]);
      clearTimeout(timer);
      server.closeAllConnections();
      await ready.catch(() => undefined);
      await executor?.close();
      await inferenceLog?.close().catch(() => undefined);
      await tracing?.shutdown().catch(() => undefined);
      await source.cleanup();
      log("ciclo scoring server stopped", { drained: finished, inFlight: app.inFlight });
      return finished ? 0 : 1;
    })());

  return { url, app, server, ready, drain };
}
