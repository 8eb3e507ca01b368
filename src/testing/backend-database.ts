/**
 * An empty database on one backend for a store-level test: a fresh PostgreSQL database (or why PostgreSQL is
 * unavailable, for the test to skip with) or a SQLite file in a temporary folder, and how to remove it.
 * @module
 */
import { join } from "node:path";
import { createTestDatabase, postgresUnavailable } from "./postgres-fixture.js";
import { tempDir } from "./temp-dir.js";

export type FreshDatabase = { uri: string; cleanup: () => Promise<void>; skip?: undefined } | { skip: string };

export async function freshDatabase(backend: "sqlite" | "postgres"): Promise<FreshDatabase> {
  if (backend === "postgres") {
    const skip = await postgresUnavailable();
    if (skip) return { skip };
    const pgdb = await createTestDatabase();
    return { uri: pgdb.uri, cleanup: () => pgdb.drop() };
  }
  const dir = tempDir();
  return { uri: `sqlite:///${join(dir.path, "ciclo.db")}`, cleanup: async () => dir.remove() };
}
