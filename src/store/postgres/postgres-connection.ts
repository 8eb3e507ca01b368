/**
 * Opens a PostgreSQL metadata store (`postgresql://user@host:port/db`).
 * Quirks kept here: BIGINT columns parse to numbers, and bulk inserts go
 * through `unnest` of typed arrays (one statement, any row count).
 * @module
 */
import { CompiledQuery, Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import type { Database } from "../sql/schema.js";
import { GroupCommitQueue } from "../sql/group-commit-queue.js";
import type { SqlConnection, SqlDialect } from "../sql/sql-dialect.js";

const INT8_OID = 20;
const NUMERIC_OID = 1700;

function postgresDialect(pool: pg.Pool): SqlDialect {
  return {
  name: "postgres",
  async bulkInsert(db, table, columns, rows, suffix) {
    if (rows.length === 0) return 0;
    const arrays = columns.map((_, c) => rows.map((r) => r[c]));
    const text =
      `insert into ${table} (${columns.map((c) => `"${c.name}"`).join(",")}) ` +
      `select * from unnest(${columns.map((c, i) => `$${i + 1}::${c.pgType}[]`).join(",")}) ${suffix}`;
    const res = await db.executeQuery(CompiledQuery.raw(text, arrays));
    return Number(res.numAffectedRows ?? 0);
  },
  async readRows(_db, query) {
    const res = await pool.query({ text: query.sql, values: query.parameters as unknown[], rowMode: "array" });
    return res.rows as unknown[][];
  },
  };
}

/** Deadlock and serialization failures: the transaction was rolled back whole, so it can run again. */
const RETRYABLE = new Set(["40P01", "40001"]);


export interface PostgresOptions {
  maxConnections?: number;
}

export function openPostgres(uri: string, opts: PostgresOptions = {}): SqlConnection {
  const connectionString = uri.replace(/^postgres(ql)?(\+\w+)?:/, "postgresql:");
  const pool = new pg.Pool({
    connectionString,
    max: opts.maxConnections ?? 10,
    types: {
      getTypeParser(oid: number, format?: string) {
        if (oid === INT8_OID || oid === NUMERIC_OID) return (v: string) => Number(v);
        return pg.types.getTypeParser(oid, format as "text");
      },
    },
  });
  // An idle connection that the server drops (restart, failover, admin kill) emits an error on the
  // pool; pg removes that client and the next query opens a new one. Without a listener it would crash the process.
  pool.on("error", () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const u = new URL(connectionString);
  const quirks = postgresDialect(pool);
  // One writer per server process with group commit, as on SQLite: concurrent requests share one
  // transaction (one fsync), and a run's latest-value rows are updated once per group instead of
  // every request queueing on their row locks. Replicas each have their own writer.
  const queue = new GroupCommitQueue(db, quirks, (err) => RETRYABLE.has((err as { code?: string }).code ?? ""), 4);
  return { db, dialect: quirks, write: (fn) => queue.run(fn), describe: `postgresql://${u.host}${u.pathname}` };
}
