/**
 * Logged models found by the run that produced them (`source_run_id`): the
 * run page and the runs table's Models column ask for the models of a page
 * of runs at once (`/api/ciclo/v1/runs/models`); without this index each
 * call scanned every logged model.
 */
import type { Kysely } from "kysely";
import type { Migration } from "./migration.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex("logged_models_source_run").on("logged_models").columns(["source_run_id"]).execute();
}

export const loggedModelSourceRunMigration: Migration = { version: 8, name: "logged_model_source_run", up };
