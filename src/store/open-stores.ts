/**
 * The first half's SQL stores (tracking, registry, logged models) on one
 * database, migrated: what store-level tests, the benchmarks and `ciclo
 * import-mlflow` (which writes to a database directly) open without
 * building an app. The server builds its stores in its modules instead.
 * @module
 */
import { migrateToLatest, type MigrationResult } from "./migrations/migrator.js";
import type { Migration } from "./migrations/migration.js";
import { openConnection } from "./open-store.js";
import type { SqlConnection } from "./sql/sql-dialect.js";
import { SqlLoggedModelStore } from "./sql/logged-models/sql-logged-model-store.js";
import { SqlRegistryStore } from "./sql/registry/sql-registry-store.js";
import { SqlTrackingStore } from "./sql/tracking/sql-tracking-store.js";

export interface OpenStoreOptions {
  defaultArtifactRoot: string;
  /** Apply pending migrations (default true). */
  migrate?: boolean;
  /**
   * The migration sequence to apply and accept (default: the store's own). Pass
   * `migrationSequence(serverModules())` for a database a server has used: its
   * modules' migrations put it past the store's own versions.
   */
  migrations?: Migration[];
  /** SQLite: WAL checkpoints on a worker thread (the server's choice; see sqlite/wal-checkpointer.ts). */
  backgroundCheckpoints?: boolean;
}

export interface OpenedStores {
  tracking: SqlTrackingStore;
  /** The model registry; shares the tracking store's connection (closed with it). */
  registry: SqlRegistryStore;
  /** MLflow 3.x logged models; shares the tracking store's connection (closed with it). */
  loggedModels: SqlLoggedModelStore;
  connection: SqlConnection;
  migration?: MigrationResult;
}

export async function openStores(uri: string, opts: OpenStoreOptions): Promise<OpenedStores> {
  const connection = await openConnection(uri, { backgroundCheckpoints: opts.backgroundCheckpoints });
  try {
    const migration = opts.migrate === false ? undefined : await migrateToLatest(connection.db, connection.dialect.name, undefined, opts.migrations);
    const tracking = new SqlTrackingStore(connection, { defaultArtifactRoot: opts.defaultArtifactRoot });
    await tracking.init();
    const registry = new SqlRegistryStore(connection);
    const loggedModels = new SqlLoggedModelStore(connection);
    return { tracking, registry, loggedModels, connection, migration };
  } catch (err) {
    await connection.db.destroy();
    throw err;
  }
}

