/**
 * Migration 0010, owned by the auth module: users (people and service
 * accounts), API tokens (hashes only), MLflow's two permission tables, the
 * audit log of auth events, and encrypted secrets.
 * @module
 */
import type { Kysely } from "kysely";
import { clusteredByKey, idColumn, text } from "../../migrations/ddl-helpers.js";
import type { Migration } from "../../migrations/migration.js";
import type { SqlDialectName } from "../sql-dialect.js";

async function up(db: Kysely<unknown>, d: SqlDialectName): Promise<void> {
  const big = d === "postgres" ? "bigint" : "integer";
  await idColumn(db.schema.createTable("auth_users"), "id", d)
    .addColumn("username", text(d, "varchar(256)"), (c) => c.notNull().unique())
    .addColumn("password_hash", text(d, "varchar(512)"))
    .addColumn("is_admin", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("is_service_account", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", big, (c) => c.notNull())
    .addColumn("failed_logins", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("locked_until", big)
    .execute();

  await idColumn(db.schema.createTable("auth_tokens"), "id", d)
    .addColumn("user_id", "integer", (c) => c.notNull().references("auth_users.id").onDelete("cascade"))
    .addColumn("name", text(d, "varchar(256)"), (c) => c.notNull())
    .addColumn("token_hash", text(d, "varchar(128)"), (c) => c.notNull().unique())
    .addColumn("hint", text(d, "varchar(32)"), (c) => c.notNull())
    .addColumn("created_at", big, (c) => c.notNull())
    .addColumn("expires_at", big)
    .addColumn("last_used_at", big)
    .addColumn("revoked_at", big)
    .execute();
  await db.schema.createIndex("auth_tokens_user").on("auth_tokens").columns(["user_id", "id"]).execute();

  await clusteredByKey(
    db.schema
      .createTable("auth_experiment_permissions")
      .addColumn("experiment_id", text(d, "varchar(32)"), (c) => c.notNull())
      .addColumn("user_id", "integer", (c) => c.notNull().references("auth_users.id").onDelete("cascade"))
      .addColumn("permission", text(d, "varchar(32)"), (c) => c.notNull())
      .addPrimaryKeyConstraint("auth_experiment_permissions_pk", ["experiment_id", "user_id"]),
    d,
  ).execute();
  await db.schema.createIndex("auth_experiment_permissions_user").on("auth_experiment_permissions").columns(["user_id"]).execute();

  await clusteredByKey(
    db.schema
      .createTable("auth_registered_model_permissions")
      .addColumn("name", text(d, "varchar(256)"), (c) => c.notNull())
      .addColumn("user_id", "integer", (c) => c.notNull().references("auth_users.id").onDelete("cascade"))
      .addColumn("permission", text(d, "varchar(32)"), (c) => c.notNull())
      .addPrimaryKeyConstraint("auth_registered_model_permissions_pk", ["name", "user_id"]),
    d,
  ).execute();
  await db.schema.createIndex("auth_registered_model_permissions_user").on("auth_registered_model_permissions").columns(["user_id"]).execute();

  let audit = db.schema.createTable("auth_audit_events");
  audit = d === "postgres"
    ? audit.addColumn("id", "bigint", (c) => c.primaryKey().generatedByDefaultAsIdentity())
    : audit.addColumn("id", "integer", (c) => c.primaryKey().autoIncrement());
  await audit
    .addColumn("time", big, (c) => c.notNull())
    .addColumn("type", text(d, "varchar(64)"), (c) => c.notNull())
    .addColumn("actor", text(d, "varchar(256)"))
    .addColumn("subject", text(d, "varchar(512)"))
    .addColumn("detail", text(d, "text"))
    .addColumn("ip", text(d, "varchar(64)"))
    .execute();

  await db.schema
    .createTable("auth_secrets")
    .addColumn("name", text(d, "varchar(256)"), (c) => c.primaryKey())
    .addColumn("description", text(d, "text"))
    .addColumn("ciphertext", text(d, "text"), (c) => c.notNull())
    .addColumn("key_id", text(d, "varchar(64)"), (c) => c.notNull())
    .addColumn("created_at", big, (c) => c.notNull())
    .addColumn("updated_at", big, (c) => c.notNull())
    .addColumn("created_by", text(d, "varchar(256)"))
    .execute();
}

export const authMigration: Migration = { version: 10, name: "auth", up };
