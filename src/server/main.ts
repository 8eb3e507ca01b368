/**
 * Starts ciclo's server: opens (and migrates) the stores, builds the app,
 * listens, and shuts down gracefully — in-flight requests finish and the
 * database is closed cleanly on SIGTERM/SIGINT.
 * @module
 */
import type { FastifyInstance } from "fastify";
import { pino, type Logger } from "pino";
import { openArtifactRepository } from "../artifacts/artifact-repositories.js";
import { openStores, redactUri, type OpenedStores } from "../store/open-store.js";
import { SqlTrackingInsightsStore } from "../store/sql/sql-tracking-insights-store.js";
import { buildApp } from "./app.js";
import { resolveJobsConfig, type ServerConfig } from "./config.js";
import { CICLO_VERSION } from "./version.js";
import { locateUiAssets } from "./ui-assets.js";
import { buildServerJobs, type ServerJobs } from "./server-jobs.js";
import type { JobRegistry } from "../jobs/job-types.js";

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  /** The job runner's service and worker (see docs/jobs.md). */
  jobs: ServerJobs;
  /**
   * Stops accepting connections and leasing jobs, waits for in-flight
   * requests and running jobs (`config.jobs.drainMs`, then they are given
   * back), closes the stores.
   */
  close(): Promise<void>;
}

export interface StartOptions {
  /** More job types, schedules and event subscribers for this process (tests, embedders). */
  jobs?(registry: JobRegistry, stores: OpenedStores): void;
}

export async function startServer(config: ServerConfig, logger?: Logger, opts: StartOptions = {}): Promise<RunningServer> {
  const log = logger ?? pino({ level: config.logLevel, base: { service: "ciclo" } });
  const started = performance.now();
  // MLflow compat: with --no-serve-artifacts the proxied routes answer "disabled"; run roots are still served.
  const destination = config.serveArtifacts ? await openArtifactRepository(config.artifactsDestination) : undefined;
  const stores = await openStores(config.backendStoreUri, { defaultArtifactRoot: config.defaultArtifactRoot, backgroundCheckpoints: true });
  if (stores.migration && stores.migration.applied.length > 0) {
    log.info({ applied: stores.migration.applied, schema: stores.migration.to }, "database schema upgraded");
  }
  const jobsConfig = config.jobs ?? resolveJobsConfig({});
  const jobs = buildServerJobs({ config: jobsConfig, stores, destination, logger: log, extend: opts.jobs && ((r) => opts.jobs!(r, stores)) });
  const uiAssets = locateUiAssets();
  if (!uiAssets) log.warn("web UI not built (dist/ui is missing): run `npm run build:ui`; the API is served as usual");
  const app = await buildApp({
    trackingStore: stores.tracking,
    logger: log,
    artifacts: { destination },
    registryStore: stores.registry,
    loggedModelStore: stores.loggedModels,
    insightsStore: new SqlTrackingInsightsStore(stores.connection),
    jobs: jobs.service,
    ui: uiAssets ? { assetsDir: uiAssets } : undefined,
    // Model-version sources must lie in the artifact store (MLflow's LFI CVEs): these are its roots.
    artifactRoots: {
      defaultArtifactRoot: config.defaultArtifactRoot,
      artifactsDestination: config.serveArtifacts ? config.artifactsDestination : undefined,
    },
  });
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await Promise.all([app.close(), jobs.worker?.stop(jobsConfig.drainMs)]);
      await stores.tracking.close();
    })());
  try {
    // SQLite: the one server runs the jobs; PostgreSQL: every replica does, sharing them.
    await jobs.worker?.start();
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    await close();
    throw err;
  }
  const addr = app.server.address();
  const port = typeof addr === "object" && addr ? addr.port : config.port;
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
  log.info(
    {
      url,
      version: CICLO_VERSION,
      backendStore: redactUri(config.backendStoreUri),
      defaultArtifactRoot: config.defaultArtifactRoot,
      artifactsDestination: destination ? config.artifactsDestination : undefined,
      startupMs: Math.round(performance.now() - started),
      jobWorker: jobs.worker?.runner.workerId,
    },
    "ciclo server listening",
  );
  return { app, url, jobs, close };
}

/**
 * Closes the server on SIGTERM/SIGINT; a second signal exits at once. Requests
 * still open after `drainTimeoutMs` (a client that never finishes its body)
 * have their connections closed so shutdown cannot hang.
 */
export function closeOnSignals(server: RunningServer, log: Pick<Logger, "info" | "error" | "warn">, drainTimeoutMs = 30_000): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info({ signal, drainTimeoutMs }, "shutting down: finishing in-flight requests");
    const timer = setTimeout(() => {
      log.warn("drain timeout reached: closing the remaining connections");
      server.app.server.closeAllConnections();
    }, drainTimeoutMs);
    timer.unref();
    server.close().then(
      () => {
        log.info("shutdown complete");
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}
