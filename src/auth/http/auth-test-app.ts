/**
 * Test fixture: the test app with authentication on, an admin, and helpers
 * that send requests as a given user (HTTP Basic) or token (Bearer).
 */
import type { AuthServerConfig } from "../../server/config.js";
import type { CicloModule } from "../../server/module.js";
import { openTestApp, testModules, type Reply, type TestApp } from "../../testing/test-app.js";
import { authModule } from "./auth-module.js";

export const ADMIN = { username: "admin", password: "admin-password-1" };

export interface AuthTestApp extends TestApp {
  /** A request as `user` (Basic) or with `{ token }` (Bearer), or anonymous (undefined). */
  as(who: { username: string; password: string } | { token: string } | undefined, method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<Reply & { headers: Record<string, unknown> }>;
  /** Creates a user through the API as the admin. */
  addUser(username: string, password?: string): Promise<{ username: string; password: string }>;
}

export function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
}

export async function openAuthTestApp(
  opts: { defaultPermission?: string; before?: CicloModule[]; config?: Partial<AuthServerConfig>; backend?: string; onClose?: () => Promise<void> } = {},
): Promise<AuthTestApp> {
  const auth = authModule({
    enabled: true,
    adminUsername: ADMIN.username,
    adminPassword: ADMIN.password,
    defaultPermission: opts.defaultPermission ?? "READ",
    ...opts.config,
  });
  const fx = await openTestApp({ modules: [...(opts.before ?? []), auth, ...testModules().filter((m) => m.id !== "auth")], backend: opts.backend, onClose: opts.onClose });
  const as: AuthTestApp["as"] = async (who, method, url, body, headers = {}) => {
    const h: Record<string, string> = { ...headers };
    if (who && "token" in who) h.authorization = `Bearer ${who.token}`;
    else if (who) h.authorization = basic(who.username, who.password);
    let payload: string | undefined;
    if (body !== undefined && method !== "GET" && method !== "HEAD") {
      payload = typeof body === "string" ? body : JSON.stringify(body);
      h["content-type"] ??= "application/json";
    }
    return fx.request(method, url, payload, h);
  };
  return Object.assign(fx, {
    as,
    async addUser(username: string, password = `${username}-password-1`) {
      const r = await as(ADMIN, "POST", "/api/2.0/mlflow/users/create", { username, password });
      if (r.status !== 200) throw new Error(`users/create ${username}: ${r.status} ${r.text}`);
      return { username, password };
    },
  });
}
