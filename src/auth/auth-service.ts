/**
 * Identities: users and service accounts, password, token and single sign-on
 * sign-in (with throttling), passwords and tokens, and the audit log of auth
 * events; what a user may do is `permissions` (permission-service.ts). No
 * HTTP here: the module's hook (http/permission-hook.ts) asks this service
 * who a request is and what it may do.
 * @module
 */
import { createHash } from "node:crypto";
import { InvalidParameterValueError, MlflowError, ResourceAlreadyExistsError, ResourceDoesNotExistError } from "../shared/errors.js";
import { PermissionDeniedError, TooManyAttemptsError, UnauthenticatedError } from "./auth-errors.js";
import type { ApiToken, AuditEvent, AuthStore, User } from "./auth-store.js";
import { AddressThrottle, DEFAULT_THROTTLE, type ThrottleSettings } from "./login-throttle.js";
import { checkPasswordStrength, hashPassword, verifyPassword } from "./passwords.js";
import type { GroupGrants } from "./group-grants.js";
import { PermissionService } from "./permission-service.js";
import type { PermissionName } from "./permissions.js";
import { hashToken, newToken, tokenHint } from "./tokens.js";

export interface AuthServiceOptions {
  defaultPermission: PermissionName;
  throttle?: ThrottleSettings;
  /** How long a verified password is remembered in this process (scrypt costs ~60 ms a check). 0 disables. */
  credentialCacheMs?: number;
  now?: () => number;
}

/** Who a request is. */
export interface Principal {
  user: User;
  via: "password" | "token" | "session";
  /** The UI session's CSRF token (when `via` is "session"). */
  csrfToken?: string;
  /** The UI session's stored id hash (when `via` is "session"): the session a password change keeps. */
  sessionIdHash?: string;
}

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,255}$/;
const TOKEN_TOUCH_MS = 60_000;
const MAX_TOKEN_DAYS = 3650;

export class AuthService {
  readonly permissions: PermissionService;
  private readonly throttle: AddressThrottle;
  private readonly throttleSettings: ThrottleSettings;
  private readonly credentialCacheMs: number;
  private readonly verified = new Map<string, { userId: number; until: number }>();
  private readonly touched = new Map<number, number>();
  private readonly now: () => number;

  constructor(private readonly store: AuthStore, opts: AuthServiceOptions) {
    this.permissions = new PermissionService({
      store,
      defaultPermission: opts.defaultPermission,
      getUser: (username) => this.getUser(username),
      audit: (...a) => this.audit(...a),
    });
    this.throttleSettings = opts.throttle ?? DEFAULT_THROTTLE;
    this.now = opts.now ?? Date.now;
    this.throttle = new AddressThrottle(this.throttleSettings, this.now);
    this.credentialCacheMs = opts.credentialCacheMs ?? 30_000;
  }

  // ---- sign-in ----

  /** HTTP Basic. A token in the password field (for tools that only speak Basic) works too. */
  async authenticatePassword(username: string, password: string, ip: string | null): Promise<Principal> {
    if (password.startsWith("ciclo_")) {
      const p = await this.authenticateToken(password, ip);
      if (p.user.username === username || username === "" || username === "token") return p;
      throw new UnauthenticatedError(signInRefused(this.throttleSettings));
    }
    const cacheKey = createHash("sha256").update(username).update("\0").update(password).digest("hex");
    const cached = this.verified.get(cacheKey);
    if (cached && cached.until > this.now()) {
      const user = await this.store.getUserById(cached.userId);
      if (user && user.username === username) return { user, via: "password" };
    }
    const address = ip ?? "unknown";
    const wait = this.throttle.retryAfter(address);
    if (wait > 0) throw new TooManyAttemptsError(wait);
    const user = await this.store.getUser(username);
    const locked = user?.lockedUntil != null && user.lockedUntil > this.now();
    // Every answer costs one hash, whoever is named: an unknown name (or one without a password) is checked
    // against a dummy hash, a locked account against its own. And a locked account answers exactly as a wrong
    // password and an unknown name do (401, one message), so that neither the answer nor its time tells
    // whether a name exists; the lock itself holds: not even the right password signs in until it ends.
    const hash = user?.passwordHash ?? DUMMY_HASH;
    const ok = (await verifyPassword(password, hash)) && hash !== DUMMY_HASH;
    if (!user || !ok || locked) {
      this.throttle.fail(address);
      if (user && !locked) {
        const lock = user.failedLogins + 1 >= this.throttleSettings.maxFailuresPerAccount ? this.now() + this.throttleSettings.lockMs : null;
        await this.store.recordFailedLogin(user.id, lock);
        if (lock) await this.audit("user.locked", null, username, `after ${user.failedLogins + 1} failed sign-ins`, ip);
      }
      await this.audit("login.failed", null, username, locked ? "the account is locked" : null, ip);
      throw new UnauthenticatedError(signInRefused(this.throttleSettings));
    }
    this.throttle.succeed(address);
    if (user.failedLogins > 0) await this.store.resetFailedLogins(user.id);
    if (this.credentialCacheMs > 0) this.verified.set(cacheKey, { userId: user.id, until: this.now() + this.credentialCacheMs });
    return { user, via: "password" };
  }

