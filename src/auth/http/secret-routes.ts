/**
 * `/api/ciclo/v1/secrets`: create, update, list (names and dates only) and
 * delete secrets. A value goes in once and never comes back out; with
 * authentication on, only admins manage secrets.
 * @module
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import Type from "typebox";
import { access } from "../../server/http/route-access.js";
import type { SecretInfo, SecretService } from "../secrets/secret-service.js";

const SecretOut = Type.Object({
  name: Type.String(),
  description: Type.Optional(Type.String()),
  created_at: Type.Integer(),
  updated_at: Type.Integer(),
  created_by: Type.Optional(Type.String()),
});
const SecretBody = Type.Object({ name: Type.String(), value: Type.String(), description: Type.Optional(Type.String({ maxLength: 1000 })) });
const NameBody = Type.Object({ name: Type.String() });
const SecretResponse = Type.Object({ secret: SecretOut });

const present = (s: SecretInfo) => ({
  name: s.name,
  description: s.description ?? undefined,
  created_at: s.createdAt,
  updated_at: s.updatedAt,
  created_by: s.createdBy ?? undefined,
});

export const secretRoutes: FastifyPluginAsyncTypebox<{ secrets: SecretService }> = async (app, { secrets }) => {
  const actor = (req: { principal?: { user: { username: string } } | null }) => req.principal?.user.username ?? null;
  app.post("/secrets/create", { schema: { body: SecretBody, response: { 200: SecretResponse } }, config: access("secret", "manage") }, async (req) => ({
    secret: present(await secrets.create(actor(req), req.body.name, req.body.value, req.body.description)),
  }));
  app.post("/secrets/update", { schema: { body: SecretBody, response: { 200: SecretResponse } }, config: access("secret", "manage") }, async (req) => ({
    secret: present(await secrets.update(req.body.name, req.body.value, req.body.description)),
  }));
  app.get("/secrets/list", { schema: { response: { 200: Type.Object({ secrets: Type.Array(SecretOut) }) } }, config: access("secret", "manage") }, async () => ({
    secrets: (await secrets.list()).map(present),
  }));
  app.delete("/secrets/delete", { schema: { body: NameBody, response: { 200: Type.Object({}) } }, config: access("secret", "manage") }, async (req) => {
    await secrets.delete(req.body.name);
    return {};
  });
};
