/**
 * The endpoints' own URLs in `ciclo server`: `/endpoints/{name}/invocations`
 * (MLflow's scoring protocol) and `/endpoints/{name}/v2/...` (the Open
 * Inference Protocol), handed to the router with the body as raw bytes (the
 * model server parses it), and `/metrics` with the router's series.
 *
 * Plain keep-alive scoring requests are answered below Fastify by the
 * router's fast path (router/fast-path.ts) when nothing the app does before
 * routing would change their answer (raw-request-gate.ts: no authentication,
 * no static prefix, a Host the network policy allows, no Origin); every other
 * request reaches these routes.
 * @module
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { access } from "../../server/http/route-access.js";
import { rawRequestGate } from "../../server/http/raw-request-gate.js";
import type { EndpointRouter } from "../router/endpoint-router.js";
import { installFastPath } from "../router/fast-path.js";

const BODY_LIMIT = 64 * 1024 * 1024;

export interface InvocationRouteOptions {
  /** Answer plain requests below Fastify (off when a hook must see every request: authentication). */
  fastPath: boolean;
}

export function registerInvocationRoutes(app: FastifyInstance, router: EndpointRouter, opts: InvocationRouteOptions): void {
  const gate = rawRequestGate(app);
  if (opts.fastPath && gate.bypassable) installFastPath(app.server, router, { bodyLimit: BODY_LIMIT, hostAllowed: gate.hostAllowed, observe: gate.observe });
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, body));
    const handle = async (req: FastifyRequest<{ Params: { name: string } }>, reply: FastifyReply) => {
      const url = req.raw.url ?? "";
      const prefix = `/endpoints/${encodeURIComponent(req.params.name)}`;
      // Names are [a-z0-9-] (validated), so the raw URL spells the prefix as is; anything else matches no endpoint.
      const path = url.startsWith(prefix) ? url.slice(prefix.length) || "/" : "/";
      const res = await router.invoke({ endpoint: req.params.name, path, method: req.method, headers: req.headers, body: req.body as Buffer | undefined });
      return reply.code(res.status).headers(res.headers).send(res.body);
    };
    scope.post("/endpoints/:name/invocations", { config: access("deployment", "read") }, handle);
    scope.route({ method: ["GET", "POST"], url: "/endpoints/:name/v2/*", config: access("deployment", "read"), handler: handle });
    scope.route({ method: ["GET", "POST"], url: "/endpoints/:name/v2", config: access("deployment", "read"), handler: handle });
    scope.get("/metrics", { config: access("server", "read") }, async (_req, reply) => {
      return reply.header("content-type", router.metrics.registry.contentType).send(await router.metrics.registry.metrics());
    });
  });
}
