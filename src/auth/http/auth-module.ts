/**
 * The auth capability as a module. Listed first in `src/modules.ts`: its
 * hooks must be on the app before any other module's routes are mounted, so
 * that every route — whoever adds it later — passes the one permission check.
 * Off by default (every route open, as MLflow's plain server); on with
 * `--auth`, `--app-name basic-auth` or `CICLO_AUTH=1`.
 * @module
 */
import type { AuthServerConfig } from "../../server/config.js";
import { API_PREFIXES } from "../../server/http/api-prefixes.js";
import type { CicloModule } from "../../server/module.js";
import fastifyCookie from "@fastify/cookie";
import { authMigration } from "../../store/sql/auth/auth-migration.js";
import { sessionsMigration } from "../../store/sql/auth/sessions-migration.js";
import { groupGrantsMigration } from "../../store/sql/auth/group-grants-migration.js";
import { parseGroupPermissions } from "../group-grants.js";
import { SqlAuthStore } from "../../store/sql/auth/sql-auth-store.js";
import { SqlResourceLookup } from "../../store/sql/auth/sql-resource-lookup.js";
import { readAuthConfigFile } from "../auth-config.js";
import { AuthService } from "../auth-service.js";
import type { ResourceLookup } from "../auth-store.js";
import { validatePermission } from "../permissions.js";
import { SecretCipher } from "../secrets/secret-cipher.js";
import { SecretService } from "../secrets/secret-service.js";
import { SqlSecretStore } from "../../store/sql/auth/sql-secret-store.js";
import { cicloAuthRoutes } from "./ciclo-auth-routes.js";
import { secretRoutes } from "./secret-routes.js";
import { mlflowAuthRoutes } from "./mlflow-auth-routes.js";
import { installPermissionHook } from "./permission-hook.js";
import { OidcClient } from "../oidc/oidc-client.js";
import { DEFAULT_SESSION_SETTINGS, SessionService } from "../sessions.js";
import { sessionPrincipal, sessionRoutes, sessionRoutesAuthOff } from "./session-routes.js";

export interface AuthModuleServices {
  auth: AuthService;
  lookup: ResourceLookup;
}

declare module "../../server/module.js" {
  interface ModuleServices {
    /** Present when authentication is on. */
    auth: AuthModuleServices;
    /** Always present; `resolve(name)` reads a secret's value (server code only, never an HTTP answer). */
    secrets: SecretService;
  }
}

/** Every API prefix, longest first (a route's own path is what is left after it). */
const PREFIXES = [...new Set(Object.values(API_PREFIXES).flat())].sort((a, b) => b.length - a.length);

export function authModule(config: AuthServerConfig = { enabled: false }): CicloModule {
  return {
    id: "auth",
    migrations: [authMigration, sessionsMigration, groupGrantsMigration],
    async init(ctx) {
      const cipher = config.secretsKey
        ? SecretCipher.fromText(config.secretsKey, "CICLO_SECRETS_KEY")
        : config.secretsKeyFile
          ? SecretCipher.fromFile(config.secretsKeyFile)
          : undefined;
      const secrets = new SecretService(new SqlSecretStore(ctx.db), cipher);
      ctx.provide("secrets", secrets);
      if (!config.enabled) {
        ctx.http.register("ciclo", secretRoutes, { secrets });
        ctx.http.register("ciclo", sessionRoutesAuthOff, {});
        return;
      }
      const file = config.configPath ? readAuthConfigFile(config.configPath) : undefined;
      if (file?.ignored.length) {
        ctx.logger.warn({ keys: file.ignored }, "auth configuration: ciclo keeps users in its metadata database and checks requests itself; these keys are ignored");
      }
      const defaultPermission = file?.defaultPermission ?? (config.defaultPermission ? validatePermission(config.defaultPermission) : "READ");
      const store = new SqlAuthStore(ctx.db);
      const lookup = new SqlResourceLookup(ctx.db);
      const auth = new AuthService(store, { defaultPermission });
      // Secrets are the admins': a deployment or pipeline run acting for another user may not name one.
      secrets.setUsePolicy(async (username) => {
        const user = await store.getUser(username);
        return !user ? "unknown" : user.isAdmin ? "yes" : "no";
      });
      const adminUsername = file?.adminUsername ?? config.adminUsername;
      const adminPassword = file?.adminPassword ?? config.adminPassword;
      if (adminUsername && adminPassword) {
        if (await auth.ensureAdmin(adminUsername, adminPassword)) {
          ctx.logger.info({ username: adminUsername }, "created the first admin user; change its password with PATCH /api/2.0/mlflow/users/update-password");
        }
      } else if (!(await auth.hasUsers())) {
        // MLflow compat, safer: MLflow falls back to admin/password1234; ciclo has no built-in password.
        throw new Error(
          "Authentication is on but there is no user yet and no first admin is configured: set admin_username and admin_password " +
            "in the file MLFLOW_AUTH_CONFIG_PATH names, or CICLO_ADMIN_USERNAME and CICLO_ADMIN_PASSWORD (see docs/auth.md).",
        );
      }
      ctx.provide("auth", { auth, lookup });
      const sessions = new SessionService(store, {
        ttlMs: config.sessionHours ? config.sessionHours * 3_600_000 : DEFAULT_SESSION_SETTINGS.ttlMs,
        idleMs: config.sessionIdleMinutes ? config.sessionIdleMinutes * 60_000 : DEFAULT_SESSION_SETTINGS.idleMs,
      });
      const oidcConfig = config.oidc;
      // A mapping that does not parse stops the server here, not at someone's sign-in.
      const groupPermissions = parseGroupPermissions(oidcConfig?.groupPermissions);
      const oidc = oidcConfig
        ? new OidcClient({ ...oidcConfig, groupPermissions }, async () => {
            if (oidcConfig.clientSecret) return oidcConfig.clientSecret;
            if (oidcConfig.clientSecretName) return secrets.resolve(oidcConfig.clientSecretName);
            return undefined;
          })
        : undefined;
      if (oidcConfig) ctx.logger.info({ issuer: oidcConfig.issuer, clientId: oidcConfig.clientId, groupPermissions: groupPermissions.length }, "single sign-on through OpenID Connect is on");
      // The cookie parser and the hook first: routes mounted after them (this module's and every later module's) pass through them.
      ctx.http.raw(async (app) => {
        await app.register(fastifyCookie);
        installPermissionHook(app, {
          auth,
          lookup,
          artifactsDestination: ctx.settings.artifactsDestination,
          prefixes: PREFIXES,
          session: (req) => sessionPrincipal(req, sessions),
        });
      });
      ctx.http.register("ciclo", sessionRoutes, { auth, sessions, oidc, secureCookies: config.secureCookies ?? false });
      ctx.http.register("ciclo", secretRoutes, { secrets });
      ctx.http.register("mlflow", mlflowAuthRoutes, { auth, lookup });
      ctx.http.register("ciclo", cicloAuthRoutes, { auth, lookup });
    },
  };
}
