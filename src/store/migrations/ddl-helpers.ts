/** The few DDL spellings that differ between SQLite and PostgreSQL. */
import { sql, type CreateTableBuilder, type RawBuilder } from "kysely";
import type { SqlDialectName } from "../sql/sql-dialect.js";

/** An auto-assigned integer id that is never reused (ids are public). */
export function idColumn<T extends string>(
  b: CreateTableBuilder<T, never>,
  name: string,
  d: SqlDialectName,
): CreateTableBuilder<T, never> {
  return d === "postgres"
    ? b.addColumn(name, "integer", (c) => c.primaryKey().generatedByDefaultAsIdentity())
    : b.addColumn(name, "integer", (c) => c.primaryKey().autoIncrement());
}

/** SQLite stores key-value tables clustered by their primary key (no rowid). */
export function clusteredByKey<T extends string, C extends string>(
  b: CreateTableBuilder<T, C>,
  d: SqlDialectName,
): CreateTableBuilder<T, C> {
  return d === "sqlite" ? b.modifyEnd(sql`without rowid`) : b;
}

/**
 * A text column type. PostgreSQL columns use the "C" collation so that sorting
 * and LIKE compare bytes exactly as SQLite does, whatever the database's locale.
 */
export function text(d: SqlDialectName, type = "text"): RawBuilder<unknown> {
  return d === "postgres" ? sql.raw(`${type} collate "C"`) : sql.raw(type);
}
