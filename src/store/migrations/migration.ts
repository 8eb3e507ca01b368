/**
 * A versioned schema migration. Migrations are applied in version order on
 * start and by `ciclo db upgrade`; each runs in its own transaction together
 * with the row that records it, so a crash never leaves half a migration.
 * @module
 */
import type { Kysely } from "kysely";
import type { SqlDialectName } from "../sql/sql-dialect.js";

export interface Migration {
  version: number;
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  up(db: Kysely<any>, dialect: SqlDialectName): Promise<void>;
}
