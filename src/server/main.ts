/**
 * Starts ciclo's server: opens (and migrates) the stores, builds the app,
 * listens, and shuts down gracefully — in-flight requests finish and the
 * database is closed cleanly on SIGTERM/SIGINT.
 * @module
 */
import { createServer } from "node:net";
import type { FastifyInstance } from "fastify";
import { pino, type Logger } from "pino";
import { migrateToLatest, migrationSequence } from "../store/migrations/migrator.js";
import { openConnection, redactUri } from "../store/open-store.js";
import { inboxOf } from "../store/sql/tracking/metric-inbox.js";
import { buildApp, moduleServices } from "./app.js";
import { assertSafeExposure, type ServerConfig } from "./config.js";
import type { CicloModule, ModuleServices } from "./module.js";
import { CICLO_VERSION } from "../shared/node/version.js";

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  /** What the modules provide (the job service for tests, ...). */
  services: Partial<ModuleServices>;
  /** Stops accepting connections, waits for in-flight requests, stops the modules, closes the database. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** The capabilities to serve (`serverModules()` from `src/modules.ts`). */
  modules: readonly CicloModule[];
  logger?: Logger;
}

export async function startServer(config: ServerConfig, opts: StartOptions): Promise<RunningServer> {
  assertSafeExposure(config);
  await assertPortFree(config.host, config.port);
  const log = opts.logger ?? pino({ level: config.logLevel, base: { service: "ciclo" } });
  const started = performance.now();
  const db = await openConnection(config.backendStoreUri, { backgroundCheckpoints: true });
  let app: FastifyInstance | undefined;
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      try {
        await app?.close();
        // What waits in the metric inbox goes into the history now; if that fails, it stays for the next start.
        await inboxOf(db.dialect)
          ?.close()
          .catch((err: unknown) => log.warn({ err }, "metric inbox not folded at shutdown"));
      } finally {
        await db.db.destroy();
      }
    })());
  try {
    const migration = await migrateToLatest(db.db, db.dialect.name, undefined, migrationSequence(opts.modules));
    if (migration.applied.length > 0) log.info({ applied: migration.applied, schema: migration.to }, "database schema upgraded");
    if (db.dialect.name === "postgres") {
      const { readSettings, settingsWarnings } = await import("../store/postgres/postgres-settings.js");
      for (const w of settingsWarnings(await readSettings(db.db))) log.warn(w);
    }
    app = await buildApp({
      modules: opts.modules,
      db,
      logger: log,
      network: config.network,
      staticPrefix: config.staticPrefix,
      prometheus: config.prometheus,
      settings: {
        defaultArtifactRoot: config.defaultArtifactRoot,
        // MLflow compat: with --no-serve-artifacts the proxied routes answer "disabled"; run roots are still served.
        artifactsDestination: config.serveArtifacts ? config.artifactsDestination : undefined,
      },
    });
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
      artifactsDestination: config.serveArtifacts ? config.artifactsDestination : undefined,
      startupMs: Math.round(performance.now() - started),
    },
    "ciclo server listening",
  );
  return { app, url, services: moduleServices(app), close };
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

/**
 * Fails before anything starts when the port is taken. Fastify binds the port after the app is ready, and modules
 * start on ready: a second `ciclo server` on a busy port would otherwise migrate the database and stop the model
 * servers the running one supervises (its replica records look left behind) before failing with EADDRINUSE.
 */
async function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        err.code === "EADDRINUSE"
          ? new Error(`Port ${port} on ${host} is already in use (another ciclo server?): stop that process, or pass --port <another port>. Nothing was started.`)
          : err,
      ),
    );
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
