/**
 * The single writer path of the embedded store, with group commit.
 *
 * SQLite has one writer. Instead of one transaction per request, writes that
 * arrive together are queued and run in ONE transaction, each inside its own
 * savepoint: a failing write is rolled back to its savepoint alone and
 * rejected, the others commit. Every caller is answered only after the COMMIT
 * that made its write durable, so an acknowledged write survives a crash.
 * Under concurrent load this turns N commits (WAL frame writes) into one.
 * @module
 */
import { sql, type Kysely } from "kysely";
import { attachTail, MetricTail } from "../sql/metric-tail.js";
import type { Database } from "../sql/schema.js";
import type { SqlDialect } from "../sql/sql-dialect.js";

type Db = Kysely<Database>;

interface QueuedWrite {
  fn: (trx: Db) => Promise<unknown>;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

/** Writes per transaction at most, so one flush cannot hold the connection for long. */
const MAX_GROUP = 256;

export class SqliteWriteQueue {
  private queue: QueuedWrite[] = [];
  private flushing = false;

  constructor(
    private readonly db: Db,
    private readonly dialect: SqlDialect,
  ) {}

  run<T>(fn: (trx: Db) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.flushing) {
        this.flushing = true;
        // Let writes that arrive in the same tick join this group.
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const group = this.queue.splice(0, MAX_GROUP);
      const results: Array<{ ok: boolean; value: unknown }> = [];
      try {
        await this.db.transaction().execute(async (trx) => {
          // Derived metric rows of the whole group are written once, before COMMIT.
          const tail = new MetricTail(this.dialect);
          attachTail(trx, tail);
          for (const w of group) {
            tail.beginWrite();
            await sql`savepoint w`.execute(trx);
            try {
              const value = await w.fn(trx);
              await sql`release savepoint w`.execute(trx);
              tail.acceptWrite();
              results.push({ ok: true, value });
            } catch (err) {
              await sql`rollback to savepoint w`.execute(trx);
              await sql`release savepoint w`.execute(trx);
              tail.dropWrite();
              results.push({ ok: false, value: err });
            }
          }
          await tail.flush(trx);
        });
      } catch (err) {
        // BEGIN or COMMIT failed: nothing of this group is durable.
        for (const w of group) w.reject(err);
        continue;
      }
      group.forEach((w, i) => (results[i].ok ? w.resolve(results[i].value) : w.reject(results[i].value)));
    }
    this.flushing = false;
  }
}
