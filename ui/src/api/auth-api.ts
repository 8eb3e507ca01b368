/**
 * Sign-in, users, tokens, sharing and the audit log: ciclo's auth API
 * (`/api/ciclo/v1/auth…`) and MLflow's users and permissions API, as the
 * sign-in page, the admin pages and the sharing dialog use them.
 */
import { CICLO, MLFLOW, getJson, postJson, request } from "./http";

export interface SessionUser {
  id: number;
  username: string;
  is_admin: boolean;
}

export interface SessionInfo {
  auth_enabled: boolean;
  user?: SessionUser;
  csrf_token?: string;
  expires_at?: number;
  sso?: { label: string };
}

export interface UserInfo extends SessionUser {
  is_service_account: boolean;
  created_at: number;
}

export interface TokenInfo {
  id: number;
  name: string;
  hint: string;
  created_at: number;
  expires_at?: number;
  last_used_at?: number;
  revoked_at?: number;
}

export interface AuditEvent {
  id: number;
  time: number;
  type: string;
  actor?: string;
  subject?: string;
  detail?: string;
  ip?: string;
}

export type PermissionLevel = "READ" | "USE" | "EDIT" | "MANAGE" | "NO_PERMISSIONS";
export const PERMISSION_LEVELS: PermissionLevel[] = ["READ", "USE", "EDIT", "MANAGE", "NO_PERMISSIONS"];
export interface Grant {
  username: string;
  permission: PermissionLevel;
}

async function send(method: string, url: string, body: unknown): Promise<void> {
  await request(url, { method, headers: { "content-type": "application/json", accept: "application/json" }, body: JSON.stringify(body) });
}

export const getSession = (signal?: AbortSignal) => getJson<SessionInfo>(`${CICLO}/auth/session`, {}, signal);
export const login = (username: string, password: string) => postJson<SessionInfo>(`${CICLO}/auth/login`, { username, password });
export const logout = () => postJson<object>(`${CICLO}/auth/logout`, {});
/** Where the browser goes to sign in with the identity provider (a full page navigation, not a fetch). */
export const ssoLoginUrl = (returnTo: string) => `${CICLO}/auth/oidc/login?return_to=${encodeURIComponent(returnTo)}`;

/** One's own password; the current one is required. */
export const changePassword = (currentPassword: string, newPassword: string) => send("POST", `${CICLO}/auth/password`, { current_password: currentPassword, new_password: newPassword });

export const listUsers = async (signal?: AbortSignal) => (await getJson<{ users: UserInfo[] }>(`${CICLO}/auth/users`, {}, signal)).users;
export const createUser = (username: string, password: string) => send("POST", `${MLFLOW}/users/create`, { username, password });
export const createServiceAccount = (username: string) => send("POST", `${CICLO}/auth/service-accounts`, { username });
export const setAdmin = (username: string, isAdmin: boolean) => send("PATCH", `${MLFLOW}/users/update-admin`, { username, is_admin: isAdmin });
export const setPassword = (username: string, password: string) => send("PATCH", `${MLFLOW}/users/update-password`, { username, password });
export const deleteUser = (username: string) => send("DELETE", `${MLFLOW}/users/delete`, { username });

export const listTokens = async (username: string | undefined, signal?: AbortSignal) =>
  (await getJson<{ tokens: TokenInfo[] }>(`${CICLO}/auth/tokens`, { username }, signal)).tokens;
export const createToken = (name: string, expiresInDays: number | undefined, username?: string) =>
  postJson<{ token: string; token_info: TokenInfo }>(`${CICLO}/auth/tokens`, { name, expires_in_days: expiresInDays, username });
export const revokeToken = (id: number, username?: string) => send("POST", `${CICLO}/auth/tokens/revoke`, { id, username });

export const listAudit = async (query: { type?: string; before_id?: number; max_results?: number }, signal?: AbortSignal) =>
  (await getJson<{ events: AuditEvent[] }>(`${CICLO}/auth/audit`, query, signal)).events;

/** Sharing one experiment or one registered model. */
export interface SharingTarget {
  kind: "experiment" | "registered-model";
  /** The experiment id or the model name. */
  id: string;
}

const keyOf = (t: SharingTarget) => (t.kind === "experiment" ? { experiment_id: t.id } : { name: t.id });
const base = (t: SharingTarget) => (t.kind === "experiment" ? "experiments" : "registered-models");

export const listGrants = async (t: SharingTarget, signal?: AbortSignal) =>
  (await getJson<{ permissions: Grant[] }>(`${CICLO}/auth/${base(t)}/permissions`, keyOf(t), signal)).permissions;
export const createGrant = (t: SharingTarget, username: string, permission: PermissionLevel) =>
  send("POST", `${MLFLOW}/${base(t)}/permissions/create`, { ...keyOf(t), username, permission });
export const updateGrant = (t: SharingTarget, username: string, permission: PermissionLevel) =>
  send("PATCH", `${MLFLOW}/${base(t)}/permissions/update`, { ...keyOf(t), username, permission });
export const deleteGrant = (t: SharingTarget, username: string) => send("DELETE", `${MLFLOW}/${base(t)}/permissions/delete`, { ...keyOf(t), username });
