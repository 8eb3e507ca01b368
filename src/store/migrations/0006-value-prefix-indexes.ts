/**
 * PostgreSQL refuses B-tree entries over ~2.7 KB, and param values may be 6,000
 * characters and tag values 8,000: an index on the whole value made such writes
 * fail. Params and tags are now indexed on the first 256 characters of the value;
 * equality filters compare that prefix first (so the index is used) and then the
 * whole value. Same on SQLite, so the SQL stays written once.
 */
import { VALUE_PREFIX_LENGTH } from "../sql/sql-dialect.js";
import { sql, type Kysely } from "kysely";
import type { Migration } from "./migration.js";


// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function up(db: Kysely<any>): Promise<void> {
  for (const table of ["params", "tags"]) {
    await db.schema.dropIndex(`${table}_key_value`).execute();
    await db.schema
      .createIndex(`${table}_key_value_prefix`)
      .on(table)
      .expression(sql`${sql.ref("key")}, substr(${sql.ref("value")}, 1, ${sql.lit(VALUE_PREFIX_LENGTH)}), run_id`)
      .execute();
  }
}

export const valuePrefixIndexesMigration: Migration = { version: 6, name: "value_prefix_indexes", up };
