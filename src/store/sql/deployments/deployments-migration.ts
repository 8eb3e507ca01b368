/**
 * Migration 0011, the deployments module's tables: endpoints (traffic,
 * mirror and strategy as JSON), their deployments, rollouts, the audit
 * history, and the model-server processes the local target started.
 * @module
 */
import type { Kysely } from "kysely";
import { idColumn, text } from "../../migrations/ddl-helpers.js";
import type { Migration } from "../../migrations/migration.js";
import type { SqlDialectName } from "../sql-dialect.js";

async function up(db: Kysely<unknown>, d: SqlDialectName): Promise<void> {
  const big = d === "postgres" ? "bigint" : "integer";
  await db.schema
    .createTable("deployment_endpoints")
    .addColumn("name", text(d, "varchar(64)"), (c) => c.primaryKey())
    .addColumn("description", text(d, "text"), (c) => c.notNull())
    .addColumn("traffic", text(d, "text"), (c) => c.notNull())
    .addColumn("mirror", text(d, "text"), (c) => c.notNull())
    .addColumn("strategy", text(d, "text"), (c) => c.notNull())
    .addColumn("sticky_header", text(d, "varchar(64)"))
    .addColumn("created_at", big, (c) => c.notNull())
    .addColumn("updated_at", big, (c) => c.notNull())
    .execute();
  await db.schema
    .createTable("deployment_deployments")
    .addColumn("endpoint", text(d, "varchar(64)"), (c) => c.notNull())
    .addColumn("name", text(d, "varchar(64)"), (c) => c.notNull())
    .addColumn("model_uri", text(d, "varchar(1000)"), (c) => c.notNull())
    .addColumn("model_name", text(d, "varchar(256)"), (c) => c.notNull())
    .addColumn("model_version", text(d, "varchar(32)"), (c) => c.notNull())
    .addColumn("follow_alias", text(d, "varchar(256)"))
    .addColumn("target", text(d, "varchar(32)"), (c) => c.notNull())
    .addColumn("replicas", "integer", (c) => c.notNull())
    .addColumn("env", text(d, "text"), (c) => c.notNull())
    .addColumn("created_at", big, (c) => c.notNull())
    .addColumn("updated_at", big, (c) => c.notNull())
    .addPrimaryKeyConstraint("deployment_deployments_pk", ["endpoint", "name"])
    .execute();
  await idColumn(db.schema.createTable("deployment_rollouts"), "id", d)
    .addColumn("endpoint", text(d, "varchar(64)"), (c) => c.notNull())
    .addColumn("stable", text(d, "varchar(64)"), (c) => c.notNull())
    .addColumn("candidate", text(d, "varchar(64)"), (c) => c.notNull())
    .addColumn("strategy", text(d, "text"), (c) => c.notNull())
    .addColumn("step", "integer", (c) => c.notNull())
    .addColumn("state", text(d, "varchar(16)"), (c) => c.notNull())
    .addColumn("reason", text(d, "text"))
    .addColumn("last_analysis", text(d, "text"))
    .addColumn("started_at", big, (c) => c.notNull())
    .addColumn("updated_at", big, (c) => c.notNull())
    .execute();
  await db.schema.createIndex("deployment_rollouts_endpoint").on("deployment_rollouts").columns(["endpoint", "id"]).execute();
  await idColumn(db.schema.createTable("deployment_history"), "id", d)
    .addColumn("endpoint", text(d, "varchar(64)"), (c) => c.notNull())
    .addColumn("deployment", text(d, "varchar(64)"))
    .addColumn("action", text(d, "varchar(64)"), (c) => c.notNull())
    .addColumn("actor", text(d, "varchar(256)"))
    .addColumn("reason", text(d, "text"))
    .addColumn("detail", text(d, "text"))
    .addColumn("time", big, (c) => c.notNull())
    .execute();
  await db.schema.createIndex("deployment_history_endpoint").on("deployment_history").columns(["endpoint", "id"]).execute();
  await db.schema
    .createTable("deployment_replicas")
    .addColumn("endpoint", text(d, "varchar(64)"), (c) => c.notNull())
    .addColumn("deployment", text(d, "varchar(64)"), (c) => c.notNull())
    .addColumn("replica", "integer", (c) => c.notNull())
    .addColumn("pid", "integer", (c) => c.notNull())
    .addColumn("url", text(d, "varchar(256)"))
    .addColumn("started_at", big, (c) => c.notNull())
    .addPrimaryKeyConstraint("deployment_replicas_pk", ["endpoint", "deployment", "replica"])
    .execute();
}

export const deploymentsMigration: Migration = { version: 11, name: "deployments", up };
