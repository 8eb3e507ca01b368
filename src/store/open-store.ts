/**
 * Opens the metadata database named by a URI (`sqlite:`, `postgresql:`).
 * Engine packages load lazily. The server migrates it with every module's
 * migrations (server/main.ts); each module builds its own store on it.
 * @module
 */
import type { SqlConnection } from "./sql/sql-dialect.js";

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

/** Hides a password in a database URI before it is logged or shown. */
export function redactUri(uri: string): string {
  return uri.replace(/\/\/([^:/@]+):[^@/]*@/, "//$1:***@");
}
