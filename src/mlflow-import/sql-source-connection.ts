/**
 * Opens MLflow's own database, read-only where the engine allows it, from an
 * MLflow backend store URI: `sqlite:///…`, `postgresql[+driver]://…`,
 * `mysql[+driver]://…` (MariaDB too). Each engine's package loads only when
 * its URI is used; mysql2 is needed only for MySQL sources.
 * @module
 */
import { existsSync } from "node:fs";
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect } from "kysely";
import { redactUri } from "../store/open-store.js";
import type { MlflowDb } from "./mlflow-schema.js";

export type SourceEngine = "sqlite" | "postgres" | "mysql";

export interface SourceConnection {
  db: Kysely<MlflowDb>;
  engine: SourceEngine;
  describe: string;
}

export function isSqlSourceUri(uri: string): boolean {
  return /^(sqlite|postgres(ql)?|mysql)(\+[\w-]+)?:/i.test(uri);
}

/** MLflow's SQLAlchemy form: sqlite:///relative.db, sqlite:////absolute.db. */
function sqlitePath(uri: string): string {
  const rest = uri.replace(/^sqlite:\/\//i, "").split("?")[0];
  const path = rest.startsWith("/") ? rest.slice(1) : rest;
  if (path === "" || path === ":memory:") throw new Error(`No database file in '${uri}'.`);
  return path;
}

export async function openSourceConnection(uri: string): Promise<SourceConnection> {
  const describe = redactUri(uri);
  if (/^sqlite:/i.test(uri)) {
    const path = sqlitePath(uri);
    if (!existsSync(path)) throw new Error(`No MLflow database at '${path}' (from '${describe}').`);
    const { default: Database } = await import("better-sqlite3");
    // Read-only: the import never writes to the source.
    const sqlite = new Database(path, { readonly: true, fileMustExist: true });
    return { db: new Kysely<MlflowDb>({ dialect: new SqliteDialect({ database: sqlite }) }), engine: "sqlite", describe };
  }
  if (/^postgres(ql)?(\+[\w-]+)?:/i.test(uri)) {
    const { default: pg } = await import("pg");
    const pool = new pg.Pool({
      connectionString: uri.replace(/^postgres(ql)?(\+[\w-]+)?:/i, "postgresql:"),
      max: 2,
      types: {
        getTypeParser(oid: number, format?: string) {
          // int8 (timestamps, steps) as numbers, as MLflow's client reads them.
          if (oid === 20) return (v: string) => Number(v);
          return pg.types.getTypeParser(oid, format as "text");
        },
      },
    });
    pool.on("error", () => {});
    return { db: new Kysely<MlflowDb>({ dialect: new PostgresDialect({ pool }) }), engine: "postgres", describe };
  }
  if (/^mysql(\+[\w-]+)?:/i.test(uri)) {
    let mysql: typeof import("mysql2");
    try {
      mysql = await import("mysql2");
    } catch {
      throw new Error(`Reading a MySQL/MariaDB MLflow database needs the mysql2 package, which is not installed (npm i mysql2).`);
    }
    const u = new URL(uri.replace(/^mysql(\+[\w-]+)?:/i, "mysql:"));
    const pool = mysql.createPool({
      host: u.hostname || "127.0.0.1",
      port: u.port ? Number(u.port) : 3306,
      user: decodeURIComponent(u.username),
      password: decodeURIComponent(u.password),
      database: decodeURIComponent(u.pathname.slice(1)),
      connectionLimit: 2,
      // MLflow's BIGINT columns (timestamps, steps) as numbers; DECIMAL never appears in its schema.
      supportBigNumbers: true,
      bigNumberStrings: false,
      charset: "utf8mb4",
    });
    return { db: new Kysely<MlflowDb>({ dialect: new MysqlDialect({ pool }) }), engine: "mysql", describe };
  }
  throw new Error(`Unsupported MLflow backend store URI '${describe}': use sqlite:///…, postgresql://…, mysql://… or a file store folder.`);
}
