/**
 * The metadata databases a store contract runs on: a fresh SQLite file or a
 * fresh PostgreSQL database, opened with every store and migrated, and what
 * removes it. PostgreSQL unreachable: undefined, with the reason printed (a
 * failure under CICLO_REQUIRE_ALL=1; see postgresUnavailable).
 * @module
 */
import { join } from "node:path";
import { openConnection } from "../store/open-store.js";
import { openStores, type OpenedStores } from "../store/open-stores.js";
import { SqlEventStore, SqlJobStore } from "../store/sql/jobs/sql-job-store.js";
import { createTestDatabase, postgresUnavailable } from "./postgres-fixture.js";
import { tempDir } from "./temp-dir.js";

export type StoreBackend = "sqlite" | "postgres";

export interface TestStores {
  /** The database's URI (a second connection to it: a replica). */
  uri: string;
  stores: OpenedStores;
  /** The default artifact root the stores were opened with. */
  artifactRoot: string;
  /** Closes the stores and removes the database. */
  cleanup(): Promise<void>;
}

export async function openTestStores(backend: StoreBackend): Promise<TestStores | undefined> {
  if (backend === "sqlite") {
    const dir = tempDir();
    const uri = `sqlite:///${join(dir.path, "ciclo.db")}`;
    const artifactRoot = "mlflow-artifacts:/";
    const stores = await openStores(uri, { defaultArtifactRoot: artifactRoot });
    return { uri, stores, artifactRoot, cleanup: async () => (await stores.tracking.close(), dir.remove()) };
  }
  if (await postgresUnavailable()) return undefined;
  const pgdb = await createTestDatabase();
  const artifactRoot = "s3://bucket/root";
  const stores = await openStores(pgdb.uri, { defaultArtifactRoot: artifactRoot });
  return { uri: pgdb.uri, stores, artifactRoot, cleanup: async () => (await stores.tracking.close(), await pgdb.drop()) };
}

/** A second connection to the database at `uri` with the job and event stores on it: another server process. */
export async function openReplica(uri: string): Promise<{ store: SqlJobStore; events: SqlEventStore; close(): Promise<void> }> {
  const conn = await openConnection(uri);
  return { store: new SqlJobStore(conn), events: new SqlEventStore(conn), close: () => conn.db.destroy() };
}
