/**
 * MLflow's auth REST API (mlflow/server/auth): `/users/*`,
 * `/experiments/permissions/*` and `/registered-models/permissions/*`, with
 * MLflow's methods, fields and answers, so `AuthServiceClient` works
 * unchanged. Who may call them is declared like every route: the user routes
 * as `user` (one's own account, or an admin), permission routes as MANAGE on
 * the experiment or model.
 * @module
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { access } from "../../server/http/route-access.js";
import { ResourceDoesNotExistError } from "../../shared/errors.js";
import type { AuthService } from "../auth-service.js";
import type { ExperimentPermission, RegisteredModelPermission, ResourceLookup, User } from "../auth-store.js";
import * as S from "./auth.schema.js";

export interface AuthRouteDeps {
  auth: AuthService;
  lookup: ResourceLookup;
}

const toWireExperimentPermission = (p: ExperimentPermission) => ({ experiment_id: p.experimentId, user_id: p.userId, permission: p.permission });
const toWireModelPermission = (p: RegisteredModelPermission) => ({ name: p.name, user_id: p.userId, permission: p.permission });

const actorOf = (req: { principal: { user: User } | null }): string => req.principal?.user.username ?? "";

export const mlflowAuthRoutes: FastifyPluginAsyncTypebox<AuthRouteDeps> = async (app, { auth, lookup }) => {
  const present = async (user: User) => ({
    id: user.id,
    username: user.username,
    is_admin: user.isAdmin,
    experiment_permissions: (await auth.permissions.listExperimentPermissions(user)).map((p) => ({ experiment_id: p.experimentId, user_id: p.userId, permission: p.permission })),
    registered_model_permissions: (await auth.permissions.listRegisteredModelPermissions(user)).map((p) => ({ name: p.name, user_id: p.userId, permission: p.permission })),
  });
  const experimentMustExist = async (id: string | number) => {
    if (!(await lookup.experimentExists(String(id)))) throw new ResourceDoesNotExistError(`No Experiment with id=${id} exists`);
    return String(id);
  };
  const modelMustExist = async (name: string) => {
    if (!(await lookup.registeredModelExists(name))) throw new ResourceDoesNotExistError(`Registered Model with name=${name} not found`);
    return name;
  };

  app.post("/users/create", { schema: { body: S.CreateUserBody, response: { 200: S.UserResponse } }, config: access("user", "manage") }, async (req) => ({
    user: await present(await auth.createUser(actorOf(req), req.body.username, req.body.password)),
  }));
  app.get("/users/get", { schema: { querystring: S.UsernameQuery, response: { 200: S.UserResponse } }, config: access("user", "read") }, async (req) => ({
    user: await present(await auth.getUser(req.query.username)),
  }));
  app.patch("/users/update-password", { schema: { body: S.UpdatePasswordBody, response: { 200: S.Empty } }, config: access("user", "edit") }, async (req) => {
    await auth.updatePassword(actorOf(req), req.body.username, req.body.password);
    return {};
  });
  app.patch("/users/update-admin", { schema: { body: S.UpdateAdminBody, response: { 200: S.Empty } }, config: access("user", "manage") }, async (req) => {
    await auth.updateAdmin(actorOf(req), req.body.username, req.body.is_admin);
    return {};
  });
  app.delete("/users/delete", { schema: { body: S.UsernameBody, response: { 200: S.Empty } }, config: access("user", "manage") }, async (req) => {
    await auth.deleteUser(actorOf(req), req.body.username);
    return {};
  });

  const manageExperiment = access("experiment", "manage");
  app.post(
    "/experiments/permissions/create",
    { schema: { body: S.ExperimentPermissionBody, response: { 200: S.ExperimentPermissionResponse } }, config: manageExperiment },
    async (req) => {
      const id = await experimentMustExist(req.body.experiment_id);
      const p = await auth.permissions.createExperimentPermission(actorOf(req), id, req.body.username, req.body.permission);
      return { experiment_permission: toWireExperimentPermission(p) };
    },
  );
  app.get(
    "/experiments/permissions/get",
    { schema: { querystring: S.ExperimentPermissionQuery, response: { 200: S.ExperimentPermissionResponse } }, config: manageExperiment },
    async (req) => {
      const p = await auth.permissions.getExperimentPermission(req.query.experiment_id, req.query.username);
      return { experiment_permission: toWireExperimentPermission(p) };
    },
  );
  app.patch("/experiments/permissions/update", { schema: { body: S.ExperimentPermissionBody, response: { 200: S.Empty } }, config: manageExperiment }, async (req) => {
    await auth.permissions.updateExperimentPermission(actorOf(req), String(req.body.experiment_id), req.body.username, req.body.permission);
    return {};
  });
  app.delete("/experiments/permissions/delete", { schema: { body: S.ExperimentPermissionKeyBody, response: { 200: S.Empty } }, config: manageExperiment }, async (req) => {
    await auth.permissions.deleteExperimentPermission(actorOf(req), String(req.body.experiment_id), req.body.username);
    return {};
  });

  const manageModel = access("registered-model", "manage");
  app.post(
    "/registered-models/permissions/create",
    { schema: { body: S.ModelPermissionBody, response: { 200: S.ModelPermissionResponse } }, config: manageModel },
    async (req) => {
      const name = await modelMustExist(req.body.name);
      const p = await auth.permissions.createRegisteredModelPermission(actorOf(req), name, req.body.username, req.body.permission);
      return { registered_model_permission: toWireModelPermission(p) };
    },
  );
  app.get(
    "/registered-models/permissions/get",
    { schema: { querystring: S.ModelPermissionQuery, response: { 200: S.ModelPermissionResponse } }, config: manageModel },
    async (req) => {
      const p = await auth.permissions.getRegisteredModelPermission(req.query.name, req.query.username);
      return { registered_model_permission: toWireModelPermission(p) };
    },
  );
  app.patch("/registered-models/permissions/update", { schema: { body: S.ModelPermissionBody, response: { 200: S.Empty } }, config: manageModel }, async (req) => {
    await auth.permissions.updateRegisteredModelPermission(actorOf(req), req.body.name, req.body.username, req.body.permission);
    return {};
  });
  app.delete("/registered-models/permissions/delete", { schema: { body: S.ModelPermissionKeyBody, response: { 200: S.Empty } }, config: manageModel }, async (req) => {
    await auth.permissions.deleteRegisteredModelPermission(actorOf(req), req.body.name, req.body.username);
    return {};
  });
};
