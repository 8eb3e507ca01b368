/**
 * The deployments API under `/api/ciclo/v1/`: endpoints, their deployments,
 * traffic, history, rollouts, logs, the A/B comparison, and the route table `ciclo gateway`
 * reads. Reading needs `read` on deployments; changes need `edit`; traffic
 * and rollouts (what clients get) need `manage`.
 * @module
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyRequest } from "fastify";
import { access } from "../../server/http/route-access.js";
import { InvalidParameterValueError } from "../../shared/errors.js";
import { AbQueryString, WireAbReport } from "../../shared/wire/ab-wire.js";
import * as S from "../../shared/wire/deployments-wire.js";
import type { AbService } from "../ab/ab-service.js";
import type { EndpointService } from "../endpoints/endpoint-service.js";
import type { RolloutService } from "../rollouts/rollout-service.js";
import { abToWire, deploymentToWire, endpointToWire, historyToWire, rolloutToWire, type HealthOf } from "./deployments-presenter.js";

export interface DeploymentRoutesOptions {
  service: EndpointService;
  rollouts: RolloutService;
  ab: AbService;
  health: HealthOf;
  logs(endpoint: string, deployment: string, tail: number): string[];
  routeTable(): Promise<S.WireRouteTable>;
  actorOf(req: FastifyRequest): string | null;
}

export const deploymentRoutes: FastifyPluginAsyncTypebox<DeploymentRoutesOptions> = async (app, o) => {
  const { service, rollouts, health } = o;

  app.post("/endpoints", { schema: { body: S.CreateEndpointRequest, response: { 200: S.EndpointResponse } }, config: access("deployment", "edit") }, async (req) => {
    const b = req.body;
    const v = await service.createEndpoint({ name: b.name, description: b.description, strategy: b.strategy, stickyHeader: b.sticky_header }, o.actorOf(req));
    return { endpoint: endpointToWire(v, health) };
  });

  app.get("/endpoints", { schema: { response: { 200: S.ListEndpointsResponse } }, config: access("deployment", "read") }, async () => ({
    endpoints: (await service.listEndpoints()).map((v) => endpointToWire(v, health)),
  }));

  app.get("/endpoints/:name", { schema: { params: S.EndpointParams, response: { 200: S.EndpointResponse } }, config: access("deployment", "read") }, async (req) => ({
    endpoint: endpointToWire(await service.getEndpoint(req.params.name), health),
  }));

  app.patch(
    "/endpoints/:name",
    { schema: { params: S.EndpointParams, body: S.UpdateEndpointRequest, response: { 200: S.EndpointResponse } }, config: access("deployment", "edit") },
    async (req) => {
      const b = req.body;
      const v = await service.updateEndpoint(req.params.name, { description: b.description, strategy: b.strategy, stickyHeader: b.sticky_header }, o.actorOf(req));
      return { endpoint: endpointToWire(v, health) };
    },
  );

  app.delete("/endpoints/:name", { schema: { params: S.EndpointParams }, config: access("deployment", "edit") }, async (req) => {
    await service.deleteEndpoint(req.params.name, o.actorOf(req));
    return {};
  });

  app.post(
    "/endpoints/:name/traffic",
    { schema: { params: S.EndpointParams, body: S.SetTrafficRequest, response: { 200: S.EndpointResponse } }, config: access("deployment", "manage") },
    async (req) => {
      const b = req.body;
      const v = await service.setTraffic(req.params.name, b.traffic, b.mirror_traffic, o.actorOf(req), b.reason);
      return { endpoint: endpointToWire(v, health) };
    },
  );

  app.get(
    "/endpoints/:name/history",
    { schema: { params: S.EndpointParams, querystring: S.LogsQuery, response: { 200: S.HistoryResponse } }, config: access("deployment", "read") },
    async (req) => ({ history: (await service.history(req.params.name, req.query.tail ?? 200)).map(historyToWire) }),
  );

  app.post(
    "/endpoints/:name/deployments",
    { schema: { params: S.EndpointParams, body: S.CreateDeploymentRequest, response: { 200: S.DeploymentResponse } }, config: access("deployment", "edit") },
    async (req) => {
      const b = req.body;
      const d = await service.createDeployment(req.params.name, { name: b.name, modelUri: b.model_uri, target: b.target, replicas: b.replicas, env: b.env }, o.actorOf(req));
      return { deployment: deploymentToWire(d, health) };
    },
  );

  app.get(
    "/endpoints/:name/deployments/:deployment",
    { schema: { params: S.DeploymentParams, response: { 200: S.DeploymentResponse } }, config: access("deployment", "read") },
    async (req) => ({ deployment: deploymentToWire(await service.requireDeployment(req.params.name, req.params.deployment), health) }),
  );

  app.patch(
    "/endpoints/:name/deployments/:deployment",
    { schema: { params: S.DeploymentParams, body: S.UpdateDeploymentRequest, response: { 200: S.DeploymentResponse } }, config: access("deployment", "edit") },
    async (req) => {
      const b = req.body;
      const d = await service.updateDeployment(req.params.name, req.params.deployment, { modelUri: b.model_uri, replicas: b.replicas, env: b.env }, o.actorOf(req));
      return { deployment: deploymentToWire(d, health) };
    },
  );

  app.delete("/endpoints/:name/deployments/:deployment", { schema: { params: S.DeploymentParams }, config: access("deployment", "edit") }, async (req) => {
    await service.deleteDeployment(req.params.name, req.params.deployment, o.actorOf(req));
    return {};
  });

  app.get(
    "/endpoints/:name/deployments/:deployment/logs",
    { schema: { params: S.DeploymentParams, querystring: S.LogsQuery, response: { 200: S.LogsResponse } }, config: access("deployment", "read") },
    async (req) => {
      await service.requireDeployment(req.params.name, req.params.deployment);
      return { lines: o.logs(req.params.name, req.params.deployment, req.query.tail ?? 200) };
    },
  );

  app.get("/endpoints/:name/rollouts", { schema: { params: S.EndpointParams, response: { 200: S.ListRolloutsResponse } }, config: access("deployment", "read") }, async (req) => ({
    rollouts: (await rollouts.list(req.params.name)).map(rolloutToWire),
  }));

  app.post(
    "/endpoints/:name/rollouts",
    { schema: { params: S.EndpointParams, body: S.StartRolloutRequest, response: { 200: S.RolloutResponse } }, config: access("deployment", "manage") },
    async (req) => ({ rollout: rolloutToWire(await rollouts.start(req.params.name, req.body.candidate, req.body.strategy, o.actorOf(req), "started by hand")) }),
  );

  app.post(
    "/endpoints/:name/rollouts/:rollout_id/:action",
    { schema: { params: S.RolloutParams, response: { 200: S.RolloutResponse } }, config: access("deployment", "manage") },
    async (req) => {
      const { name, rollout_id: id, action } = req.params;
      const actor = o.actorOf(req);
      const act = { promote: rollouts.promote, pause: rollouts.pause, resume: rollouts.resume, abort: rollouts.abort }[action];
      if (!act) throw new InvalidParameterValueError(`Unknown rollout action '${action.slice(0, 16)}': use promote, pause, resume or abort.`);
      return { rollout: rolloutToWire(await act.call(rollouts, name, id, actor)) };
    },
  );

  app.get(
    "/endpoints/:name/ab",
    { schema: { params: S.EndpointParams, querystring: AbQueryString, response: { 200: WireAbReport } }, config: access("deployment", "read") },
    async (req) => {
      const q = req.query;
      return abToWire(
        await o.ab.report(req.params.name, { a: q.a, b: q.b, windowSeconds: q.window_seconds, alpha: q.alpha, minSamples: q.min_samples, task: q.task, loss: q.loss, predictionColumn: q.prediction_column }),
      );
    },
  );

  app.get("/endpoints-routes", { schema: { response: { 200: S.WireRouteTable } }, config: access("deployment", "read") }, () => o.routeTable());
};
