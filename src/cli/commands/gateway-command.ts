/**
 * `ciclo gateway`: the router on its own, for scale-out in front of the
 * model servers. It reads the route table (weights, mirrors, ready replicas)
 * from a ciclo server's API and refreshes it every few seconds; it serves
 * `/endpoints/{name}/invocations`, `/endpoints/{name}/v2/...`, `/metrics` and
 * `/health`. Its log lines are JSON on stdout.
 * @module
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import type { Command } from "commander";
import { EndpointRouter } from "../../deployments/router/endpoint-router.js";
import { installFastPath } from "../../deployments/router/fast-path.js";
import { DeploymentsClient } from "../../sdk/deployments-client.js";
import { CliContext, parsePositiveInt, withCommonOptions, type CommonFlags } from "../output/cli-context.js";
import { cliAction, usageExitCodes } from "../output/cli-errors.js";
import { loadTracing } from "../../telemetry/tracing.js";
import { OTLP_FLAG, OTLP_FLAG_HELP, otlpTracing } from "./otlp-flag.js";

const PATH = /^\/endpoints\/([a-z0-9-]{1,64})(\/invocations|\/v2(?:\/.*)?)$/;
const MAX_BODY = 64 * 1024 * 1024;

const log = (msg: string, fields: Record<string, unknown> = {}) => process.stdout.write(`${JSON.stringify({ time: Date.now(), msg, ...fields })}\n`);

/** The request's body (events, not an async iterator: one promise per request, not one per chunk). */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        req.removeAllListeners("data");
        req.resume();
        reject(new Error("body too large"));
        return;
      }
      chunks.push(c);
    });
    req.once("end", () => resolve(chunks.length === 0 ? undefined : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.once("error", reject);
  });
}

export function registerGatewayCommand(program: Command): void {
  usageExitCodes(
    withCommonOptions(program.command("gateway"), { json: false })
      .description("Run the endpoint router standalone, reading its routes from a ciclo server")
      .option("-h, --host <host>", "address to listen on", "127.0.0.1")
      .option("-p, --port <port>", "port to listen on (0 = any free port)", "8080")
      .option("--refresh-ms <ms>", "how often to re-read the route table", "2000")
      .option(OTLP_FLAG, OTLP_FLAG_HELP)
      .addHelpText(
        "after",
        `
The server (--tracking-uri) runs the deployments; the gateway only routes to
their ready replicas, by the same rules as the server's own /endpoints/...
(weights, ciclo-deployment header, sticky header, mirrors). Run several
behind a load balancer to scale out.

Examples:
  $ ciclo gateway --tracking-uri http://ciclo:5000 --port 8080
  $ ciclo gateway --tracking-uri http://ciclo:5000 --otlp-endpoint http://otel-collector:4318
  $ curl -X POST localhost:8080/endpoints/fraud/invocations -H 'content-type: application/json' -d '{"inputs": [[1, 2]]}'`,
      ),
  ).action(
    cliAction("gateway", async (f: CommonFlags & { host: string; port: string; refreshMs: string; otlpEndpoint?: string }) => {
      const cli = new CliContext(f);
      const client = new DeploymentsClient({ trackingUri: cli.trackingUri });
      const tracing = await loadTracing(otlpTracing("ciclo-gateway", f.otlpEndpoint));
      const router = new EndpointRouter({ tracing });
      const load = async () => {
        const t = await client.routeTable();
        router.setTable(
          t.endpoints.map((e) => ({
            name: e.name,
            stickyHeader: e.sticky_header,
            deployments: e.deployments.map((d) => ({ name: d.name, modelVersion: d.model_version, weight: d.weight, mirror: d.mirror, urls: d.urls })),
          })),
        );
      };
      await load();
      const every = parsePositiveInt(f.refreshMs, "--refresh-ms") ?? 2000;
      const timer = setInterval(() => void load().catch((err: Error) => log("ciclo gateway: route refresh failed", { error: err.message })), every);
      const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
        const url = req.url ?? "/";
        if (url === "/health") return void res.writeHead(200, { "content-type": "text/plain" }).end("OK");
        if (url === "/metrics") {
          void router.metrics.registry.metrics().then((m) => res.writeHead(200, { "content-type": router.metrics.registry.contentType }).end(m));
          return;
        }
        const m = PATH.exec(url.split("?")[0]);
        if (!m) return void res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error_code: "ENDPOINT_NOT_FOUND", message: `No route for ${req.method} ${url.slice(0, 200)}` }));
        readBody(req)
          .then((body) => router.invoke({ endpoint: m[1], path: url.slice(`/endpoints/${m[1]}`.length), method: req.method ?? "GET", headers: req.headers, body }))
          .then(
            (r) => res.writeHead(r.status, r.headers).end(r.body),
            (err: Error) => res.writeHead(413, { "content-type": "application/json" }).end(JSON.stringify({ error_code: "BAD_REQUEST", message: err.message })),
          );
      });
      // Plain keep-alive scoring requests are answered on the sockets (router/fast-path.ts); the handler above takes the rest.
      installFastPath(server, router, { bodyLimit: MAX_BODY });
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(Number(f.port), f.host, () => resolve());
      });
      const a = server.address() as AddressInfo;
      log("ciclo gateway listening", { url: `http://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`, server: cli.trackingUri });
      await new Promise<void>((resolve) => {
        const stop = () => {
          clearInterval(timer);
          server.close(() => resolve());
          server.closeIdleConnections();
        };
        process.once("SIGTERM", stop);
        process.once("SIGINT", stop);
      });
      await router.close();
      await tracing?.shutdown().catch(() => undefined);
      log("ciclo gateway stopped");
    }),
  );
}
