/**
 * Migration 0017, owned by the auth module: what an SSO user's identity
 * provider groups grant them (`CICLO_OIDC_GROUP_PERMISSIONS`), as JSON,
 * rewritten at every sign-in (src/auth/group-grants.ts).
 * @module
 */
import type { Kysely } from "kysely";
import { text } from "../../migrations/ddl-helpers.js";
import type { Migration } from "../../migrations/migration.js";
import type { SqlDialectName } from "../sql-dialect.js";

async function up(db: Kysely<unknown>, d: SqlDialectName): Promise<void> {
  await db.schema.alterTable("auth_users").addColumn("group_grants", text(d, "text")).execute();
}

export const groupGrantsMigration: Migration = { version: 17, name: "auth_group_grants", up };
