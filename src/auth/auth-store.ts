/**
 * What the auth capability stores: users (people and service accounts),
 * API tokens, per-experiment and per-registered-model permissions, the audit
 * log and login throttling state. The SQL implementation is
 * `store/sql/auth/sql-auth-store.ts`.
 * @module
 */
import type { GroupGrants } from "./group-grants.js";
import type { PermissionName } from "./permissions.js";

export interface User {
  id: number;
  username: string;
  isAdmin: boolean;
  /** A service account has no password: it signs in with tokens only. */
  isServiceAccount: boolean;
  passwordHash: string | null;
  createdAt: number;
  failedLogins: number;
  lockedUntil: number | null;
  /** What an SSO user's identity provider groups grant (set at each sign-in); null for others. */
  groupGrants: GroupGrants | null;
}

export interface ApiToken {
  id: number;
  userId: number;
  name: string;
  hint: string;
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export interface ExperimentPermission {
  experimentId: string;
  userId: number;
  permission: PermissionName;
}

export interface RegisteredModelPermission {
  name: string;
  userId: number;
  permission: PermissionName;
}

export interface AuditEvent {
  id: number;
  time: number;
  type: string;
  /** Who did it (username), or null for an anonymous request. */
  actor: string | null;
  /** What it was about (a username, an experiment id, a model name). */
  subject: string | null;
  detail: string | null;
  ip: string | null;
}

export type NewAuditEvent = Omit<AuditEvent, "id">;

/** A web UI sign-in: the cookie holds a random id, the store only its hash. */
export interface Session {
  idHash: string;
  userId: number;
  /** The synchronizer token every cookie-authenticated write must echo in `X-CSRF-Token`. */
  csrfToken: string;
  via: "password" | "sso";
  createdAt: number;
  expiresAt: number;
  lastSeenAt: number;
}

export interface AuthStore {
  createUser(input: { username: string; passwordHash: string | null; isAdmin: boolean; isServiceAccount: boolean }): Promise<User>;
  getUser(username: string): Promise<User | undefined>;
  getUserById(id: number): Promise<User | undefined>;
  listUsers(): Promise<User[]>;
  updateUser(username: string, change: { passwordHash?: string; isAdmin?: boolean }): Promise<boolean>;
  deleteUser(username: string): Promise<boolean>;
  /** Records a failed login; returns the new count. */
  recordFailedLogin(userId: number, lockUntil: number | null): Promise<void>;
  resetFailedLogins(userId: number): Promise<void>;

  createToken(input: { userId: number; name: string; tokenHash: string; hint: string; expiresAt: number | null }): Promise<ApiToken>;
  /** The token and its user, when the hash is known (revoked and expired ones included; the caller checks). */
  findToken(tokenHash: string): Promise<{ token: ApiToken; user: User } | undefined>;
  listTokens(userId: number): Promise<ApiToken[]>;
  revokeToken(userId: number, tokenId: number, at: number): Promise<boolean>;
  touchToken(tokenId: number, at: number): Promise<void>;

  getExperimentPermission(experimentId: string, userId: number): Promise<PermissionName | undefined>;
  listExperimentPermissions(userId: number): Promise<ExperimentPermission[]>;
  listExperimentPermissionsOf(experimentId: string): Promise<Array<ExperimentPermission & { username: string }>>;
  /** Inserts; false when the pair already has a permission. */
  createExperimentPermission(p: ExperimentPermission): Promise<boolean>;
  updateExperimentPermission(p: ExperimentPermission): Promise<boolean>;
  deleteExperimentPermission(experimentId: string, userId: number): Promise<boolean>;

  getRegisteredModelPermission(name: string, userId: number): Promise<PermissionName | undefined>;
  listRegisteredModelPermissions(userId: number): Promise<RegisteredModelPermission[]>;
  listRegisteredModelPermissionsOf(name: string): Promise<Array<RegisteredModelPermission & { username: string }>>;
  createRegisteredModelPermission(p: RegisteredModelPermission): Promise<boolean>;
  updateRegisteredModelPermission(p: RegisteredModelPermission): Promise<boolean>;
  deleteRegisteredModelPermission(name: string, userId: number): Promise<boolean>;
  /** A registered model was renamed: its permissions follow it. */
  renameRegisteredModelPermissions(oldName: string, newName: string): Promise<void>;
  /** A registered model was deleted: a later model of the same name starts without them. */
  dropRegisteredModelPermissions(name: string): Promise<void>;

  createSession(session: Session): Promise<void>;
  /** The session and its user, when the hash is known (expired ones included; the caller checks). */
  findSession(idHash: string): Promise<{ session: Session; user: User } | undefined>;
  touchSession(idHash: string, at: number): Promise<void>;
  deleteSession(idHash: string): Promise<void>;
  /** Signs a user out everywhere (password changed, account deleted), or everywhere but the session `exceptIdHash`. */
  deleteUserSessions(userId: number, exceptIdHash?: string): Promise<void>;
  /** Drops sessions that expired before `now`. */
  deleteExpiredSessions(now: number): Promise<number>;

  /** The user linked to an OpenID Connect identity (`issuer sub`). */
  getUserBySsoSubject(subject: string): Promise<User | undefined>;
  /** Creates a user who signs in through SSO only (no password). */
  createSsoUser(input: { username: string; subject: string; isAdmin: boolean }): Promise<User>;
  /** Replaces what the user's groups grant (at each SSO sign-in). */
  setGroupGrants(userId: number, grants: GroupGrants | null): Promise<void>;

  appendAudit(event: NewAuditEvent): Promise<void>;
  listAudit(opts: { limit: number; beforeId?: number; type?: string }): Promise<AuditEvent[]>;
}

/**
 * Lookups of the resources a request names, for the permission check (read
 * straight from the tracking and registry tables: the check runs before any
 * handler and must not depend on which modules are listed).
 */
export interface ResourceLookup {
  experimentOfRun(runId: string): Promise<string | undefined>;
  experimentByName(name: string): Promise<string | undefined>;
  experimentExists(experimentId: string): Promise<boolean>;
  experimentOfLoggedModel(modelId: string): Promise<string | undefined>;
  /** The experiment of an MLflow 3 trace. */
  experimentOfTrace(traceId: string): Promise<string | undefined>;
  registeredModelExists(name: string): Promise<boolean>;
  /**
   * The experiment that owns `uri`: of those whose artifact locations hold it
   * (at a segment boundary), the newest; "many" when `uri` is a parent of
   * experiments' locations, undefined when none. `uri` is canonical (the
   * permission hook's `ownedForm`).
   */
  experimentOfArtifactUri(uri: string): Promise<string | "many" | undefined>;
}
