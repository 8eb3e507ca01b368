/**
 * What the SQL stores need from a database engine beyond Kysely: the dialect
 * name (for DDL), and a fast multi-row insert. Everything else is written once.
 * @module
 */
import type { CompiledQuery, Kysely } from "kysely";
import type { Database } from "./schema.js";
import type { GroupedWrite } from "./group-commit-queue.js";

export type SqlDialectName = "sqlite" | "postgres";

export const VALUE_PREFIX_LENGTH = 256;

type PgType = "int4" | "int8" | "int2" | "float8" | "text";

export interface BulkColumn {
  name: string;
  /** PostgreSQL array element type (SQLite ignores it). */
  pgType: PgType;
}

export interface SqlDialect {
  readonly name: SqlDialectName;
  /**
   * Inserts `rows` (each an array in `columns` order) into `table`, with
   * `suffix` (an ON CONFLICT clause) appended. Runs on `db`, which may be a
   * transaction. Resolves with the number of rows the statements changed.
   */
  bulkInsert(
    db: Kysely<Database>,
    table: string,
    columns: readonly BulkColumn[],
    rows: readonly unknown[][],
    suffix: string,
  ): Promise<number>;
  /** {@link bulkInsert} whose `suffix` ends in a RETURNING clause: resolves with the rows it returns. */
  bulkInsertReturning<R>(
    db: Kysely<Database>,
    table: string,
    columns: readonly BulkColumn[],
    rows: readonly unknown[][],
    suffix: string,
  ): Promise<R[]>;
  /**
   * Runs a read outside any transaction and returns rows as arrays (no per-row
   * objects: the bulk reads of a search page are half as costly this way).
   */
  readRows(db: Kysely<Database>, query: CompiledQuery): Promise<unknown[][]>;
  /**
   * Runs a statement whose text is one of a fixed few on `db` (which may be a transaction) and returns its
   * rows. PostgreSQL prepares each such text once per connection (a named statement: no parse or plan per
   * call); SQLite caches every statement anyway.
   */
  runPrepared<R>(db: Kysely<Database>, text: string, values: readonly unknown[]): Promise<R[]>;
}

/** Runs `fn` in a write transaction and resolves once it is committed. */
type WriteRunner = <T>(fn: (trx: Kysely<Database>) => Promise<T>) => Promise<T>;

/** An opened database: the Kysely instance plus its dialect quirks. */
export interface SqlConnection {
  db: Kysely<Database>;
  dialect: SqlDialect;
  /** The write path: SQLite queues writes into group commits; PostgreSQL runs one transaction each. */
  write: WriteRunner;
  /**
   * A write whose concurrent inputs can run together ({@link GroupedWrite}): on PostgreSQL a group's inputs
   * share its statements; on SQLite each runs alone in the group, as `write` would run it.
   */
  writeGrouped<I, R>(op: GroupedWrite<I, R>, input: I): Promise<R>;
  /** A short description for logs (no credentials). */
  describe: string;
}
