/**
 * ciclo's own auth API under `/api/ciclo/v1/auth`: who am I, one's own
 * password, users and service accounts, API tokens (shown once), who may see an experiment or a
 * model (the sharing dialog's list), and the audit log for admins.
 * @module
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { access } from "../../server/http/route-access.js";
import type { ApiToken, User } from "../auth-store.js";
import type { AuthRouteDeps } from "./mlflow-auth-routes.js";
import * as S from "./auth.schema.js";

const summary = (u: User) => ({ id: u.id, username: u.username, is_admin: u.isAdmin, is_service_account: u.isServiceAccount, created_at: u.createdAt });
const presentToken = (t: ApiToken) => ({
  id: t.id,
  name: t.name,
  hint: t.hint,
  created_at: t.createdAt,
  expires_at: t.expiresAt ?? undefined,
  last_used_at: t.lastUsedAt ?? undefined,
  revoked_at: t.revokedAt ?? undefined,
});

export const cicloAuthRoutes: FastifyPluginAsyncTypebox<AuthRouteDeps> = async (app, { auth }) => {
  const me = (req: { principal: { user: User } | null }) => req.principal!.user;
  // The access check lets a non-admin name only themselves; an admin may name anyone.
  const owner = async (req: { principal: { user: User } | null }, username: string | undefined) =>
    username === undefined || username === me(req).username ? me(req) : auth.getUser(username);

  app.get("/auth/me", { schema: { response: { 200: S.MeResponse } }, config: access("user", "read") }, async (req) => ({
    user: summary(me(req)),
    via: req.principal!.via,
  }));

  // One's own password (the current one required); the user's other web UI sessions end.
  app.post("/auth/password", { schema: { body: S.ChangePasswordBody, response: { 200: S.Empty } }, config: access("user", "edit") }, async (req) => {
    await auth.changeOwnPassword(req.principal!, req.body.current_password, req.body.new_password, req.ip);
    return {};
  });

  app.get("/auth/users", { schema: { response: { 200: S.ListUsersResponse } }, config: access("user", "manage") }, async () => ({
    users: (await auth.listUsers()).map(summary),
  }));

  app.post("/auth/service-accounts", { schema: { body: S.ServiceAccountBody, response: { 200: S.MeResponse } }, config: access("user", "manage") }, async (req) => ({
    user: summary(await auth.createServiceAccount(me(req).username, req.body.username)),
    via: "token",
  }));

  app.post("/auth/tokens", { schema: { body: S.CreateTokenBody, response: { 200: S.CreateTokenResponse } }, config: access("user", "edit") }, async (req) => {
    const { token, record } = await auth.createToken(me(req).username, await owner(req, req.body.username), req.body.name, req.body.expires_in_days);
    return { token, token_info: presentToken(record) };
  });

  app.get("/auth/tokens", { schema: { querystring: S.ListTokensQuery, response: { 200: S.ListTokensResponse } }, config: access("user", "read") }, async (req) => ({
    tokens: (await auth.listTokens(await owner(req, req.query.username))).map(presentToken),
  }));

  app.post("/auth/tokens/revoke", { schema: { body: S.RevokeTokenBody, response: { 200: S.Empty } }, config: access("user", "edit") }, async (req) => {
    await auth.revokeToken(me(req).username, await owner(req, req.body.username), req.body.id);
    return {};
  });

  app.get(
    "/auth/experiments/permissions",
    { schema: { querystring: S.PermissionsOfExperimentQuery, response: { 200: S.PermissionsListResponse } }, config: access("experiment", "manage") },
    async (req) => ({
      permissions: (await auth.permissions.listExperimentPermissionsOf(req.query.experiment_id)).map((p) => ({ username: p.username, permission: p.permission })),
    }),
  );

  app.get(
    "/auth/registered-models/permissions",
    { schema: { querystring: S.PermissionsOfModelQuery, response: { 200: S.PermissionsListResponse } }, config: access("registered-model", "manage") },
    async (req) => ({
      permissions: (await auth.permissions.listRegisteredModelPermissionsOf(req.query.name)).map((p) => ({ username: p.username, permission: p.permission })),
    }),
  );

  app.get("/auth/audit", { schema: { querystring: S.AuditQuery, response: { 200: S.AuditResponse } }, config: access("server", "manage") }, async (req) => ({
    events: (await auth.listAudit({ limit: req.query.max_results, beforeId: req.query.before_id, type: req.query.type })).map((e) => ({
      id: e.id,
      time: e.time,
      type: e.type,
      actor: e.actor ?? undefined,
      subject: e.subject ?? undefined,
      detail: e.detail ?? undefined,
      ip: e.ip ?? undefined,
    })),
  }));
};
