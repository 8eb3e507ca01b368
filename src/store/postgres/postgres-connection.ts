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
import type { BulkColumn, SqlConnection, SqlDialect } from "../sql/sql-dialect.js";

const INT8_OID = 20;
const NUMERIC_OID = 1700;

function unnestInsert(table: string, columns: readonly BulkColumn[]): string {
  return (
    `insert into ${table} (${columns.map((c) => `"${c.name}"`).join(",")}) ` +
    `select * from unnest(${columns.map((c, i) => `$${i + 1}::${c.pgType}[]`).join(",")})`
  );
}

function postgresDialect(pool: pg.Pool): SqlDialect {
  return {
  name: "postgres",
  async bulkInsert(db, table, columns, rows, suffix) {
    if (rows.length === 0) return 0;
    const arrays = columns.map((_, c) => rows.map((r) => r[c]));
    const res = await db.executeQuery(CompiledQuery.raw(`${unnestInsert(table, columns)} ${suffix}`, arrays));
    return Number(res.numAffectedRows ?? 0);
  },
  async bulkInsertCountBy(db, table, columns, rows, suffix, by) {
    const counts = new Map<unknown, number>();
    if (rows.length === 0) return counts;
    const arrays = columns.map((_, c) => rows.map((r) => r[c]));
    // One statement: the insert, and the rows it inserted counted per value of column `by`.
    const col = `"${columns[by].name}"`;
    const text = `with ins as (${unnestInsert(table, columns)} ${suffix} returning ${col} as v) select v, count(*) from ins group by v`;
    const res = await db.executeQuery<{ v: unknown; count: number }>(CompiledQuery.raw(text, arrays));
    for (const r of res.rows) counts.set(r.v, Number(r.count));
    return counts;
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
  /**
   * Groups without savepoints, log-batch/create-run inputs sharing their statements (default true). False: each
   * write in its own savepoint, as on SQLite — the way before, kept for A/B measurements.
   */
  batchedGroups?: boolean;
  /** Called with each statement's SQL as it completes (profiling: where do the round trips go?). */
  onQuery?: (sql: string) => void;
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
  const onQuery = opts.onQuery;
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    log: onQuery ? (e) => onQuery(e.query.sql) : undefined,
  });
  const u = new URL(connectionString);
  const quirks = postgresDialect(pool);
  // One writer per server process with group commit, as on SQLite: concurrent requests share one
  // transaction (one fsync), and a run's latest-value rows are updated once per group instead of
  // every request queueing on their row locks. Replicas each have their own writer.
  // Batched: no savepoint round trips, and log-batch/create-run inputs of a group share their statements.
  const queue = new GroupCommitQueue(db, quirks, (err) => RETRYABLE.has((err as { code?: string }).code ?? ""), 4, opts.batchedGroups ?? true);
  return {
    db,
    dialect: quirks,
    write: (fn) => queue.run(fn),
    writeGrouped: (op, input) => queue.runGrouped(op, input),
    describe: `postgresql://${u.host}${u.pathname}`,
  };
}
