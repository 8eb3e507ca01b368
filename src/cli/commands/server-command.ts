/** `ciclo server`: the tracking server (MLflow's flag names). */
import type { Command } from "commander";
import { pino } from "pino";
import { resolveServerConfig, type MonitoringConfig } from "../../server/config.js";
import { closeOnSignals, startServer } from "../../server/main.js";
import { UsageError } from "../output/cli-errors.js";
import { serverBanner } from "../output/server-banner.js";
import { redactUri } from "../../store/open-store.js";
import { CICLO_VERSION } from "../../shared/node/version.js";
import { parseDuration } from "../output/format.js";

function age(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new UsageError(`${flag} expects an age like 30d, 12h or 90m, got '${text}'.`);
  return ms;
}
import { serverModules } from "../../modules.js";
import { OTLP_FLAG, OTLP_FLAG_HELP, otlpTracing } from "./otlp-flag.js";

/** `--monitor-*` flags (and their `CICLO_MONITOR_*` variables with units, e.g. `CICLO_MONITOR_RETENTION=90d`) in the config's units. */
function monitoringFlags(opts: Record<string, string | boolean | undefined>): Partial<MonitoringConfig> {
  const env = process.env;
  const text = (flag: string, key: string, envName: string) => (opts[key] as string | undefined) ?? (env[envName] || undefined);
  const duration = (flag: string, key: string, envName: string) => {
    const t = text(flag, key, envName);
    return t === undefined ? undefined : age(flag, t);
  };
  const number = (flag: string, key: string, envName: string) => {
    const t = text(flag, key, envName);
    if (t === undefined) return undefined;
    const n = Number(t);
    if (t.trim() === "" || !Number.isFinite(n)) throw new UsageError(`${flag} expects a number, got '${t}'.`);
    return n;
  };
  const allow = text("--monitor-webhook-allow", "monitorWebhookAllow", "CICLO_MONITOR_WEBHOOK_ALLOW");
  return {
    sampleRate: number("--monitor-sample-rate", "monitorSampleRate", "CICLO_MONITOR_SAMPLE_RATE"),
    retentionMs: duration("--monitor-retention", "monitorRetention", "CICLO_MONITOR_RETENTION"),
    flushIntervalMs: duration("--monitor-flush-interval", "monitorFlushInterval", "CICLO_MONITOR_FLUSH_INTERVAL"),
    segmentRequests: number("--monitor-segment-requests", "monitorSegmentRequests", "CICLO_MONITOR_SEGMENT_REQUESTS"),
    maxBuffered: number("--monitor-buffer", "monitorBuffer", "CICLO_MONITOR_BUFFER"),
    tickCron: text("--monitor-tick", "monitorTick", "CICLO_MONITOR_TICK"),
    retentionCron: text("--monitor-retention-schedule", "monitorRetentionSchedule", "CICLO_MONITOR_RETENTION_SCHEDULE"),
    webhookTimeoutMs: duration("--monitor-webhook-timeout", "monitorWebhookTimeout", "CICLO_MONITOR_WEBHOOK_TIMEOUT"),
    webhookAllow: allow === undefined ? undefined : allow.split(",").map((s) => s.trim()).filter(Boolean),
  };
}

/** The leftover words of an `mlflow server` command line ciclo does not know (`--gunicorn-opts "..."`, `--dev`). */
export function ignoredArguments(args: readonly string[]): string[] {
  return args.filter((a) => a !== "");
}