  async authenticateToken(token: string, ip: string | null): Promise<Principal> {
    const found = await this.store.findToken(hashToken(token));
    const now = this.now();
    if (!found || found.token.revokedAt !== null || (found.token.expiresAt !== null && found.token.expiresAt <= now)) {
      await this.audit("token.rejected", null, found?.user.username ?? null, found ? (found.token.revokedAt !== null ? "revoked" : "expired") : "unknown token", ip);
      throw new UnauthenticatedError("Invalid, expired or revoked token.");
    }
    const last = this.touched.get(found.token.id) ?? found.token.lastUsedAt ?? 0;
    if (now - last >= TOKEN_TOUCH_MS) {
      this.touched.set(found.token.id, now);
      await this.store.touchToken(found.token.id, now);
    }
    return { user: found.user, via: "token" };
  }

  /** A sign-in through the UI's form: the same checks, and an audit line when it succeeds. */
  async login(username: string, password: string, ip: string | null): Promise<User> {
    const p = await this.authenticatePassword(username, password, ip);
    await this.audit("login", username, username, null, ip);
    return p.user;
  }

  /**
   * A sign-in through OpenID Connect: the user linked to the identity
   * (`issuer sub`), created on first sign-in; the admin flag and the groups'
   * permissions follow the groups the provider reports, at every sign-in. A
   * local account of the same name is never taken over (an IdP user named
   * "admin" must not become the local admin).
   */
  async ssoSignIn(identity: { subject: string; username: unknown; isAdmin: boolean; grants?: GroupGrants | null }, ip: string | null): Promise<User> {
    const { subject, username, isAdmin } = identity;
    let user = await this.store.getUserBySsoSubject(subject);
    if (!user) {
      const name = checkUsername(username);
      if (await this.store.getUser(name)) {
        await this.audit("login.failed", null, name, "sso: a local account has this name", ip);
        throw new PermissionDeniedError(
          `A local account named '${name}' exists already and is not linked to this single sign-on identity; ask an admin to rename or delete it.`,
        );
      }
      user = await this.store.createSsoUser({ username: name, subject, isAdmin });
      await this.audit("user.created", null, name, isAdmin ? "sso admin" : "sso", ip);
    } else if (user.isAdmin !== isAdmin) {
      await this.store.updateUser(user.username, { isAdmin });
      user = { ...user, isAdmin };
      await this.audit("user.admin_changed", null, user.username, `${isAdmin} (sso groups)`, ip);
    }
    const grants = identity.grants ?? null;
    if (JSON.stringify(grants) !== JSON.stringify(user.groupGrants)) {
      await this.store.setGroupGrants(user.id, grants);
      user = { ...user, groupGrants: grants };
      await this.audit("user.group_permissions_changed", null, user.username, grants ? JSON.stringify(grants).slice(0, 1000) : "none (sso groups)", ip);
    }
    await this.audit("login", user.username, user.username, "sso", ip);
    return user;
  }

  /** A UI sign-in's end. */
  async logout(user: User, ip: string | null): Promise<void> {
    await this.audit("logout", user.username, user.username, null, ip);
  }

  // ---- users ----

