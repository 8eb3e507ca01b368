/**
 * The auth store on the shared metadata database (SQLite or PostgreSQL).
 * Writes go through the connection's write path; the permission check's
 * reads are single-row primary-key lookups.
 * @module
 */
import type { Kysely, Selectable } from "kysely";
import type { ApiToken, AuditEvent, AuthStore, ExperimentPermission, NewAuditEvent, RegisteredModelPermission, Session, User } from "../../../auth/auth-store.js";
import type { GroupGrants } from "../../../auth/group-grants.js";
import type { PermissionName } from "../../../auth/permissions.js";
import type { Database } from "../schema.js";
import type { SqlConnection } from "../sql-dialect.js";
import type { AuthTables } from "./auth-tables.js";

type Db = Kysely<Database & AuthTables>;
type UserRow = Selectable<AuthTables["auth_users"]>;
type TokenRow = Selectable<AuthTables["auth_tokens"]>;

const toUser = (r: UserRow): User => ({
  id: Number(r.id),
  username: r.username,
  isAdmin: Number(r.is_admin) === 1,
  isServiceAccount: Number(r.is_service_account) === 1,
  passwordHash: r.password_hash,
  createdAt: Number(r.created_at),
  failedLogins: Number(r.failed_logins),
  lockedUntil: r.locked_until === null ? null : Number(r.locked_until),
  groupGrants: r.group_grants ? (JSON.parse(r.group_grants) as GroupGrants) : null,
});

const toToken = (r: TokenRow): ApiToken => ({
  id: Number(r.id),
  userId: Number(r.user_id),
  name: r.name,
  hint: r.hint,
  createdAt: Number(r.created_at),
  expiresAt: r.expires_at === null ? null : Number(r.expires_at),
  lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
  revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
});

const changed = (r: { numUpdatedRows?: bigint; numDeletedRows?: bigint }) => Number(r.numUpdatedRows ?? r.numDeletedRows ?? 0n) > 0;

export class SqlAuthStore implements AuthStore {
  private readonly db: Db;
  constructor(private readonly conn: SqlConnection) {
    this.db = conn.db.withTables<AuthTables>();
  }

