/**
 * A Kysely driver for better-sqlite3 tuned for ciclo: one connection (SQLite
 * has one writer anyway), prepared statements cached by SQL text, and
 * `BEGIN IMMEDIATE` so that a transaction takes the write lock up front and
 * waits on `busy_timeout` instead of failing with `database is locked` when
 * another process (the CLI, a second server) holds it.
 * @module
 */
import type Database from "better-sqlite3";
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
} from "kysely";

const STATEMENT_CACHE_SIZE = 500;

export class SqliteConnection implements DatabaseConnection {
  readonly #db: Database.Database;
  readonly #cache = new Map<string, Database.Statement>();

  constructor(db: Database.Database) {
    this.#db = db;
  }

  prepare(sqlText: string): Database.Statement {
    let stmt = this.#cache.get(sqlText);
    if (!stmt) {
      stmt = this.#db.prepare(sqlText);
      if (this.#cache.size >= STATEMENT_CACHE_SIZE) {
        // Drop the oldest entry (Map keeps insertion order).
        this.#cache.delete(this.#cache.keys().next().value as string);
      }
      this.#cache.set(sqlText, stmt);
    }
    return stmt;
  }

  async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    const stmt = this.prepare(q.sql);
    const params = q.parameters as unknown[];
    // Cached statements are shared with readRows, which switches them to array rows.
    if (stmt.reader) return { rows: stmt.raw(false).all(params) as R[] };
    const { changes, lastInsertRowid } = stmt.run(params);
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error("streaming is not used with SQLite");
  }
}

/** Serialises use of the single connection (queries and whole transactions). */
class Mutex {
  #tail: Promise<void> = Promise.resolve();
  lock(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((r) => (release = r));
    const ready = this.#tail.then(() => release);
    this.#tail = this.#tail.then(() => next);
    return ready;
  }
}

export class SqliteDriver implements Driver {
  readonly #conn: SqliteConnection;
  readonly #db: Database.Database;
  readonly #mutex = new Mutex();
  #release: (() => void) | undefined;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#conn = new SqliteConnection(db);
  }
  async init(): Promise<void> {}
  /** Runs `fn` on the connection while no query or transaction holds it. */
  async runExclusive<T>(fn: (conn: SqliteConnection) => T): Promise<T> {
    const release = await this.#mutex.lock();
    try {
      return fn(this.#conn);
    } finally {
      release();
    }
  }
  async acquireConnection(): Promise<DatabaseConnection> {
    const release = await this.#mutex.lock();
    this.#release = release;
    return this.#conn;
  }
  async beginTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery(CompiledQuery.raw("begin immediate"));
  }
  async commitTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery(CompiledQuery.raw("commit"));
  }
  async rollbackTransaction(c: DatabaseConnection): Promise<void> {
    // A failed COMMIT or an error inside SQLite may already have rolled back.
    if (this.#db.inTransaction) await c.executeQuery(CompiledQuery.raw("rollback"));
  }
  async releaseConnection(): Promise<void> {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }
  /** Called once when the database is closed. */
  onDestroy?: () => void | Promise<void>;
  async destroy(): Promise<void> {
    await this.onDestroy?.();
    if (this.#db.open) {
      // Refresh planner statistics for the next start, as SQLite recommends before closing.
      this.#db.pragma("optimize");
      this.#db.close();
    }
  }
}

export class CicloSqliteDialect implements Dialect {
  readonly driver: SqliteDriver;
  constructor(db: Database.Database) {
    this.driver = new SqliteDriver(db);
  }
  createDriver(): Driver {
    return this.driver;
  }
  createQueryCompiler() {
    return new SqliteQueryCompiler();
  }
  createAdapter() {
    return new SqliteAdapter();
  }
  createIntrospector(db: Kysely<unknown>) {
    return new SqliteIntrospector(db);
  }
}