  async createUser(actor: string | null, username: unknown, password: unknown, opts: { isAdmin?: boolean } = {}): Promise<User> {
    const name = checkUsername(username);
    const pw = checkPasswordStrength(password);
    if (await this.store.getUser(name)) throw new ResourceAlreadyExistsError(`User (username=${name}) already exists.`);
    const user = await this.store.createUser({ username: name, passwordHash: await hashPassword(pw), isAdmin: opts.isAdmin ?? false, isServiceAccount: false });
    await this.audit("user.created", actor, name, opts.isAdmin ? "admin" : null, null);
    return user;
  }

  /** A service account: no password, signs in with the tokens an admin creates for it (CI, pipelines). */
  async createServiceAccount(actor: string | null, username: unknown): Promise<User> {
    const name = checkUsername(username);
    if (await this.store.getUser(name)) throw new ResourceAlreadyExistsError(`User (username=${name}) already exists.`);
    const user = await this.store.createUser({ username: name, passwordHash: null, isAdmin: false, isServiceAccount: true });
    await this.audit("service_account.created", actor, name, null, null);
    return user;
  }

  /** The first admin from the configuration, on first start; nothing when the user exists. */
  async ensureAdmin(username: string, password: string): Promise<boolean> {
    if (await this.store.getUser(username)) return false;
    try {
      await this.createUser(null, username, password, { isAdmin: true });
      return true;
    } catch (err) {
      // Another replica created it at the same moment.
      if (await this.store.getUser(username)) return false;
      throw err;
    }
  }

  async hasUsers(): Promise<boolean> {
    return (await this.store.listUsers()).length > 0;
  }

  async getUser(username: unknown): Promise<User> {
    const name = typeof username === "string" ? username : "";
    const user = await this.store.getUser(name);
    if (!user) throw new ResourceDoesNotExistError(`User with username=${name} not found`);
    return user;
  }

  listUsers(): Promise<User[]> {
    return this.store.listUsers();
  }

  async updatePassword(actor: string, username: unknown, password: unknown): Promise<void> {
    const user = await this.getUser(username);
    if (user.isServiceAccount) throw new InvalidParameterValueError(`'${user.username}' is a service account: it signs in with tokens, not a password.`);
    await this.store.updateUser(user.username, { passwordHash: await hashPassword(checkPasswordStrength(password)) });
    this.forget(user.id);
    // Signed out of the web UI everywhere: whoever knew the old password loses the session it opened.
    await this.store.deleteUserSessions(user.id);
    await this.audit("user.password_changed", actor, user.username, null, null);
  }

  /**
   * A signed-in user changes their own password: the current one must be
   * given (and wrong guesses count against the address, as sign-ins do); their
   * other web UI sessions end — the one they made the change in stays.
   */
  async changeOwnPassword(principal: Principal, current: unknown, next: unknown, ip: string | null): Promise<void> {
    const user = (await this.store.getUserById(principal.user.id)) ?? principal.user;
    if (user.isServiceAccount) throw new InvalidParameterValueError(`'${user.username}' is a service account: it signs in with tokens, not a password.`);
    if (!user.passwordHash) throw new InvalidParameterValueError(`'${user.username}' signs in through single sign-on: change the password at your identity provider.`);
    const address = ip ?? "unknown";
    const wait = this.throttle.retryAfter(address);
    if (wait > 0) throw new TooManyAttemptsError(wait);
    if (typeof current !== "string" || !(await verifyPassword(current, user.passwordHash))) {
      this.throttle.fail(address);
      await this.audit("user.password_change_failed", user.username, user.username, "wrong current password", ip);
      throw new PermissionDeniedError("The current password is not right.");
    }
    this.throttle.succeed(address);
    const pw = checkPasswordStrength(next);
    if (pw === current) throw new InvalidParameterValueError("The new password must differ from the current one.");
    await this.store.updateUser(user.username, { passwordHash: await hashPassword(pw) });
    this.forget(user.id);
    await this.store.deleteUserSessions(user.id, principal.via === "session" ? principal.sessionIdHash : undefined);
    await this.audit("user.password_changed", user.username, user.username, "by the user; other sessions signed out", ip);
  }

  async updateAdmin(actor: string, username: unknown, isAdmin: unknown): Promise<void> {
    const user = await this.getUser(username);
    const flag = parseBool(isAdmin, "is_admin");
    await this.store.updateUser(user.username, { isAdmin: flag });
    this.forget(user.id);
    await this.audit("user.admin_changed", actor, user.username, String(flag), null);
  }

