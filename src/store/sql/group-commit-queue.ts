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
 *
 * Where a round trip is the cost (PostgreSQL: `batched` mode), a group runs
 * without savepoints: writes that know how to run together ({@link GroupedWrite}:
 * log-batch, create run) validate all their inputs up front, exclude the failing
 * ones and write the rest together (one statement for log-batch); other writes
 * run one after another. Only when something fails mid-way (a write throws) is the
 * transaction rolled back and the group run again the careful way, each write in
 * its own savepoint, so a failure never takes another write with it. A group made
 * only of one write's inputs may even skip the transaction: `solo` writes them in
 * one statement, which is atomic and its own commit (one round trip per group).
 * @module
 */
import { sql, type Kysely } from "kysely";
import type { Database } from "./schema.js";
import type { SqlDialect } from "./sql-dialect.js";

type Db = Kysely<Database>;

/**
 * Work a write defers to the end of its group: rows many writes of a group
 * update (a run's latest metric values) are merged and written once, before
 * COMMIT. Entries of a write that rolls back to its savepoint are dropped.
 */
export interface CommitHook<E> {
  /** For error messages: `<capability>.<what>`. */
  readonly name: string;
  flush(trx: Db, entries: E[], dialect: SqlDialect): Promise<void>;
}

/** The hooks' entries staged by the write in progress and accepted from the group's earlier writes. */
class GroupHooks {
  private pending = new Map<CommitHook<unknown>, unknown[]>();
  private accepted = new Map<CommitHook<unknown>, unknown[]>();

  stage<E>(hook: CommitHook<E>, entry: E): void {
    const h = hook as CommitHook<unknown>;
    const list = this.pending.get(h);
    if (list) list.push(entry);
    else this.pending.set(h, [entry]);
  }
  /** The write's savepoint was released: its entries will be flushed. */
  accept(): void {
    for (const [hook, entries] of this.pending) {
      const list = this.accepted.get(hook);
      if (list) list.push(...entries);
      else this.accepted.set(hook, entries);
    }
    this.pending = new Map();
  }
  /** The write rolled back to its savepoint (or is starting): forget what it staged. */
  drop(): void {
    this.pending = new Map();
  }
  async flush(trx: Db, dialect: SqlDialect): Promise<void> {
    for (const [hook, entries] of this.accepted) await hook.flush(trx, entries, dialect);
    this.accepted = new Map();
  }
}

/** The group running in a transaction, for {@link deferToCommit}. Keyed by the transaction object, gone with it. */
const groupsByTransaction = new WeakMap<object, GroupHooks>();

/**
 * Hands `entry` to `hook`: inside a group commit it is flushed with the
 * group's other entries before COMMIT; outside one (a plain transaction), now.
 */
export async function deferToCommit<E>(trx: Db, dialect: SqlDialect, hook: CommitHook<E>, entry: E): Promise<void> {
  const group = groupsByTransaction.get(trx);
  if (group) group.stage(hook, entry);
  else await hook.flush(trx, [entry], dialect);
}

/** The answer to one input of a {@link GroupedWrite}. */
export type WriteOutcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

/**
 * A write that can run a whole group's inputs together (one statement per table instead of a few per input).
 * `many` validates every input first and rejects the failing ones (returning `{ ok: false }`) before it writes
 * anything, so a rejected input leaves nothing behind; when it throws instead, the group is rolled back and runs
 * again with `one` per input, each in its own savepoint. `one` is also the path where groups use savepoints
 * anyway (SQLite). Either must stage derived rows with {@link deferToCommit} only for inputs it accepts.
 */
export interface GroupedWrite<I, R> {
  /** For error messages: `<capability>.<what>`. */
  readonly name: string;
  many(trx: Db, inputs: readonly I[], dialect: SqlDialect): Promise<Array<WriteOutcome<R>>>;
  one(trx: Db, input: I, dialect: SqlDialect): Promise<R>;
  /**
   * Optional, for a group made only of this write's inputs: all of them in ONE statement outside a
   * transaction (a statement is atomic, so it is its own commit: one round trip for the group). Resolves
   * undefined when these inputs need a transaction after all (then `many` runs); a throw wrote nothing, and
   * the group runs the careful way.
   */
  solo?(db: Db, inputs: readonly I[], dialect: SqlDialect): Promise<Array<WriteOutcome<R>> | undefined>;
  /** Rows the input writes, about (points, runs, tags): how much of a group it is (default 1). */
  weight?(input: I): number;
}

interface QueuedWrite {
  fn?: (trx: Db) => Promise<unknown>;
  op?: GroupedWrite<unknown, unknown>;
  input?: unknown;
  weight: number;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

type Results = Array<{ ok: boolean; value: unknown }>;

/** Thrown inside a batched group to roll it back and run it again write by write. */
class RunCarefully extends Error {}

/** Writes per transaction at most, so one flush cannot hold the connection for long. */
const MAX_GROUP = 256;

export class GroupCommitQueue {
  private queue: QueuedWrite[] = [];
  /** The weights of `queue`, summed. */
  private queuedWeight = 0;
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
    /**
     * Run groups without savepoints and grouped writes together, falling back to savepoints when a write fails
     * (PostgreSQL, where each statement is a round trip). Off: every write in its own savepoint (SQLite).
     */
    private readonly batched = false,
    /**
     * While a group is in flight, another starts only once the queue holds this much work (summed weights),
     * so that small writes gather into groups worth their fixed cost (a round trip, a statement, a commit)
     * instead of being split among the groups in flight; large writes (a 1,000-point log-batch) still run
     * side by side. 1: any queued write starts a group.
     */
    private readonly minWeightWhileBusy = 1,
  ) {}

