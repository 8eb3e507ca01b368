/** `ciclo server`: the tracking server (MLflow's flag names). */
import type { Command } from "commander";
import { pino } from "pino";
import { resolveServerConfig } from "../../server/config.js";
import { closeOnSignals, startServer } from "../../server/main.js";

export function registerServerCommand(program: Command): void {
  program
    .command("server")
    .description("Run the ciclo server: MLflow-compatible REST API (and UI) on one port")
    .option("--backend-store-uri <uri>", "metadata store: sqlite:///path.db or postgresql://user@host/db", undefined)
    .option("--default-artifact-root <uri>", "artifact root for new experiments (default: mlflow-artifacts:/ when serving artifacts)")
    .option("--artifacts-destination <uri>", "where proxied artifacts are stored", undefined)
    .option("--no-serve-artifacts", "do not proxy artifacts; clients write to the artifact root themselves")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("-p, --port <port>", "port to listen on", "5000")
    .option("--log-level <level>", "trace, debug, info, warn, error", "info")
    .option("--shutdown-timeout <seconds>", "on SIGTERM, how long in-flight requests may take before their connections are closed", "30")
    .addHelpText(
      "after",
      `
Defaults: sqlite:///./ciclo-data/ciclo.db and ./ciclo-data/artifacts.
With --port 0 the system picks a free port; the "ciclo server listening" log line
(JSON on stdout) carries the address in its "url" field.

Examples:
  $ ciclo server
  $ ciclo server --port 5001 --host 0.0.0.0
  $ ciclo server --backend-store-uri postgresql://ciclo@db:5432/ciclo --default-artifact-root s3://bucket/ciclo
  $ MLFLOW_TRACKING_URI=http://127.0.0.1:5000 python train.py`,
    )
    .action(async (opts: Record<string, string | boolean | undefined>) => {
      const config = resolveServerConfig({
        backendStoreUri: opts.backendStoreUri as string | undefined,
        defaultArtifactRoot: opts.defaultArtifactRoot as string | undefined,
        artifactsDestination: opts.artifactsDestination as string | undefined,
        serveArtifacts: opts.serveArtifacts as boolean,
        host: opts.host as string,
        port: opts.port as string,
        logLevel: opts.logLevel as string,
      });
      const log = pino({ level: config.logLevel, base: { service: "ciclo" } });
      const server = await startServer(config, log);
      closeOnSignals(server, log, Number(opts.shutdownTimeout) * 1000);
    });
}
