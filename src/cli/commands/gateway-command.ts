/**
 * `ciclo gateway`: the router on its own, for scale-out in front of the
 * model servers. It reads the route table (weights, mirrors, ready replicas)
 * from a ciclo server's API and refreshes it every few seconds; it serves
 * `/endpoints/{name}/invocations`, `/endpoints/{name}/v2/...`, `/metrics` and
 * `/health`. Its log lines are JSON on stdout. When the server keeps inference
 * logs, the gateway logs the scoring requests it routes to the server's
 * monitoring API (gateway-inference-log.ts), so the replicas do not. The
 * running part is gateway-server.ts.
 * @module
 */
import type { Command } from "commander";
import { CliContext, parsePositiveInt, withCommonOptions, type CommonFlags } from "../output/cli-context.js";
import { cliAction, usageExitCodes } from "../output/cli-errors.js";
import { loadTracing } from "../../telemetry/tracing.js";
import { OTLP_FLAG, OTLP_FLAG_HELP, otlpTracing } from "./otlp-flag.js";
import { startGateway } from "./gateway-server.js";

const log = (msg: string, fields: Record<string, unknown> = {}) => process.stdout.write(`${JSON.stringify({ time: Date.now(), msg, ...fields })}\n`);

export function registerGatewayCommand(program: Command): void {
  usageExitCodes(
    withCommonOptions(program.command("gateway"), { json: false })
      .description("Run the endpoint router standalone, reading its routes from a ciclo server")
      .option("-h, --host <host>", "address to listen on", "127.0.0.1")
      .option("-p, --port <port>", "port to listen on (0 = any free port)", "8080")
      .option("--refresh-ms <ms>", "how often to re-read the route table", "2000")
      .option("--no-inference-log", "leave inference logging to the model servers, even when the server keeps inference logs")
      .option(OTLP_FLAG, OTLP_FLAG_HELP)
      .addHelpText(
        "after",
        `
The server (--tracking-uri) runs the deployments; the gateway only routes to
their ready replicas, by the same rules as the server's own /endpoints/...
(weights, ciclo-deployment header, sticky header, mirrors). Run several
behind a load balancer to scale out. When the server keeps inference logs
(monitoring), the gateway posts the scoring requests it routes to the
server's monitoring API itself (its credentials need edit on registered
models) and the model servers skip them.

Examples:
  $ ciclo gateway --tracking-uri http://ciclo:5000 --port 8080
  $ ciclo gateway --tracking-uri http://ciclo:5000 --otlp-endpoint http://otel-collector:4318
  $ curl -X POST localhost:8080/endpoints/fraud/invocations -H 'content-type: application/json' -d '{"inputs": [[1, 2]]}'`,
      ),
  ).action(
    cliAction("gateway", async (f: CommonFlags & { host: string; port: string; refreshMs: string; inferenceLog: boolean; otlpEndpoint?: string }) => {
      const cli = new CliContext(f);
      const tracing = await loadTracing(otlpTracing("ciclo-gateway", f.otlpEndpoint));
      const refreshMs = parsePositiveInt(f.refreshMs, "--refresh-ms") ?? 2000;
      const gateway = await startGateway({ trackingUri: cli.trackingUri, host: f.host, port: Number(f.port), refreshMs, inferenceLog: f.inferenceLog, tracing, log });
      log("ciclo gateway listening", { url: gateway.url, server: cli.trackingUri });
      await new Promise<void>((resolve) => {
        process.once("SIGTERM", resolve);
        process.once("SIGINT", resolve);
      });
      await gateway.close();
      await tracing?.shutdown().catch(() => undefined);
      log("ciclo gateway stopped");
    }),
  );
}