export function registerServerCommand(program: Command): void {
  program
    .command("server")
    .description("Run the ciclo server: MLflow-compatible REST API (and UI) on one port")
    .option("--backend-store-uri <uri>", "metadata store: sqlite:///path.db or postgresql://user@host/db", undefined)
    .option("--default-artifact-root <uri>", "artifact root for new experiments (default: mlflow-artifacts:/ when serving artifacts)")
    .option("--artifacts-destination <uri>", "where proxied artifacts are stored", undefined)
    .option("--serve-artifacts", "proxy artifacts through the server (the default)")
    .option("--no-serve-artifacts", "do not proxy artifacts; clients write to the artifact root themselves")
    .option("--registry-store-uri <uri>", "accepted for `mlflow server` compatibility: must equal --backend-store-uri (ciclo keeps the registry there)")
    .option("--artifacts-only", "serve only the proxied artifact API (/api/2.0/mlflow-artifacts); tracking and registry answer 503")
    .option("-h, --host <host>", "address to listen on (default 127.0.0.1; $CICLO_HOST)")
    .option("-p, --port <port>", "port to listen on (default 5000; $CICLO_PORT)")
    .option("-w, --workers <n>", "accepted for `mlflow server` compatibility: ciclo is one process (see docs/compatibility.md)")
    .option("--static-prefix <prefix>", "serve every route under this path prefix, e.g. /mlflow")
    .option("--expose-prometheus <dir>", "serve Prometheus metrics at /metrics (the folder, MLflow's multiprocess store, is not needed)")
    .option("--allowed-hosts <list>", "comma-separated Host header patterns to accept (default: localhost, 127.0.0.1, private IPs and --host; '*' for any; $MLFLOW_SERVER_ALLOWED_HOSTS)")
    .option("--cors-allowed-origins <list>", "comma-separated origins whose browser pages may call the API (default: http(s)://localhost:*, 127.0.0.1; $MLFLOW_SERVER_CORS_ALLOWED_ORIGINS)")
    .option("--log-level <level>", "trace, debug, info, warn, error (default info; $CICLO_LOG_LEVEL)")
    .option("--auth", "require sign-in and check permissions on every request ($CICLO_AUTH=1; docs/auth.md)")
    .option("--app-name <name>", "MLflow's spelling: 'basic-auth' turns authentication on (reads MLFLOW_AUTH_CONFIG_PATH)")
    .option("--insecure", "allow a non-loopback --host without authentication (a proxy in front authenticates)")
    .option("--oidc-issuer <url>", "single sign-on: the OpenID provider's issuer URL ($CICLO_OIDC_ISSUER; more settings in docs/auth.md)")
    .option("--oidc-client-id <id>", "single sign-on: ciclo's client id at the provider ($CICLO_OIDC_CLIENT_ID; secret: $CICLO_OIDC_CLIENT_SECRET or $CICLO_OIDC_CLIENT_SECRET_NAME)")
    .option("--shutdown-timeout <seconds>", "on SIGTERM, how long in-flight requests and running jobs may take before connections are closed and jobs given back", "30")
    .option("--no-jobs", "run no background jobs in this process (an API-only replica; $CICLO_JOBS=0)")
    .option("--job-concurrency <n>", "jobs run at once by this process (default 4; $CICLO_JOB_CONCURRENCY)")
    .option("--job-retention <age>", "delete finished jobs after this long: 30d, 12h (default 30d; $CICLO_JOB_RETENTION)")
    .option("--gc-schedule <cron>", "purge deleted experiments/runs/models on this cron, e.g. '0 3 * * *' ($CICLO_GC_SCHEDULE; default: never)")
    .option("--gc-older-than <age>", "what the scheduled gc purges: deleted at least this long ago (default 30d; $CICLO_GC_OLDER_THAN)")
    .option("--k8s-namespace <ns>", "deploy `--target kubernetes` deployments, and run `runs-on: kubernetes` pipeline steps as Jobs, in this namespace, using $KUBECONFIG, ~/.kube/config or the pod's service account ($CICLO_K8S_NAMESPACE; docs/deployments.md, docs/pipelines.md)")
    .option("--k8s-tracking-uri <url>", "the server's URL as pods of `runs-on: kubernetes` pipeline steps reach it, e.g. http://ciclo.mlops.svc:5000 (default: the address it listens on; $CICLO_K8S_TRACKING_URI)")
    .option("--k8s-image <template>", "model-server image of a version for the kubernetes target; {model} and {version} are replaced (default {model}:{version}; $CICLO_K8S_IMAGE)")
    .option(OTLP_FLAG, `${OTLP_FLAG_HELP}; the model servers of local deployments export there too`)
    .option("--monitor-sample-rate <share>", "monitoring: share of inference requests kept, in (0, 1] (default 1; $CICLO_MONITOR_SAMPLE_RATE)")
    .option("--monitor-retention <age>", "monitoring: delete inference segments and labels after this long (default 30d; $CICLO_MONITOR_RETENTION)")
    .option("--monitor-flush-interval <age>", "monitoring: write buffered requests to a Parquet segment at least this often (default 10s; $CICLO_MONITOR_FLUSH_INTERVAL)")
    .option("--monitor-segment-requests <n>", "monitoring: ...or as soon as this many requests wait (default 5000; $CICLO_MONITOR_SEGMENT_REQUESTS)")
    .option("--monitor-buffer <n>", "monitoring: requests held at most while a segment is written; past it they are dropped and counted (default 50000; $CICLO_MONITOR_BUFFER)")
    .option("--monitor-tick <cron>", "monitoring: when due monitors are enqueued to run (default '* * * * *'; $CICLO_MONITOR_TICK)")
    .option("--monitor-retention-schedule <cron>", "monitoring: when the retention job runs (default '17 * * * *'; $CICLO_MONITOR_RETENTION_SCHEDULE)")
    .option("--monitor-webhook-timeout <age>", "monitoring: how long an alert webhook may take to answer (default 5s; $CICLO_MONITOR_WEBHOOK_TIMEOUT)")
    .option("--monitor-webhook-allow <list>", "monitoring: comma-separated host:port webhook receivers allowed on internal addresses (default none; $CICLO_MONITOR_WEBHOOK_ALLOW)")
    .helpOption("--help", "display help for command")
    // MLflow compat: gunicorn/uvicorn/waitress options and other `mlflow server` flags ciclo has no use for
    // are accepted with a warning, so existing units and charts start unchanged.
    .allowUnknownOption()
    .allowExcessArguments()
    .addHelpText(
      "after",
      `
Defaults: sqlite:///./ciclo-data/ciclo.db and ./ciclo-data/artifacts; no
authentication, so only loopback addresses are served unless --auth (or
--insecure) is given.
Options of \`mlflow server\` ciclo does not need (--gunicorn-opts, --uvicorn-opts,
--waitress-opts, --dev, ...) are accepted with a warning.
With --port 0 the system picks a free port; the "ciclo server listening" log line
(JSON on stdout) carries the address in its "url" field. At a terminal the server
also prints the address, where its data lives and the MLFLOW_TRACKING_URI to set
(on stderr).

Examples:
  $ ciclo server
  $ MLFLOW_AUTH_CONFIG_PATH=./basic_auth.ini ciclo server --app-name basic-auth --host 0.0.0.0
  $ CICLO_ADMIN_USERNAME=admin CICLO_ADMIN_PASSWORD=... ciclo server --auth --host 0.0.0.0
  $ ciclo server --host 0.0.0.0 --insecure      # only behind a proxy that authenticates
  $ CICLO_OIDC_CLIENT_SECRET_NAME=oidc.secret CICLO_OIDC_ADMIN_GROUPS=ml-admins ciclo server --auth \\
      --oidc-issuer https://login.example.com/realms/team --oidc-client-id ciclo
  $ ciclo server --backend-store-uri postgresql://ciclo@db:5432/ciclo --default-artifact-root s3://bucket/ciclo
  $ ciclo server --gc-schedule '0 3 * * *' --gc-older-than 30d
  $ ciclo server --host 0.0.0.0 --allowed-hosts 'mlflow.internal:5000,10.*' --cors-allowed-origins https://notebook.internal
  $ ciclo server --artifacts-only --artifacts-destination s3://bucket/artifacts
  $ ciclo server --otlp-endpoint http://otel-collector:4318   # traces of /endpoints/... requests
  $ ciclo server --k8s-namespace models --k8s-image registry.example.com/models/{model}:{version}
  $ ciclo server --host 0.0.0.0 --auth --k8s-namespace ml-jobs --k8s-tracking-uri http://ciclo.mlops.svc:5000
  $ ciclo server --monitor-sample-rate 0.1 --monitor-retention 90d --monitor-webhook-allow alerts.internal:8443
  $ MLFLOW_TRACKING_URI=http://127.0.0.1:5000 python train.py

Background jobs (docs/jobs.md) run inside the server: on SQLite in the one
process, on PostgreSQL in every replica, which share them. 'ciclo jobs list'
shows them.`,
    )
    .action(async (opts: Record<string, string | boolean | undefined>, command: Command) => {
      const ignored = ignoredArguments(command.args);
      const config = resolveServerConfig({
        backendStoreUri: opts.backendStoreUri as string | undefined,
        defaultArtifactRoot: opts.defaultArtifactRoot as string | undefined,
        artifactsDestination: opts.artifactsDestination as string | undefined,
        serveArtifacts: opts.serveArtifacts as boolean,
        registryStoreUri: opts.registryStoreUri as string | undefined,
        artifactsOnly: opts.artifactsOnly === true,
        staticPrefix: opts.staticPrefix as string | undefined,
        exposePrometheus: opts.exposePrometheus as string | undefined,
        allowedHosts: opts.allowedHosts as string | undefined,
        corsAllowedOrigins: opts.corsAllowedOrigins as string | undefined,
        host: opts.host as string | undefined,
        port: opts.port as string | undefined,
        logLevel: opts.logLevel as string | undefined,
        auth: opts.auth === true ? true : undefined,
        appName: opts.appName as string | undefined,
        insecure: opts.insecure === true ? true : undefined,
        oidcIssuer: opts.oidcIssuer as string | undefined,
        oidcClientId: opts.oidcClientId as string | undefined,
        runJobs: opts.jobs === false ? false : undefined,
        jobConcurrency: opts.jobConcurrency as string | undefined,
        jobDrainMs: Number(opts.shutdownTimeout) * 1000,
        jobRetentionMs: age("--job-retention", (opts.jobRetention as string | undefined) ?? process.env.CICLO_JOB_RETENTION ?? "30d"),
        gcSchedule: opts.gcSchedule as string | undefined,
        gcOlderThanMs: age("--gc-older-than", (opts.gcOlderThan as string | undefined) ?? process.env.CICLO_GC_OLDER_THAN ?? "30d"),
        monitoring: monitoringFlags(opts),
      });
      config.tracing = otlpTracing("ciclo-server", opts.otlpEndpoint as string | undefined);
      const k8sNamespace = (opts.k8sNamespace as string | undefined) ?? (process.env.CICLO_K8S_NAMESPACE || undefined);
      if (k8sNamespace !== undefined) {
        if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(k8sNamespace)) throw new UsageError(`--k8s-namespace '${k8sNamespace.slice(0, 80)}' is not a Kubernetes namespace name (lowercase letters, digits and '-', at most 63).`);
        const trackingUri = (opts.k8sTrackingUri as string | undefined) ?? (process.env.CICLO_K8S_TRACKING_URI || undefined);
        if (trackingUri !== undefined && !/^https?:\/\/[^\s/]+/.test(trackingUri)) throw new UsageError(`--k8s-tracking-uri '${trackingUri.slice(0, 80)}' is not an http(s) URL.`);
        config.kubernetes = { namespace: k8sNamespace, imageTemplate: (opts.k8sImage as string | undefined) ?? (process.env.CICLO_K8S_IMAGE || undefined), ...(trackingUri && { trackingUri }) };
      } else if (opts.k8sImage !== undefined) throw new UsageError("--k8s-image needs --k8s-namespace (the kubernetes target is off without it).");
      else if (opts.k8sTrackingUri !== undefined) throw new UsageError("--k8s-tracking-uri needs --k8s-namespace (pipeline steps run on Kubernetes only with it).");
      const log = pino({ level: config.logLevel, base: { service: "ciclo" } });
      if (ignored.length > 0) log.warn({ ignored }, `ignoring options ciclo server does not use: ${ignored.join(" ")}`);
      if (opts.workers !== undefined && opts.workers !== "1") {
        log.warn({ workers: opts.workers }, "--workers: ciclo serves from one process (Node's event loop); run replicas on PostgreSQL to scale out");
      }
      const server = await startServer(config, { modules: serverModules(config), logger: log });
      closeOnSignals(server, log, Number(opts.shutdownTimeout) * 1000);
      if (process.stderr.isTTY) {
        const artifacts = config.serveArtifacts ? config.artifactsDestination : undefined;
        process.stderr.write(serverBanner({ url: server.url, version: CICLO_VERSION, backendStore: redactUri(config.backendStoreUri), artifacts, auth: config.auth?.enabled === true }));
      }
    });
}
