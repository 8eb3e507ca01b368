/**
 * Opens the embedded SQLite metadata store: `sqlite:///relative.db`,
 * `sqlite:////absolute.db` (MLflow's spelling) or `sqlite:///:memory:`.
 * @module
 */
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { CompiledQuery, Kysely } from "kysely";
import type { Database } from "../sql/schema.js";
import type { BulkColumn, SqlConnection, SqlDialect } from "../sql/sql-dialect.js";
import { CicloSqliteDialect, type SqliteDriver } from "./sqlite-driver.js";
import { GroupCommitQueue } from "../sql/group-commit-queue.js";
import { WalCheckpointer } from "./wal-checkpointer.js";

/** Rows per multi-row INSERT statement; remainders use power-of-two chunks so few statements get cached. */
const CHUNK = 500;

function sqliteDialect(driver: SqliteDriver): SqlDialect {
  return {
  name: "sqlite",
  async bulkInsert(db, table, columns, rows, suffix) {
    let i = 0;
    let changed = 0;
    while (i < rows.length) {
      const left = rows.length - i;
      const n = left >= CHUNK ? CHUNK : 2 ** Math.floor(Math.log2(left));
      const params: unknown[] = [];
      for (let r = i; r < i + n; r++) for (const v of rows[r]) params.push(v);
      const res = await db.executeQuery(CompiledQuery.raw(insertSql(table, columns, n, suffix), params));
      changed += Number(res.numAffectedRows ?? 0);
      i += n;
    }
    return changed;
  },
  async bulkInsertReturning<R>(db: Parameters<SqlDialect["runPrepared"]>[0], table: string, columns: readonly BulkColumn[], rows: readonly unknown[][], suffix: string) {
    const out: R[] = [];
    for (let i = 0; i < rows.length; ) {
      const left = rows.length - i;
      const n = left >= CHUNK ? CHUNK : 2 ** Math.floor(Math.log2(left));
      const params: unknown[] = [];
      for (let r = i; r < i + n; r++) for (const v of rows[r]) params.push(v);
      for (const row of (await db.executeQuery<R>(CompiledQuery.raw(insertSql(table, columns, n, suffix), params))).rows) out.push(row);
      i += n;
    }
    return out;
  },
  async runPrepared<R>(db: Parameters<SqlDialect["runPrepared"]>[0], text: string, values: readonly unknown[]) {
    return (await db.executeQuery<R>(CompiledQuery.raw(text, [...values]))).rows as R[];
  },
  readRows(_db, query) {
    return driver.runExclusive((conn) => conn.prepare(query.sql).raw(true).all(query.parameters as unknown[]) as unknown[][]);
  },
  };
}

/** SQL text per (suffix, table, rows × columns), built once; nested maps avoid building a key string per call. */
const sqlCache = new Map<string, Map<string, Map<number, string>>>();
function insertSql(table: string, columns: readonly BulkColumn[], n: number, suffix: string): string {
  let bySuffix = sqlCache.get(suffix);
  if (!bySuffix) sqlCache.set(suffix, (bySuffix = new Map()));
  let byTable = bySuffix.get(table);
  if (!byTable) bySuffix.set(table, (byTable = new Map()));
  const shape = n * 1000 + columns.length;
  let text = byTable.get(shape);
  if (!text) {
    const row = `(${columns.map(() => "?").join(",")})`;
    text =
      `insert into ${table} (${columns.map((c) => `"${c.name}"`).join(",")}) values ` +
      Array.from({ length: n }, () => row).join(",") +
      ` ${suffix}`;
    byTable.set(shape, text);
  }
  return text;
}

export interface SqliteOptions {
  /** `synchronous` pragma: NORMAL survives process crashes; FULL also power loss. */
  synchronous?: "NORMAL" | "FULL";
  /** WAL checkpoints on a worker thread instead of inside the write that fills the WAL (the server's choice). */
  backgroundCheckpoints?: boolean;
  /** Called with each statement's SQL as it completes (profiling: statements per write). */
  onQuery?: (sql: string) => void;
}

export function sqlitePathFromUri(uri: string): string {
  const u = uri.replace(/^sqlite:\/\//, "");
  // sqlite:///rel.db -> "/rel.db" (relative); sqlite:////abs.db -> "//abs.db" (absolute)
  const path = u.startsWith("//") ? u.slice(1) : u.startsWith("/") ? u.slice(1) : u;
  const clean = path.split("?")[0];
  if (clean === "") throw new Error(`No database path in '${uri}'`);
  return clean === ":memory:" ? clean : resolve(clean);
}

export function openSqlite(uri: string, opts: SqliteOptions = {}): SqlConnection {
  const path = sqlitePathFromUri(uri);
  const query = new URLSearchParams(uri.split("?")[1] ?? "");
  const sync = (query.get("synchronous") ?? opts.synchronous ?? "NORMAL").toUpperCase();
  if (sync !== "NORMAL" && sync !== "FULL") throw new Error(`Unsupported synchronous=${sync} (NORMAL or FULL)`);
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const raw = new BetterSqlite3(path);
  raw.pragma("journal_mode = WAL");
  raw.pragma(`synchronous = ${sync}`);
  raw.pragma("busy_timeout = 15000");
  raw.pragma("foreign_keys = ON");
  // MLflow's LIKE is case-sensitive (ILIKE is the insensitive one).
  raw.pragma("case_sensitive_like = ON");
  raw.pragma("cache_size = -32000");
  raw.pragma("temp_store = MEMORY");
  // Planner statistics (sampled, so cheap): without them SQLite scans every run of an experiment
  // before probing the filter's indexes. Refreshed at open and every 10 minutes.
  raw.pragma("analysis_limit = 1000");
  raw.pragma("optimize = 0x10002");
  const dialect = new CicloSqliteDialect(raw);
  const onQuery = opts.onQuery;
  const db = new Kysely<Database>({ dialect, log: onQuery ? (e) => onQuery(e.query.sql) : undefined });
  const quirks = sqliteDialect(dialect.driver);
  const queue = new GroupCommitQueue(db, quirks);
  const optimizer = setInterval(() => {
    void dialect.driver.runExclusive(() => raw.open && raw.pragma("optimize")).catch(() => {});
  }, 10 * 60_000);
  optimizer.unref();
  let checkpointer: WalCheckpointer | undefined;
  if (opts.backgroundCheckpoints && path !== ":memory:") {
    raw.pragma("wal_autocheckpoint = 0");
    raw.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
    checkpointer = new WalCheckpointer(path, () => raw.open && raw.pragma("wal_autocheckpoint = 1000"));
  }
  dialect.driver.onDestroy = async () => {
    clearInterval(optimizer);
    await checkpointer?.stop();
  };
  return {
    db,
    dialect: quirks,
    write: (fn) => queue.run(fn),
    writeGrouped: (op, input) => queue.run((trx) => op.one(trx, input, quirks)),
    describe: `sqlite:${path}`,
  };
}
