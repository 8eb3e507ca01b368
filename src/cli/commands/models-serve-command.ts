/**
 * `ciclo models serve`: the scoring server (src/serving/), with
 * `mlflow models serve`'s flags — `-m/--model-uri`, `-h/--host`, `-p/--port`,
 * `-w/--workers`, `-t/--timeout` — so `-h` is the host here and help is on
 * `--help` only.
 * @module
 */
import type { Command } from "commander";
import { defaultWorkers, SCORING_DEFAULTS, scoringOptions } from "../../serving/online/scoring-options.js";
import { resolveModelSource, type ResolvedModelSource } from "../../serving/model-source.js";
import { jsonLog, startScoringServer, type ScoringServer } from "../../serving/online/scoring-server.js";
import { UsageError, reportError } from "../output/cli-errors.js";
import { OTLP_FLAG, OTLP_FLAG_HELP, otlpTracing } from "./otlp-flag.js";
import { addRuntimeFlags, runtimeChoice, type RuntimeFlags } from "./python-runtime-flags.js";

interface ServeFlags extends RuntimeFlags {
  modelUri: string;
  otlpEndpoint?: string;
  host: string;
  port: string;
  workers?: string;
  maxBatchSize: string;
  maxWaitMs: string;
  maxQueue: string;
  maxQueueWaitMs: string;
  timeoutMs?: string;
  timeout?: string;
  drainSeconds: string;
  maxBodyMb: string;
  maxInflightMb: string;
  logRequests?: string;
  logSampleRate?: string;
  logEndpoint?: string;
  logDeployment?: string;
  trackingUri?: string;
  modelName?: string;
  modelVersion?: string;
  batchesPerWorker: string;
}

/** A non-negative number flag (integers unless `fraction`). */
export function numberFlag(text: string | undefined, flag: string, opts: { min?: number; fraction?: boolean } = {}): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  const min = opts.min ?? 0;
  if (text.trim() === "" || !Number.isFinite(n) || n < min || (!opts.fraction && !Number.isInteger(n))) {
    throw new UsageError(`${flag} must be ${opts.fraction ? "a number" : "an integer"} ≥ ${min}, got '${text}'.`);
  }
  return n;
}

function withBatchesPerWorker<T extends { python: object }>(choice: T, n: number | undefined): T {
  return { ...choice, python: { ...choice.python, batchesPerWorker: n } };
}

function sampleRateFlag(text: string | undefined): number | undefined {
  const n = numberFlag(text, "--log-sample-rate", { fraction: true });
  if (n !== undefined && (n <= 0 || n > 1)) throw new UsageError(`--log-sample-rate is a share in (0, 1], got '${text}'.`);
  return n;
}

