/**
 * Calls to the auth API: who am I, tokens, users and service accounts
 * (ciclo's `/api/ciclo/v1/auth…` and MLflow's `users/*`), and secrets
 * (`/api/ciclo/v1/secrets…`, values go in and never come back). What
 * `ciclo auth|tokens|users|secrets` run.
 * @module
 */
import { HttpClient, type HttpClientOptions } from "./http-client.js";

const AUTH = "/api/ciclo/v1/auth";
const SECRETS = "/api/ciclo/v1/secrets";

export interface AuthUser {
  id: number;
  username: string;
  is_admin: boolean;
  is_service_account: boolean;
  created_at: number;
}

export interface AuthToken {
  id: number;
  name: string;
  hint: string;
  created_at: number;
  expires_at?: number;
  last_used_at?: number;
  revoked_at?: number;
}

export interface SecretInfo {
  name: string;
  description?: string;
  created_at: number;
  updated_at: number;
  created_by?: string;
}

export class AuthClient {
  readonly http: HttpClient;

  constructor(opts: HttpClientOptions | HttpClient) {
    this.http = opts instanceof HttpClient ? opts : new HttpClient(opts);
  }

  me(): Promise<{ user: AuthUser; via: string }> {
    return this.http.get(`${AUTH}/me`, undefined, { retry: false });
  }

  /** A new token (the only time its value is returned); `username` for another user's (admins). */
  createToken(name: string, opts: { expiresInDays?: number; username?: string } = {}): Promise<{ token: string; token_info: AuthToken }> {
    return this.http.post(`${AUTH}/tokens`, { name, expires_in_days: opts.expiresInDays, username: opts.username }, { idempotent: false });
  }

  async listTokens(username?: string): Promise<AuthToken[]> {
    return (await this.http.get<{ tokens: AuthToken[] }>(`${AUTH}/tokens`, { username })).tokens;
  }

  async revokeToken(id: number, username?: string): Promise<void> {
    await this.http.post(`${AUTH}/tokens/revoke`, { id, username });
  }

  /** Changes the signed-in user's own password (the current one is required). */
  async changePassword(currentPassword: string, newPassword: string): Promise<void> {
    await this.http.post(`${AUTH}/password`, { current_password: currentPassword, new_password: newPassword }, { idempotent: false });
  }

  async listUsers(): Promise<AuthUser[]> {
    return (await this.http.get<{ users: AuthUser[] }>(`${AUTH}/users`)).users;
  }

  async createUser(username: string, password: string): Promise<void> {
    await this.http.post("users/create", { username, password }, { idempotent: false });
  }

  async createServiceAccount(username: string): Promise<AuthUser> {
    return (await this.http.post<{ user: AuthUser }>(`${AUTH}/service-accounts`, { username }, { idempotent: false })).user;
  }

  async setAdmin(username: string, isAdmin: boolean): Promise<void> {
    await this.http.request("PATCH", "users/update-admin", { body: { username, is_admin: isAdmin } });
  }

  async setPassword(username: string, password: string): Promise<void> {
    await this.http.request("PATCH", "users/update-password", { body: { username, password } });
  }

  async deleteUser(username: string): Promise<void> {
    await this.http.request("DELETE", "users/delete", { body: { username } });
  }

  async listSecrets(): Promise<SecretInfo[]> {
    return (await this.http.get<{ secrets: SecretInfo[] }>(`${SECRETS}/list`)).secrets;
  }

  /** Creates the secret, or replaces its value when it exists; says which. */
  async setSecret(name: string, value: string, description?: string): Promise<{ secret: SecretInfo; created: boolean }> {
    const exists = (await this.listSecrets()).some((s) => s.name === name);
    const res = await this.http.post<{ secret: SecretInfo }>(`${SECRETS}/${exists ? "update" : "create"}`, { name, value, description }, { idempotent: false });
    return { secret: res.secret, created: !exists };
  }

  async deleteSecret(name: string): Promise<void> {
    await this.http.request("DELETE", `${SECRETS}/delete`, { body: { name } });
  }
}
