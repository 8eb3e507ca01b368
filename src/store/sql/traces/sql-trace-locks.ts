/**
 * TraceStore.withTracesLocked over SQL: OTLP ingestion rewrites a trace's
 * traces.json (read, merge, write) and then its row, which two replicas on one
 * PostgreSQL database must not do for the same trace at once (the later write
 * would drop the spans the earlier one merged). Inside one process a keyed
 * lock orders the holders; on PostgreSQL each holder then runs in its own
 * transaction holding a transaction-level advisory lock per trace
 * (`pg_advisory_xact_lock`), released at its commit or rollback — after the
 * holder's file and row writes, so the next holder reads both. A holder keeps
 * its pooled connection while it reads and writes files (an S3 upload, say),
 * so at most {@link PG_HOLDERS} hold at once per process: the rest of the pool
 * stays free for everything else. SQLite deployments are one process: the
 * keyed lock alone.
 * @module
 */
import { createHash } from "node:crypto";
import { sql, type Kysely } from "kysely";
import { MlflowError } from "../../../shared/errors.js";
import { KeyedLock } from "../../../shared/keyed-lock.js";
import type { LockedTraces, TraceInfo } from "../../../tracking/traces/index.js";
import type { Database } from "../schema.js";
import type { SqlConnection } from "../sql-dialect.js";
import { isUniqueViolation } from "../sql-errors.js";
import { saveSpanSummaries } from "./sql-span-summaries.js";

type Db = Kysely<Database>;

/** Transactions holding traces at once in one process (the pool has 10 connections unless configured). */
export const PG_HOLDERS = 4;

/** At most `limit` runs at once; the others wait in order. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(limit: number) {
    this.free = limit;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

/**
 * The advisory lock keys of some traces: 64 bits of each id's SHA-256, distinct and in ascending order — every
 * holder takes its keys in one order, so two holders of overlapping sets cannot wait on each other (the order of
 * the ids would not do: two ids whose keys collide would sort apart).
 */
export function traceLockKeys(traceIds: readonly string[]): bigint[] {
  const keys = new Set(traceIds.map((id) => createHash("sha256").update(`ciclo.trace:${id}`).digest().readBigInt64BE(0)));
  return [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** saveSpanSummaries on `db` (a transaction or the write path), a trace created meanwhile retryable. */
export async function saveSummaries(write: (fn: (trx: Db) => Promise<void>) => Promise<void>, summaries: Parameters<typeof saveSpanSummaries>[1]): Promise<void> {
  try {
    await write((trx) => saveSpanSummaries(trx, summaries));
  } catch (err) {
    if (isUniqueViolation(err)) throw new MlflowError("A trace of this request was created by another request meanwhile; retry the request.", "TEMPORARILY_UNAVAILABLE");
    throw err;
  }
}

export class SqlTraceLocks {
  private readonly local = new KeyedLock();
  private readonly slots = new Slots(PG_HOLDERS);

  constructor(
    private readonly conn: SqlConnection,
    /** The store's reads and writes, on the write path. */
    private readonly store: LockedTraces,
    /** getTraceInfo inside a PostgreSQL holder's transaction. */
    private readonly getTraceInfo: (db: Db, traceId: string) => Promise<TraceInfo>,
  ) {}

  run<T>(traceIds: readonly string[], fn: (traces: LockedTraces) => Promise<T>): Promise<T> {
    return this.local.run(traceIds, () => {
      if (this.conn.dialect.name !== "postgres") return fn(this.store);
      // Its own transaction, not the group-committed write path: the holder keeps it open while it reads and
      // writes files, which must not hold up the process's other writes.
      return this.slots.run(() => this.conn.db.transaction().execute(async (trx) => {
        // One statement for all of them (a request may carry hundreds of traces), taken in the array's order.
        const keys = traceLockKeys(traceIds).map(String);
        await sql`select pg_advisory_xact_lock(k) from unnest(${keys}::int8[]) as k`.execute(trx);
        return fn({
          getTraceInfo: (traceId) => this.getTraceInfo(trx, traceId),
          saveSpanSummaries: (summaries) => saveSummaries((f) => f(trx), summaries),
        });
      }));
    });
  }

  /** Traces held or waited for in this process (for tests: nothing is left behind). */
  get size(): number {
    return this.local.size;
  }
}