export function registerModelsServeCommand(models: Command): void {
  const serve = models
    .command("serve")
    .description("Serve a model over HTTP: MLflow's scoring protocol (/invocations) and the Open Inference Protocol v2 (/v2)")
    .helpOption("--help", "display help for command")
    .requiredOption("-m, --model-uri <uri>", "models:/<name>/<version|alias>, runs:/<run_id>/<path>, mlflow-artifacts:/…, or a local model folder")
    .option("-h, --host <host>", "address to listen on", SCORING_DEFAULTS.host)
    .option("-p, --port <port>", "port to listen on (0 = any free port; 8080, not MLflow's 5000, so it never collides with a tracking server)", String(SCORING_DEFAULTS.port))
    .option("-w, --workers <n>", `inference threads — or Python worker processes — each with its own warm model (default: cores − 1 = ${defaultWorkers()}; 0 = score on the HTTP thread)`)
    .option("--max-batch-size <n>", "requests batched into one model call at most", String(SCORING_DEFAULTS.maxBatchSize))
    .option("--max-wait-ms <ms>", "how long a small batch may wait to grow (0 = never wait)", String(SCORING_DEFAULTS.maxWaitMs))
    .option("--max-queue <n>", "requests waiting at most; more get 503 + Retry-After", String(SCORING_DEFAULTS.maxQueue))
    .option("--max-queue-wait-ms <ms>", "a request that would wait longer for an inference thread (estimated from the recent scoring rate) gets 503 + Retry-After; 0 = no bound", String(SCORING_DEFAULTS.maxQueueWaitMs))
    .option("--timeout-ms <ms>", "per-request deadline; past it 504", String(SCORING_DEFAULTS.timeoutMs))
    .option("-t, --timeout <seconds>", "the same deadline in seconds (mlflow models serve's flag)")
    .option("--drain-seconds <s>", "after SIGTERM, how long requests in flight may take to finish", String(SCORING_DEFAULTS.drainSeconds))
    .option("--max-body-mb <mb>", "largest request body; more gets 413 (from Content-Length, before the body is read)", String(SCORING_DEFAULTS.maxBodyBytes / 1024 / 1024))
    .option(
      "--max-inflight-mb <mb>",
      "memory for requests in flight (bodies being read, queued, parsed, scored; estimated per body byte) above the idle server; past it 503 + Retry-After",
      String(SCORING_DEFAULTS.maxInflightBytes / 1024 / 1024),
    )
    .option("--batches-per-worker <n>", "Python runtime: batches one worker process may hold at once; 2 lets the next batch wait in its pipe while it scores one (Node's and Python's work overlap; see docs/serving.md)", "1")
    .option("--log-requests <file|tracking>", "log requests and responses as JSON lines to a file, or to the tracking server's monitoring store (tracking)")
    .option("--log-sample-rate <share>", "share of requests logged, in (0, 1]", "1")
    .option("--log-endpoint <name>", "endpoint the logged requests are filed under (deployments set it)")
    .option("--log-deployment <name>", "deployment the logged requests are filed under (deployments set it)")
    .option("--tracking-uri <uri>", "tracking server (to resolve models:/ and runs:/ URIs, and for --log-requests tracking)")
    .option("--model-name <name>", "name in metrics and /v2 paths (default: from the URI)")
    .option("--model-version <v>", "version in metrics and /v2 paths (default: from the URI)")
    .option(OTLP_FLAG, OTLP_FLAG_HELP);
  addRuntimeFlags(serve)
    .addHelpText(
      "after",
      `
Examples:
  $ ciclo models serve -m models:/fraud@champion -h 0.0.0.0 -p 8080
  $ ciclo models serve -m ./model --workers 1 --max-batch-size 128 --log-requests requests.jsonl
  $ ciclo models serve -m models:/churn@champion --env-manager virtualenv      # a scikit-learn model, in Python
  $ ciclo models serve -m ./model --env-manager virtualenv --pip-index-url https://pypi.example.com/simple
  $ ciclo models serve -m ./sklearn-model --python /usr/bin/python3 --workers 2  # two Python worker processes
  $ ciclo models serve -m models:/fraud/3 --tracking-uri http://ciclo:5000 --log-requests tracking --log-sample-rate 0.1
  $ ciclo models serve -m ./model --otlp-endpoint http://otel-collector:4318   # spans for every request
  $ curl -s localhost:8080/invocations -H 'content-type: application/json' -d '{"inputs": [[1, 2, 3]]}'`,
    )
    .action(async (flags: ServeFlags) => {
      // Every exit path removes a downloaded model: a signal before the server runs exits through the `exit` hook
      // of model-source.ts, after it through the drain; errors clean up below.
      let server: ScoringServer | undefined;
      let source: ResolvedModelSource | undefined;
      let stopping = false;
      const onSignal = (signal: NodeJS.Signals) => {
        if (stopping) return;
        stopping = true;
        if (server) void server.drain().then((c) => process.exit(c));
        else {
          process.stderr.write(`ciclo models serve: stopped by ${signal} before the server started.\n`);
          void (source?.cleanup() ?? Promise.resolve()).finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
        }
      };
      process.once("SIGTERM", onSignal);
      process.once("SIGINT", onSignal);
      try {
        const timeoutS = numberFlag(flags.timeout, "--timeout", { min: 0.001, fraction: true });
        const opts = scoringOptions({
          modelUri: flags.modelUri,
          host: flags.host,
          port: numberFlag(flags.port, "--port"),
          workers: numberFlag(flags.workers, "--workers"),
          maxBatchSize: numberFlag(flags.maxBatchSize, "--max-batch-size", { min: 1 }),
          maxWaitMs: numberFlag(flags.maxWaitMs, "--max-wait-ms", { fraction: true }),
          maxQueue: numberFlag(flags.maxQueue, "--max-queue", { min: 1 }),
          maxQueueWaitMs: numberFlag(flags.maxQueueWaitMs, "--max-queue-wait-ms", { fraction: true }),
          timeoutMs: timeoutS !== undefined ? timeoutS * 1000 : numberFlag(flags.timeoutMs, "--timeout-ms", { min: 1 }),
          drainSeconds: numberFlag(flags.drainSeconds, "--drain-seconds", { fraction: true }),
          maxBodyBytes: Math.round(numberFlag(flags.maxBodyMb, "--max-body-mb", { min: 0.001, fraction: true })! * 1024 * 1024),
          maxInflightBytes: Math.round(numberFlag(flags.maxInflightMb, "--max-inflight-mb", { min: 1, fraction: true })! * 1024 * 1024),
          logRequests: flags.logRequests,
          logSampleRate: sampleRateFlag(flags.logSampleRate),
          logEndpoint: flags.logEndpoint,
          logDeployment: flags.logDeployment,
          trackingUri: flags.trackingUri,
          modelName: flags.modelName,
          modelVersion: flags.modelVersion,
          ...withBatchesPerWorker(runtimeChoice(flags), numberFlag(flags.batchesPerWorker, "--batches-per-worker", { min: 1 })),
          tracing: otlpTracing("ciclo-model-server", flags.otlpEndpoint),
        });
        source = await resolveModelSource(opts.modelUri, { trackingUri: opts.trackingUri });
        if (stopping) return; // a signal came during the download: its handler cleans up and exits
        try {
          server = await startScoringServer(opts, source);
        } catch (err) {
          throw listenError(err, opts.host, opts.port);
        }
        try {
          await server.ready;
        } catch (err) {
          jsonLog("ciclo scoring server failed to load the model", { error: (err as Error).message });
          await server.drain(); // removes the downloaded model too
          throw err;
        }
      } catch (err) {
        await source?.cleanup().catch(() => undefined);
        reportError(err, "models serve");
        process.exit(process.exitCode === undefined ? 1 : Number(process.exitCode));
      }
    });
}

/** A listen failure in words that say what to do. */
function listenError(err: unknown, host: string, port: number): unknown {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === "EADDRINUSE") {
    return new Error(
      `Port ${port} on ${host} is already in use (by another model server, or a tracking server if it is 5000). ` + `Pass another port with -p <port>, or -p 0 for any free port.`,
    );
  }
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND" || code === "EAI_AGAIN") return new Error(`Cannot listen on ${host}:${port} (${code}): pass an address of this machine with -h, such as 127.0.0.1 or 0.0.0.0.`);
  if (code === "EACCES") return new Error(`Not allowed to listen on port ${port} (${code}): ports below 1024 need privileges; pass -p 8080 or another.`);
  return err;
}
