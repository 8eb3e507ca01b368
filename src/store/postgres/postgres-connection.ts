/**
 * Opens a PostgreSQL metadata store (`postgresql://user@host:port/db`).
 * Quirks kept here: BIGINT columns parse to numbers, bulk inserts go
 * through `unnest` of typed arrays (one statement, any row count; numeric
 * arrays sent in binary, others as literals: array-parameters.ts), and the fixed statements of the write
 * path run as named (prepared) statements.
 * @module
 */
import { CompiledQuery, Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import type { Database } from "../sql/schema.js";
import { GroupCommitQueue } from "../sql/group-commit-queue.js";
import { OVERLAP_SQLSTATE } from "../sql/tracking/metric-chunks.js";
import type { BulkColumn, SqlConnection, SqlDialect } from "../sql/sql-dialect.js";
import { arrayParameters } from "./array-parameters.js";

const INT8_OID = 20;
const NUMERIC_OID = 1700;

function unnestInsert(table: string, columns: readonly BulkColumn[]): string {
  return (
    `insert into ${table} (${columns.map((c) => `"${c.name}"`).join(",")}) ` +
    `select * from unnest(${columns.map((c, i) => `$${i + 1}::${c.pgType}[]`).join(",")})`
  );
}

/** Statement texts to run as named (prepared once per connection) statements, and their names. */
class PreparedNames {
  private names = new Map<string, string>();
  /** Texts are a fixed few (bulk inserts per table, the group statements); past this, something is wrong. */
  private static readonly MAX = 500;
  register(text: string): void {
    if (!this.names.has(text) && this.names.size < PreparedNames.MAX) this.names.set(text, `ciclo_${this.names.size + 1}`);
  }
  /** Makes `client` send registered texts as named statements (Kysely's driver calls `query(text, values)`). */
  attach(client: pg.PoolClient): void {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (config: unknown, values?: unknown, cb?: unknown) => {
      const name = typeof config === "string" ? this.names.get(config) : undefined;
      return name ? query({ name, text: config, values }, cb) : query(config, values, cb);
    };
  }
}

function postgresDialect(pool: pg.Pool, prepared: PreparedNames, onQuery: PostgresOptions["onQuery"]): SqlDialect {
  return {
  name: "postgres",
  async bulkInsert(db, table, columns, rows, suffix) {
    if (rows.length === 0) return 0;
    const arrays = columns.map((_, c) => rows.map((r) => r[c]));
    const text = `${unnestInsert(table, columns)} ${suffix}`;
    prepared.register(text);
    const res = await db.executeQuery(CompiledQuery.raw(text, arrayParameters(text, arrays)));
    return Number(res.numAffectedRows ?? 0);
  },
  async bulkInsertReturning<R>(db: Parameters<SqlDialect["runPrepared"]>[0], table: string, columns: readonly BulkColumn[], rows: readonly unknown[][], suffix: string) {
    if (rows.length === 0) return [];
    const text = `${unnestInsert(table, columns)} ${suffix}`;
    prepared.register(text);
    return (await db.executeQuery<R>(CompiledQuery.raw(text, arrayParameters(text, columns.map((_, c) => rows.map((r) => r[c])))))).rows as R[];
  },
  async runPrepared<R>(db: Parameters<SqlDialect["runPrepared"]>[0], text: string, values: readonly unknown[]) {
    prepared.register(text);
    return (await db.executeQuery<R>(CompiledQuery.raw(text, arrayParameters(text, values)))).rows as R[];
  },
  async readRows(_db, query) {
    const res = await pool.query({ text: query.sql, values: query.parameters as unknown[], rowMode: "array" });
    onQuery?.(query.sql, query.parameters);
    return res.rows as unknown[][];
  },
  };
}

/**
 * Rows a second (third, fourth) group in flight must hold at least. Without it, 32 clients' log-metrics were
 * split among the four groups in flight (~8 per group) and each group's fixed cost — a statement, a commit —
 * was paid for few rows: with it, ~16 per group, and the database's CPU per log-metric halved (docs/benchmarks.md,
 * "PostgreSQL writes, second pass"). A 1,000-point log-batch still starts its group at once.
 */
const MIN_WEIGHT_WHILE_BUSY = 16;

/**
 * Deadlock and serialization failures: the transaction was rolled back whole, so it can run again. Also
 * metric_points_overlap()'s CM001 (metric-chunks.ts): a careful metric write of a series that had no row to
 * lock yet raced another writer of it (chunk-writes.ts); run again, it reads what the other wrote.
 */
const RETRYABLE = new Set(["40P01", "40001", OVERLAP_SQLSTATE]);


export interface PostgresOptions {
  maxConnections?: number;
  /**
   * Groups without savepoints, log-batch/create-run inputs sharing their statements (default true). False: each
   * write in its own savepoint, as on SQLite — the way before, kept for A/B measurements.
   */
  batchedGroups?: boolean;
  /**
   * Called with each statement's SQL and parameters as it completes, the search's bulk reads included
   * (profiling: where do the round trips go, and what does a slow one plan?).
   */
  onQuery?: (sql: string, parameters: readonly unknown[]) => void;
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
  const prepared = new PreparedNames();
  pool.on("connect", (client) => prepared.attach(client));
  const onQuery = opts.onQuery;
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    log: onQuery ? (e) => onQuery(e.query.sql, e.query.parameters) : undefined,
  });
  const u = new URL(connectionString);
  const quirks = postgresDialect(pool, prepared, onQuery);
  // One writer per server process with group commit, as on SQLite: concurrent requests share one
  // transaction (one fsync), and a run's latest-value rows are updated once per group instead of
  // every request queueing on their row locks. Replicas each have their own writer.
  // Batched: no savepoint round trips, and log-batch/create-run inputs of a group share their statements.
  const queue = new GroupCommitQueue(db, quirks, (err) => RETRYABLE.has((err as { code?: string }).code ?? ""), 4, opts.batchedGroups ?? true, MIN_WEIGHT_WHILE_BUSY);
  return {
    db,
    dialect: quirks,
    write: (fn) => queue.run(fn),
    writeGrouped: (op, input) => queue.runGrouped(op, input),
    describe: `postgresql://${u.host}${u.pathname}`,
  };
}
