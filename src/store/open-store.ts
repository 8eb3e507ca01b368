/**
 * Opens the metadata store named by a URI (`sqlite:`, `postgresql:`),
 * migrating it to the latest schema. Engine packages load lazily.
 * @module
 */
import { migrateToLatest, type MigrationResult } from "./migrations/migrator.js";
import type { SqlConnection } from "./sql/sql-dialect.js";
import { SqlLoggedModelStore } from "./sql/logged-models/sql-logged-model-store.js";
import { SqlRegistryStore } from "./sql/registry/sql-registry-store.js";
import { SqlTrackingStore } from "./sql/tracking/sql-tracking-store.js";

export interface OpenStoreOptions {
  defaultArtifactRoot: string;
  /** Apply pending migrations (default true). */
  migrate?: boolean;
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

export async function openConnection(uri: string, opts: { backgroundCheckpoints?: boolean } = {}): Promise<SqlConnection> {
  if (uri.startsWith("sqlite:")) {
    const { openSqlite } = await import("./sqlite/sqlite-connection.js");
    return openSqlite(uri, { backgroundCheckpoints: opts.backgroundCheckpoints });
  }
  if (/^postgres(ql)?(\+\w+)?:/.test(uri)) {
    const { openPostgres } = await import("./postgres/postgres-connection.js");
    return openPostgres(uri);
  }
  throw new Error(`Unsupported backend store URI '${redactUri(uri)}': use sqlite:///path.db or postgresql://...`);
}

export async function openStores(uri: string, opts: OpenStoreOptions): Promise<OpenedStores> {
  const connection = await openConnection(uri, { backgroundCheckpoints: opts.backgroundCheckpoints });
  try {
    const migration = opts.migrate === false ? undefined : await migrateToLatest(connection.db, connection.dialect.name);
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

/** Hides a password in a database URI before it is logged or shown. */
export function redactUri(uri: string): string {
  return uri.replace(/\/\/([^:/@]+):[^@/]*@/, "//$1:***@");
}