  async deleteUser(actor: string, username: unknown): Promise<void> {
    const user = await this.getUser(username);
    if (user.username === actor) throw new InvalidParameterValueError("You cannot delete your own account; ask another admin.");
    await this.store.deleteUser(user.username);
    this.forget(user.id);
    await this.audit("user.deleted", actor, user.username, null, null);
  }

  // ---- tokens ----

  async createToken(actor: string, owner: User, name: unknown, expiresInDays: unknown): Promise<{ token: string; record: ApiToken }> {
    const label = typeof name === "string" && name.trim() !== "" ? name.trim() : "token";
    if (label.length > 256) throw new InvalidParameterValueError("Token name must be at most 256 characters long.");
    let expiresAt: number | null = null;
    if (expiresInDays !== undefined && expiresInDays !== null && expiresInDays !== 0) {
      const days = Number(expiresInDays);
      if (!Number.isFinite(days) || days <= 0 || days > MAX_TOKEN_DAYS) {
        throw new InvalidParameterValueError(`expires_in_days must be a number of days between 1 and ${MAX_TOKEN_DAYS} (0 or absent: never).`);
      }
      expiresAt = this.now() + Math.round(days * 86_400_000);
    }
    const token = newToken();
    const record = await this.store.createToken({ userId: owner.id, name: label, tokenHash: hashToken(token), hint: tokenHint(token), expiresAt });
    await this.audit("token.created", actor, owner.username, `${record.id} ${label}`, null);
    return { token, record };
  }

  listTokens(owner: User): Promise<ApiToken[]> {
    return this.store.listTokens(owner.id);
  }

  async revokeToken(actor: string, owner: User, tokenId: unknown): Promise<void> {
    const id = Number(tokenId);
    if (!Number.isInteger(id) || id <= 0) throw new InvalidParameterValueError(`Invalid token id '${String(tokenId)}'.`);
    if (!(await this.store.revokeToken(owner.id, id, this.now()))) {
      throw new ResourceDoesNotExistError(`Token ${id} of user ${owner.username} not found (or already revoked).`);
    }
    await this.audit("token.revoked", actor, owner.username, String(id), null);
  }

  // ---- audit ----

  async audit(type: string, actor: string | null, subject: string | null, detail: string | null, ip: string | null): Promise<void> {
    await this.store.appendAudit({ time: this.now(), type, actor, subject, detail, ip });
  }

  listAudit(opts: { limit?: number; beforeId?: number; type?: string }): Promise<AuditEvent[]> {
    const limit = Math.min(Math.max(Math.trunc(opts.limit ?? 100), 1), 1000);
    return this.store.listAudit({ limit, beforeId: opts.beforeId, type: opts.type });
  }

  /** Raises PERMISSION_DENIED unless the user is an admin. */
  requireAdmin(user: User): void {
    if (!user.isAdmin) throw new PermissionDeniedError();
  }

  private forget(userId: number): void {
    for (const [k, v] of this.verified) if (v.userId === userId) this.verified.delete(k);
  }
}

/** Verified against when the user does not exist, so timing does not tell whether a username is taken. */
/** The one answer to a refused password, whatever the reason: it states the lockout rule instead of whether it applies. */
export function signInRefused(t: ThrottleSettings): string {
  return `Invalid username or password. After ${t.maxFailuresPerAccount} failed sign-ins in a row an account is locked for ${Math.round(t.lockMs / 60_000)} minutes.`;
}

const DUMMY_HASH = "scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

function checkUsername(username: unknown): string {
  if (typeof username !== "string" || username === "") {
    throw new InvalidParameterValueError("Username must not be empty.");
  }
  if (!USERNAME.test(username)) {
    throw new InvalidParameterValueError(
      `Invalid username '${username.slice(0, 64)}': use letters, digits and . _ @ + - (at most 256 characters, starting with a letter or digit).`,
    );
  }
  return username;
}

function parseBool(v: unknown, field: string): boolean {
  if (typeof v === "boolean") return v;
  if (v === "true" || v === "True") return true;
  if (v === "false" || v === "False") return false;
  throw new MlflowError(`Invalid value ${JSON.stringify(v)} for parameter '${field}': expected true or false.`, "INVALID_PARAMETER_VALUE");
}
