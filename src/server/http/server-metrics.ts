/**
 * `--expose-prometheus`: `GET /metrics` in Prometheus' text format — the
 * process's default metrics and one request-duration histogram labelled by
 * method, route and status, as MLflow's prometheus_flask_exporter offers.
 * @module
 */
import type { FastifyInstance } from "fastify";
import { collectDefaultMetrics, Histogram, Registry } from "prom-client";
import { access } from "./route-access.js";

/**
 * Starts timing requests (call before the modules register their routes); the returned function serves the
 * metrics once they have: at `GET /metrics`, or, when a module already serves `/metrics` (the deployments
 * router's series), appended to that answer -- one scrape target either way.
 */
export function exposePrometheus(app: FastifyInstance): { serve: () => void; observe: (method: string, route: string, status: number, seconds: number) => void } {
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
  // Appended to another module's /metrics answer (a string of Prometheus text).
  app.addHook("onSend", async (req, reply, payload) => {
    if (req.method !== "GET" || req.routeOptions.url !== "/metrics" || reply.statusCode !== 200 || typeof payload !== "string") return payload;
    if (reply.getHeader("x-ciclo-metrics") === "own") return payload;
    return `${payload.endsWith("\n") ? payload : `${payload}\n`}${await registry.metrics()}`;
  });
  // Requests answered below Fastify (raw-request-gate.ts) are counted here too, under the route the app would name.
  const observe = (method: string, route: string, status: number, seconds: number) => duration.observe({ method, route, status: String(status) }, seconds);
  const serve = () => {
    // A plugin, so it loads after the modules' own plugins (registration order): their routes exist by then.
    void app.register(async (scope) => {
      if (scope.hasRoute({ method: "GET", url: "/metrics" })) return;
      scope.get("/metrics", { config: access("server", "public") }, async (_req, reply) =>
        reply.type(registry.contentType).header("x-ciclo-metrics", "own").send(await registry.metrics()),
      );
    });
  };
  return { serve, observe };
}
