/**
 * `--expose-prometheus`: `GET /metrics` in Prometheus' text format — the
 * process's default metrics and one request-duration histogram labelled by
 * method, route and status, as MLflow's prometheus_flask_exporter offers.
 * @module
 */
import type { FastifyInstance } from "fastify";
import { collectDefaultMetrics, Histogram, Registry } from "prom-client";
import { access } from "./route-access.js";

export function exposePrometheus(app: FastifyInstance): void {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "ciclo_" });
  const duration = new Histogram({
    name: "ciclo_http_request_duration_seconds",
    help: "HTTP request duration by method, route and status",
    labelNames: ["method", "route", "status"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  app.addHook("onResponse", async (req, reply) => {
    // The route pattern, not the URL: ids and paths would make a series per request.
    const route = req.routeOptions.url ?? "unmatched";
    duration.observe({ method: req.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  app.get("/metrics", { config: access("server", "public") }, async (_req, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
}
