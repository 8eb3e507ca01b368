/**
 * The single writer path of a store process, with group commit.
 *
 * Instead of one transaction per request, writes that arrive together are
 * queued and run in ONE transaction, each inside its own savepoint: a failing
 * write is rolled back to its savepoint alone and rejected, the others commit.
 * Every caller is answered only after the COMMIT that made its write durable,
 * so an acknowledged write survives a crash. Under concurrent load this turns
 * N commits (SQLite WAL writes, PostgreSQL fsyncs) into one, and rows many
 * requests update (a run's latest metric values) are written once per group
 * instead of being fought over by N transactions.
 * @module
 */
import { sql, type Kysely } from "kysely";
import { attachTail, MetricTail } from "./tracking/metric-tail.js";
import type { Database } from "./schema.js";
import type { SqlDialect } from "./sql-dialect.js";

type Db = Kysely<Database>;

interface QueuedWrite {
  fn: (trx: Db) => Promise<unknown>;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

/** Writes per transaction at most, so one flush cannot hold the connection for long. */
const MAX_GROUP = 256;

export class GroupCommitQueue {
  private queue: QueuedWrite[] = [];
  private active = 0;
  private scheduled = false;

  constructor(
    private readonly db: Db,
    private readonly dialect: SqlDialect,
    /** Errors after which the whole group may simply run again (it was rolled back whole). */
    private readonly isRetryable: (err: unknown) => boolean = () => false,
    /**
     * Groups in flight at once: 1 for SQLite (one writer); a few for PostgreSQL, so a slow group does
     * not hold up the next while the database works on several transactions.
     */
    private readonly maxGroups = 1,
  ) {}

  run<T>(fn: (trx: Db) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled && this.active < this.maxGroups) {
        this.scheduled = true;
        // Let writes that arrive in the same tick join this group.
        setImmediate(() => {
          this.scheduled = false;
          this.drain();
        });
      }
    });
  }

  private drain(): void {
    while (this.active < this.maxGroups && this.queue.length > 0) {
      const group = this.queue.splice(0, MAX_GROUP);
      this.active++;
      void this.commitGroup(group).finally(() => {
        this.active--;
        this.drain();
      });
    }
  }

  private async commitGroup(group: QueuedWrite[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const results: Array<{ ok: boolean; value: unknown }> = [];
      try {
        await this.runGroup(group, results);
      } catch (err) {
        if (attempt < 5 && this.isRetryable(err)) continue;
        // BEGIN or COMMIT failed: nothing of this group is durable.
        for (const w of group) w.reject(err);
        return;
      }
      group.forEach((w, i) => (results[i].ok ? w.resolve(results[i].value) : w.reject(results[i].value)));
      return;
    }
  }

  private async runGroup(group: QueuedWrite[], results: Array<{ ok: boolean; value: unknown }>): Promise<void> {
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
          // A deadlock or serialization failure: run the whole group again.
          if (this.isRetryable(err)) throw err;
          await sql`rollback to savepoint w`.execute(trx);
          await sql`release savepoint w`.execute(trx);
          tail.dropWrite();
          results.push({ ok: false, value: err });
        }
      }
      await tail.flush(trx);
    });
  }
}
