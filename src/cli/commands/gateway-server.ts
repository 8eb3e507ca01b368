/**
 * The running part of `ciclo gateway` (the command parses flags and waits
 * for a signal): the router, its route table read from a ciclo server's API
 * and refreshed every few seconds, the HTTP server with the router's fast
 * path, `/metrics` and `/health`, and — when the server keeps inference
 * logs — the gateway's own inference log (gateway-inference-log.ts).
 * @module
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { EndpointRouter } from "../../deployments/router/endpoint-router.js";
import { installFastPath } from "../../deployments/router/fast-path.js";
import { DeploymentsClient } from "../../sdk/deployments-client.js";
import { hostChecker, INVALID_HOST, isLoopbackAddress } from "../../shared/host-allow-list.js";
import type { Tracing } from "../../telemetry/tracing.js";
import { gatewayInferenceLog, type GatewayInferenceLog } from "./gateway-inference-log.js";

const PATH = /^\/endpoints\/([a-z0-9-]{1,64})(\/invocations|\/v2(?:\/.*)?)$/;
const MAX_BODY = 64 * 1024 * 1024;

export type GatewayLog = (msg: string, fields?: Record<string, unknown>) => void;

export interface GatewayOptions {
  /** The ciclo server it reads routes from (and posts inference logs to). */
  trackingUri: string;
  host: string;
  port: number;
  refreshMs: number;
  /** Log the requests it routes when the server keeps inference logs (false: the model servers log them). */
  inferenceLog: boolean;
  tracing?: Tracing;
  log: GatewayLog;
}

export interface Gateway {
  url: string;
  router: EndpointRouter;
  /** Stops taking requests, finishes those in flight, posts the inference records it holds. */
  close(): Promise<void>;
}

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

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const { log } = opts;
  const client = new DeploymentsClient({ trackingUri: opts.trackingUri });
  const router = new EndpointRouter({ tracing: opts.tracing });
  let inference: GatewayInferenceLog | undefined;
  let lastDropLog = 0;
  const onLogError = (err: unknown, records: number) => {
    // One line a minute at most: a server that refuses the posts refuses every one.
    if (Date.now() - lastDropLog < 60_000) return;
    lastDropLog = Date.now();
    log("ciclo gateway: inference records dropped (the monitoring API refused them)", { records, error: err instanceof Error ? err.message : String(err), droppedSoFar: inference?.dropped });
  };
  const load = async () => {
    const t = await client.routeTable();
    router.setTable(
      t.endpoints.map((e) => ({
        name: e.name,
        stickyHeader: e.sticky_header,
        deployments: e.deployments.map((d) => ({ name: d.name, modelName: d.model_name, modelVersion: d.model_version, weight: d.weight, mirror: d.mirror, urls: d.urls })),
      })),
    );
    // The server says whether it keeps inference logs; the replicas log whatever the gateway does not mark as logged.
    const wanted = opts.inferenceLog && t.inference_logging === true;
    if (wanted && !inference) {
      inference = gatewayInferenceLog({ trackingUri: opts.trackingUri, onError: onLogError });
      router.logTo(inference.feed);
      log("ciclo gateway: logging scoring requests to the server's monitoring API");
    } else if (!wanted && inference) {
      router.logTo(undefined);
      void inference.close().catch(() => undefined);
      inference = undefined;
    }
  };
  await load();
  const timer = setInterval(() => void load().catch((err: Error) => log("ciclo gateway: route refresh failed", { error: err.message })), opts.refreshMs);
  // On loopback (the default) the gateway serves this machine: a page re-pointing its own name at 127.0.0.1 (DNS
  // rebinding) sends its own Host, refused as `ciclo server` refuses it. Bound to another address, callers use
  // whatever name routes to it (a Kubernetes Service), so every Host is taken.
  const hostAllowed = isLoopbackAddress(opts.host) ? hostChecker() : undefined;
  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const url = req.url ?? "/";
    if (url === "/health") return void res.writeHead(200, { "content-type": "text/plain" }).end("OK");
    if (hostAllowed && !hostAllowed(req.headers.host ?? "")) {
      return void res.writeHead(403, { "content-type": "application/json" }).end(JSON.stringify({ error_code: "PERMISSION_DENIED", message: INVALID_HOST }));
    }
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
  installFastPath(server, router, { bodyLimit: MAX_BODY, hostAllowed });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(opts.port, opts.host, () => resolve());
    });
  } catch (err) {
    clearInterval(timer);
    await router.close();
    await inference?.close().catch(() => undefined);
    throw err;
  }
  const a = server.address() as AddressInfo;
  const url = `http://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    router,
    close: () =>
      (closing ??= (async () => {
        clearInterval(timer);
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await router.close();
        await inference?.close().catch(() => undefined);
      })()),
  };
}
