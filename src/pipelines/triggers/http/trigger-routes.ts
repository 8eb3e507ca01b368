/**
 * `/api/ciclo/v1/pipelines/triggers/…`: define, list, read (with recent
 * firings) and delete pipeline triggers. Admins only when authentication is
 * on (triggers start work under the server's identity).
 * @module
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import Type from "typebox";
import { access } from "../../../server/http/route-access.js";
import type { TriggerService } from "../trigger-service.js";
import { CreateTriggerBody, CreateTriggerResponse, FiringOut, TriggerOut, TriggerRef, firingToWire, triggerToWire } from "./trigger-wire.js";

export const triggerRoutes: FastifyPluginAsyncTypebox<{ service: TriggerService }> = async (app, { service }) => {
  const actor = (req: { principal?: { user: { username: string } } | null }) => req.principal?.user.username ?? null;

  app.post("/pipelines/triggers/create", { schema: { body: CreateTriggerBody, response: { 200: CreateTriggerResponse } }, config: access("job", "manage") }, async (req) => {
    const { trigger, secret } = await service.create(actor(req), req.body);
    return { trigger: triggerToWire(trigger), secret };
  });

  app.get("/pipelines/triggers/list", { schema: { response: { 200: Type.Object({ triggers: Type.Array(TriggerOut) }) } }, config: access("job", "read") }, async () => ({
    triggers: (await service.list()).map(triggerToWire),
  }));

  app.get(
    "/pipelines/triggers/get",
    { schema: { querystring: TriggerRef, response: { 200: Type.Object({ trigger: TriggerOut, firings: Type.Array(FiringOut) }) } }, config: access("job", "read") },
    async (req) => {
      const { trigger, firings } = await service.get(req.query.trigger_id);
      return { trigger: triggerToWire(trigger), firings: firings.map(firingToWire) };
    },
  );

  app.delete("/pipelines/triggers/delete", { schema: { body: TriggerRef, response: { 200: Type.Object({}) } }, config: access("job", "manage") }, async (req) => {
    await service.delete(req.body.trigger_id);
    return {};
  });
};
