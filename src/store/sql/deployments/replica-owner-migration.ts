/**
 * Migration 22: a model-server record names the ciclo server that runs it (`owner`, replica-owner.ts), and is
 * keyed by it: servers sharing one database each run replica 0 of a deployment, and each keeps its own record
 * (before, the second server's record replaced the first's, and its startup cleanup stopped the first's processes).
 * Records from before keep owner '' (a server that is gone).
 * @module
 */
import { sql, type Kysely } from "kysely";
import { text } from "../../migrations/ddl-helpers.js";
import type { Migration } from "../../migrations/migration.js";
import type { SqlDialectName } from "../sql-dialect.js";

async function up(db: Kysely<unknown>, d: SqlDialectName): Promise<void> {
  const big = d === "postgres" ? "bigint" : "integer";
  // SQLite cannot change a primary key in place: the table is built anew and the rows copied.
  await db.schema.alterTable("deployment_replicas").renameTo("deployment_replicas_0011").execute();
  await db.schema
    .createTable("deployment_replicas")
    .addColumn("endpoint", text(d, "varchar(64)"), (c) => c.notNull())
    .addColumn("deployment", text(d, "varchar(64)"), (c) => c.notNull())
    .addColumn("replica", "integer", (c) => c.notNull())
    .addColumn("owner", text(d, "varchar(256)"), (c) => c.notNull())
    .addColumn("pid", "integer", (c) => c.notNull())
    .addColumn("url", text(d, "varchar(256)"))
    .addColumn("started_at", big, (c) => c.notNull())
    .addPrimaryKeyConstraint("deployment_replicas_owner_pk", ["endpoint", "deployment", "replica", "owner"])
    .execute();
  await sql`insert into deployment_replicas (endpoint, deployment, replica, owner, pid, url, started_at)
    select endpoint, deployment, replica, '', pid, url, started_at from deployment_replicas_0011`.execute(db);
  await db.schema.dropTable("deployment_replicas_0011").execute();
}

export const replicaOwnerMigration: Migration = { version: 22, name: "deployment_replica_owner", up };