  run<T>(fn: (trx: Db) => Promise<T>): Promise<T> {
    return this.enqueue(fn, undefined, undefined, 1);
  }

  /** Queues one input of a write that runs a group's inputs together. */
  runGrouped<I, R>(op: GroupedWrite<I, R>, input: I): Promise<R> {
    return this.enqueue(undefined, op as GroupedWrite<unknown, unknown>, input, op.weight?.(input) ?? 1);
  }

  private enqueue<T>(fn: QueuedWrite["fn"], op: QueuedWrite["op"], input: unknown, weight: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      // Every queued write has the same six fields (one object shape): spreading the caller's object here
      // instead made a shape per write kind and cost log-metric ~2 µs of CPU per call.
      this.queue.push({ fn, op, input, weight, resolve: resolve as (v: unknown) => void, reject });
      this.queuedWeight += weight;
      if (!this.scheduled && this.mayStartGroup()) {
        this.scheduled = true;
        // Let writes that arrive in the same tick join this group.
        setImmediate(() => {
          this.scheduled = false;
          this.drain();
        });
      }
    });
  }

  private mayStartGroup(): boolean {
    return this.active < this.maxGroups && (this.active === 0 || this.queuedWeight >= this.minWeightWhileBusy);
  }

  private drain(): void {
    while (this.queue.length > 0 && this.mayStartGroup()) {
      const group = this.queue.splice(0, MAX_GROUP);
      for (const w of group) this.queuedWeight -= w.weight;
      this.active++;
      void this.commitGroup(group).finally(() => {
        this.active--;
        this.drain();
      });
    }
  }

  private async commitGroup(group: QueuedWrite[]): Promise<void> {
    let carefully = !this.batched;
    for (let attempt = 1; ; attempt++) {
      const results: Results = [];
      try {
        if (carefully) await this.runGroup(group, results);
        else await this.runBatched(group, results);
      } catch (err) {
        if (err instanceof RunCarefully) {
          carefully = true;
          attempt--;
          continue;
        }
        if (attempt < 5 && this.isRetryable(err)) continue;
        // BEGIN or COMMIT failed: nothing of this group is durable.
        for (const w of group) w.reject(err);
        return;
      }
      group.forEach((w, i) => (results[i].ok ? w.resolve(results[i].value) : w.reject(results[i].value)));
      return;
    }
  }

  /**
   * The group without savepoints: each grouped write's inputs together (where its first input stands in the
   * queue), the other writes one after another. Any throw rolls the whole group back for {@link runGroup}.
   */
  private async runBatched(group: QueuedWrite[], results: Results): Promise<void> {
    const op = group[0].op;
    if (op?.solo && group.every((w) => w.op === op)) {
      let outcomes: Array<WriteOutcome<unknown>> | undefined;
      try {
        outcomes = await op.solo(this.db, group.map((w) => w.input), this.dialect);
      } catch (err) {
        if (this.isRetryable(err)) throw err;
        throw new RunCarefully();
      }
      if (outcomes) {
        outcomes.forEach((o, i) => (results[i] = o.ok ? { ok: true, value: o.value } : { ok: false, value: o.error }));
        return;
      }
    }
    const byOp = new Map<GroupedWrite<unknown, unknown>, number[]>();
    group.forEach((w, i) => {
      if (!w.op) return;
      const list = byOp.get(w.op);
      if (list) list.push(i);
      else byOp.set(w.op, [i]);
    });
    await this.db.transaction().execute(async (trx) => {
      const hooks = new GroupHooks();
      groupsByTransaction.set(trx, hooks);
      for (let i = 0; i < group.length; i++) {
        const w = group[i];
        try {
          if (w.fn) {
            results[i] = { ok: true, value: await w.fn(trx) };
          } else if (byOp.get(w.op!)?.[0] === i) {
            const members = byOp.get(w.op!)!;
            const outcomes = await w.op!.many(trx, members.map((j) => group[j].input), this.dialect);
            members.forEach((j, k) => {
              const o = outcomes[k];
              results[j] = o.ok ? { ok: true, value: o.value } : { ok: false, value: o.error };
            });
          }
        } catch (err) {
          if (this.isRetryable(err)) throw err;
          throw new RunCarefully();
        }
        hooks.accept();
      }
      await hooks.flush(trx, this.dialect);
    });
  }

  private async runGroup(group: QueuedWrite[], results: Results): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      // What the writes defer (derived rows) is written once for the whole group, before COMMIT.
      const hooks = new GroupHooks();
      groupsByTransaction.set(trx, hooks);
      for (const w of group) {
        hooks.drop();
        await sql`savepoint w`.execute(trx);
        try {
          const value = w.fn ? await w.fn(trx) : await w.op!.one(trx, w.input, this.dialect);
          await sql`release savepoint w`.execute(trx);
          hooks.accept();
          results.push({ ok: true, value });
        } catch (err) {
          // A deadlock or serialization failure: run the whole group again.
          if (this.isRetryable(err)) throw err;
          await sql`rollback to savepoint w`.execute(trx);
          await sql`release savepoint w`.execute(trx);
          hooks.drop();
          results.push({ ok: false, value: err });
        }
      }
      await hooks.flush(trx, this.dialect);
    });
  }
}
