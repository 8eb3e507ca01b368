/**
 * Migration 0015, owned by the auth module: the web UI's sign-in sessions
 * (only a hash of the cookie's value is stored, with the session's CSRF token
 * and its expiry), and the OpenID Connect subject an SSO user is linked to.
 * @module
 */
import type { Kysely } from "kysely";
import { text } from "../../migrations/ddl-helpers.js";
import type { Migration } from "../../migrations/migration.js";
import type { SqlDialectName } from "../sql-dialect.js";

async function up(db: Kysely<unknown>, d: SqlDialectName): Promise<void> {
  const big = d === "postgres" ? "bigint" : "integer";
  await db.schema
    .createTable("auth_sessions")
    .addColumn("id_hash", text(d, "varchar(128)"), (c) => c.primaryKey())
    .addColumn("user_id", "integer", (c) => c.notNull().references("auth_users.id").onDelete("cascade"))
    .addColumn("csrf_token", text(d, "varchar(128)"), (c) => c.notNull())
    .addColumn("via", text(d, "varchar(16)"), (c) => c.notNull())
    .addColumn("created_at", big, (c) => c.notNull())
    .addColumn("expires_at", big, (c) => c.notNull())
    .addColumn("last_seen_at", big, (c) => c.notNull())
    .execute();
  await db.schema.createIndex("auth_sessions_user").on("auth_sessions").columns(["user_id"]).execute();
  await db.schema.alterTable("auth_users").addColumn("sso_subject", text(d, "varchar(512)")).execute();
  await db.schema.createIndex("auth_users_sso_subject").on("auth_users").columns(["sso_subject"]).unique().execute();
}

export const sessionsMigration: Migration = { version: 15, name: "auth_sessions", up };