  private write<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return this.conn.write((trx) => fn(trx.withTables<AuthTables>()));
  }

  async createUser(input: { username: string; passwordHash: string | null; isAdmin: boolean; isServiceAccount: boolean }): Promise<User> {
    const row = await this.write((db) =>
      db
        .insertInto("auth_users")
        .values({
          username: input.username,
          password_hash: input.passwordHash,
          is_admin: input.isAdmin ? 1 : 0,
          is_service_account: input.isServiceAccount ? 1 : 0,
          created_at: Date.now(),
          locked_until: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow(),
    );
    return toUser(row);
  }

  async getUser(username: string): Promise<User | undefined> {
    const r = await this.db.selectFrom("auth_users").selectAll().where("username", "=", username).executeTakeFirst();
    return r && toUser(r);
  }

  async getUserById(id: number): Promise<User | undefined> {
    const r = await this.db.selectFrom("auth_users").selectAll().where("id", "=", id).executeTakeFirst();
    return r && toUser(r);
  }

  async listUsers(): Promise<User[]> {
    return (await this.db.selectFrom("auth_users").selectAll().orderBy("username").execute()).map(toUser);
  }

  async updateUser(username: string, change: { passwordHash?: string; isAdmin?: boolean }): Promise<boolean> {
    const set: { password_hash?: string; is_admin?: number; failed_logins?: number; locked_until?: null } = {};
    if (change.passwordHash !== undefined) Object.assign(set, { password_hash: change.passwordHash, failed_logins: 0, locked_until: null });
    if (change.isAdmin !== undefined) set.is_admin = change.isAdmin ? 1 : 0;
    if (Object.keys(set).length === 0) return (await this.getUser(username)) !== undefined;
    return changed(await this.write((db) => db.updateTable("auth_users").set(set).where("username", "=", username).executeTakeFirst()));
  }

  async deleteUser(username: string): Promise<boolean> {
    return this.write(async (db) => {
      const user = await db.selectFrom("auth_users").select("id").where("username", "=", username).executeTakeFirst();
      if (!user) return false;
      // Explicit (SQLite enforces foreign keys only when asked to).
      await db.deleteFrom("auth_tokens").where("user_id", "=", user.id).execute();
      await db.deleteFrom("auth_sessions").where("user_id", "=", user.id).execute();
      await db.deleteFrom("auth_experiment_permissions").where("user_id", "=", user.id).execute();
      await db.deleteFrom("auth_registered_model_permissions").where("user_id", "=", user.id).execute();
      await db.deleteFrom("auth_users").where("id", "=", user.id).execute();
      return true;
    });
  }

  async recordFailedLogin(userId: number, lockUntil: number | null): Promise<void> {
    await this.write((db) =>
      db
        .updateTable("auth_users")
        .set((eb) => ({ failed_logins: eb("failed_logins", "+", 1), ...(lockUntil !== null ? { locked_until: lockUntil } : {}) }))
        .where("id", "=", userId)
        .execute(),
    );
  }

  async resetFailedLogins(userId: number): Promise<void> {
    await this.write((db) => db.updateTable("auth_users").set({ failed_logins: 0, locked_until: null }).where("id", "=", userId).execute());
  }

  async createToken(input: { userId: number; name: string; tokenHash: string; hint: string; expiresAt: number | null }): Promise<ApiToken> {
    const row = await this.write((db) =>
      db
        .insertInto("auth_tokens")
        .values({
          user_id: input.userId,
          name: input.name,
          token_hash: input.tokenHash,
          hint: input.hint,
          created_at: Date.now(),
          expires_at: input.expiresAt,
          last_used_at: null,
          revoked_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow(),
    );
    return toToken(row);
  }

  async findToken(tokenHash: string): Promise<{ token: ApiToken; user: User } | undefined> {
    const t = await this.db.selectFrom("auth_tokens").selectAll().where("token_hash", "=", tokenHash).executeTakeFirst();
    if (!t) return undefined;
    const user = await this.getUserById(Number(t.user_id));
    return user && { token: toToken(t), user };
  }

  async listTokens(userId: number): Promise<ApiToken[]> {
    return (await this.db.selectFrom("auth_tokens").selectAll().where("user_id", "=", userId).orderBy("id").execute()).map(toToken);
  }

  async revokeToken(userId: number, tokenId: number, at: number): Promise<boolean> {
    return changed(
      await this.write((db) =>
        db.updateTable("auth_tokens").set({ revoked_at: at }).where("id", "=", tokenId).where("user_id", "=", userId).where("revoked_at", "is", null).executeTakeFirst(),
      ),
    );
  }

  async touchToken(tokenId: number, at: number): Promise<void> {
    await this.write((db) => db.updateTable("auth_tokens").set({ last_used_at: at }).where("id", "=", tokenId).execute());
  }

  async getExperimentPermission(experimentId: string, userId: number): Promise<PermissionName | undefined> {
    const r = await this.db
      .selectFrom("auth_experiment_permissions")
      .select("permission")
      .where("experiment_id", "=", experimentId)
      .where("user_id", "=", userId)
      .executeTakeFirst();
    return r?.permission as PermissionName | undefined;
  }

  async listExperimentPermissions(userId: number): Promise<ExperimentPermission[]> {
    const rows = await this.db.selectFrom("auth_experiment_permissions").selectAll().where("user_id", "=", userId).execute();
    return rows.map((r) => ({ experimentId: r.experiment_id, userId: Number(r.user_id), permission: r.permission as PermissionName }));
  }

  async listExperimentPermissionsOf(experimentId: string): Promise<Array<ExperimentPermission & { username: string }>> {
    const rows = await this.db
      .selectFrom("auth_experiment_permissions as p")
      .innerJoin("auth_users as u", "u.id", "p.user_id")
      .select(["p.experiment_id", "p.user_id", "p.permission", "u.username"])
      .where("p.experiment_id", "=", experimentId)
      .orderBy("u.username")
      .execute();
    return rows.map((r) => ({ experimentId: r.experiment_id, userId: Number(r.user_id), permission: r.permission as PermissionName, username: r.username }));
  }

  async createExperimentPermission(p: ExperimentPermission): Promise<boolean> {
    return this.write(async (db) => {
      const had = await db
        .selectFrom("auth_experiment_permissions")
        .select("permission")
        .where("experiment_id", "=", p.experimentId)
        .where("user_id", "=", p.userId)
        .executeTakeFirst();
      if (had) return false;
      await db.insertInto("auth_experiment_permissions").values({ experiment_id: p.experimentId, user_id: p.userId, permission: p.permission }).execute();
      return true;
    });
  }

  async updateExperimentPermission(p: ExperimentPermission): Promise<boolean> {
    return changed(
      await this.write((db) =>
        db
          .updateTable("auth_experiment_permissions")
          .set({ permission: p.permission })
          .where("experiment_id", "=", p.experimentId)
          .where("user_id", "=", p.userId)
          .executeTakeFirst(),
      ),
    );
  }

  async deleteExperimentPermission(experimentId: string, userId: number): Promise<boolean> {
    return changed(
      await this.write((db) =>
        db.deleteFrom("auth_experiment_permissions").where("experiment_id", "=", experimentId).where("user_id", "=", userId).executeTakeFirst(),
      ),
    );
  }

  async getRegisteredModelPermission(name: string, userId: number): Promise<PermissionName | undefined> {
    const r = await this.db
      .selectFrom("auth_registered_model_permissions")
      .select("permission")
      .where("name", "=", name)
      .where("user_id", "=", userId)
      .executeTakeFirst();
    return r?.permission as PermissionName | undefined;
  }

  async listRegisteredModelPermissions(userId: number): Promise<RegisteredModelPermission[]> {
    const rows = await this.db.selectFrom("auth_registered_model_permissions").selectAll().where("user_id", "=", userId).execute();
    return rows.map((r) => ({ name: r.name, userId: Number(r.user_id), permission: r.permission as PermissionName }));
  }

  async listRegisteredModelPermissionsOf(name: string): Promise<Array<RegisteredModelPermission & { username: string }>> {
    const rows = await this.db
      .selectFrom("auth_registered_model_permissions as p")
      .innerJoin("auth_users as u", "u.id", "p.user_id")
      .select(["p.name", "p.user_id", "p.permission", "u.username"])
      .where("p.name", "=", name)
      .orderBy("u.username")
      .execute();
    return rows.map((r) => ({ name: r.name, userId: Number(r.user_id), permission: r.permission as PermissionName, username: r.username }));
  }

  async createRegisteredModelPermission(p: RegisteredModelPermission): Promise<boolean> {
    return this.write(async (db) => {
      const had = await db
        .selectFrom("auth_registered_model_permissions")
        .select("permission")
        .where("name", "=", p.name)
        .where("user_id", "=", p.userId)
        .executeTakeFirst();
      if (had) return false;
      await db.insertInto("auth_registered_model_permissions").values({ name: p.name, user_id: p.userId, permission: p.permission }).execute();
      return true;
    });
  }

  async updateRegisteredModelPermission(p: RegisteredModelPermission): Promise<boolean> {
    return changed(
      await this.write((db) =>
        db
          .updateTable("auth_registered_model_permissions")
          .set({ permission: p.permission })
          .where("name", "=", p.name)
          .where("user_id", "=", p.userId)
          .executeTakeFirst(),
      ),
    );
  }

  async deleteRegisteredModelPermission(name: string, userId: number): Promise<boolean> {
    return changed(
      await this.write((db) => db.deleteFrom("auth_registered_model_permissions").where("name", "=", name).where("user_id", "=", userId).executeTakeFirst()),
    );
  }

  async renameRegisteredModelPermissions(oldName: string, newName: string): Promise<void> {
    await this.write(async (db) => {
      await db.deleteFrom("auth_registered_model_permissions").where("name", "=", newName).execute();
      await db.updateTable("auth_registered_model_permissions").set({ name: newName }).where("name", "=", oldName).execute();
    });
  }

  async dropRegisteredModelPermissions(name: string): Promise<void> {
    await this.write((db) => db.deleteFrom("auth_registered_model_permissions").where("name", "=", name).execute());
  }

  async createSession(x: Session): Promise<void> {
    await this.write((db) =>
      db
        .insertInto("auth_sessions")
        .values({ id_hash: x.idHash, user_id: x.userId, csrf_token: x.csrfToken, via: x.via, created_at: x.createdAt, expires_at: x.expiresAt, last_seen_at: x.lastSeenAt })
        .execute(),
    );
  }

  async findSession(idHash: string): Promise<{ session: Session; user: User } | undefined> {
    const s = await this.db.selectFrom("auth_sessions").selectAll().where("id_hash", "=", idHash).executeTakeFirst();
    if (!s) return undefined;
    const user = await this.getUserById(Number(s.user_id));
    if (!user) return undefined;
    const session: Session = {
      idHash: s.id_hash,
      userId: Number(s.user_id),
      csrfToken: s.csrf_token,
      via: s.via === "sso" ? "sso" : "password",
      createdAt: Number(s.created_at),
      expiresAt: Number(s.expires_at),
      lastSeenAt: Number(s.last_seen_at),
    };
    return { session, user };
  }

  async touchSession(idHash: string, at: number): Promise<void> {
    await this.write((db) => db.updateTable("auth_sessions").set({ last_seen_at: at }).where("id_hash", "=", idHash).execute());
  }

  async deleteSession(idHash: string): Promise<void> {
    await this.write((db) => db.deleteFrom("auth_sessions").where("id_hash", "=", idHash).execute());
  }

  async deleteUserSessions(userId: number, exceptIdHash?: string): Promise<void> {
    await this.write((db) => {
      let q = db.deleteFrom("auth_sessions").where("user_id", "=", userId);
      if (exceptIdHash !== undefined) q = q.where("id_hash", "!=", exceptIdHash);
      return q.execute();
    });
  }

  async deleteExpiredSessions(now: number): Promise<number> {
    const r = await this.write((db) => db.deleteFrom("auth_sessions").where("expires_at", "<", now).executeTakeFirst());
    return Number(r.numDeletedRows ?? 0n);
  }

  async setGroupGrants(userId: number, grants: GroupGrants | null): Promise<void> {
    await this.write((db) => db.updateTable("auth_users").set({ group_grants: grants ? JSON.stringify(grants) : null }).where("id", "=", userId).execute());
  }

  async getUserBySsoSubject(subject: string): Promise<User | undefined> {
    const r = await this.db.selectFrom("auth_users").selectAll().where("sso_subject", "=", subject).executeTakeFirst();
    return r && toUser(r);
  }

  async createSsoUser(input: { username: string; subject: string; isAdmin: boolean }): Promise<User> {
    const row = await this.write((db) =>
      db
        .insertInto("auth_users")
        .values({ username: input.username, password_hash: null, is_admin: input.isAdmin ? 1 : 0, is_service_account: 0, created_at: Date.now(), locked_until: null, sso_subject: input.subject })
        .returningAll()
        .executeTakeFirstOrThrow(),
    );
    return toUser(row);
  }

  async appendAudit(e: NewAuditEvent): Promise<void> {
    await this.write((db) => db.insertInto("auth_audit_events").values(e).execute());
  }

  async listAudit(opts: { limit: number; beforeId?: number; type?: string }): Promise<AuditEvent[]> {
    let q = this.db.selectFrom("auth_audit_events").selectAll().orderBy("id", "desc").limit(opts.limit);
    if (opts.beforeId !== undefined) q = q.where("id", "<", opts.beforeId);
    if (opts.type) q = q.where("type", "=", opts.type);
    return (await q.execute()).map((r) => ({ ...r, id: Number(r.id), time: Number(r.time) }));
  }
}
