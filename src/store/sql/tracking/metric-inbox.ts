/**
 * The metric inbox: a group commit's plain metric points (no model or dataset link) go into ONE row of
 * `metric_inbox` (migration 27; metric-inbox-points.ts packs them) instead of a chunk, a latest_metrics row and
 * summaries per series. A group over 32 runs then writes what a group into one run writes. The points are folded
 * into the history later, many groups at once, by the code that writes it today (chunk-writes.ts: METRIC_POINTS,
 * so the duplicate rule and the summaries hold as they do), and the folded inbox rows are deleted in the same
 * transaction: a point is in the inbox or in the history, never both, never neither.
 *
 * - The write validates its runs as before and is acknowledged after its COMMIT: an acknowledged point is
 *   durable (in the inbox).
 * - A fold runs in the background ({@link FOLD_AFTER_MS} after a write, at once past {@link FOLD_AT_POINTS}
 *   points waiting), and before every read of metric data ({@link MetricInbox.settle}: the tracking stores call
 *   it first), so a client sees its point as soon as it was acknowledged. A reader folds when this process wrote
 *   since its last fold (or just started: a killed process may have left rows), else when the inbox holds any
 *   row ({@link INBOX_CHECK}: another replica's, or another process's on one SQLite file); PostgreSQL's folds take
 *   a transaction-level advisory lock, so two never interleave.
 * - PostgreSQL: the inbox is a queue (rows in, rows out), so its dead rows would pile up where autovacuum is off
 *   or slow — the table growing without end and the check walking past them: a process that folded
 *   {@link VACUUM_AFTER_ROWS} rows vacuums it (`skip_locked`: one replica at a time).
 * - A fold skips the points of runs purged since (a run deleted but not purged gets its points); purge folds
 *   first, in its own transaction. A fold that fails leaves the rows for the next one; a reader whose fold fails
 *   gets the error, never a stale answer.
 * @module
 */
import { sql, type Kysely } from "kysely";
import type { Metric } from "../../../shared/tracking-types.js";
import type { CommitHook } from "../group-commit-queue.js";
import type { Database } from "../schema.js";
import type { SqlConnection, SqlDialect } from "../sql-dialect.js";
import { METRIC_POINTS, type PointsEntry } from "./chunk-writes.js";
import { packInboxPoints, packInboxRuns, unpackInboxRow } from "./metric-inbox-points.js";

type Db = Kysely<Database>;

/**
 * A background fold starts this long after the first write it would fold. A fold writes a chunk, a latest_metrics
 * update and summaries per series it meets, so over many runs its cost per point falls with the points it gathers:
 * on PostgreSQL 50 ms cost a write over 32 runs about twice the database CPU of one into one run, 250 ms as much
 * (docs/benchmarks.md). Readers never wait for it: they fold first.
 */
export const FOLD_AFTER_MS = 250;
/** ...or at once when this many points wait. */
export const FOLD_AT_POINTS = 50_000;
/**
 * A group goes through the inbox when its writes are small: at most this many points per write on average
 * (log-metric, small log-batches). A write of many points already makes few rows per point; packing, unpacking
 * and the fold's careful path cost it more than they save (docs/benchmarks.md), so such a group writes its
 * points itself.
 */
export const INBOX_POINTS_PER_WRITE = 16;

/** Whether a group of `writes` writes holding `points` points goes through the inbox. */
export const inboxPays = (points: number, writes: number): boolean => points <= INBOX_POINTS_PER_WRITE * writes;

/** Inbox rows one fold transaction moves at most (a settle runs folds until the inbox is empty). */
const ROWS_PER_FOLD = 1_000;
/** SQLite: ids per `in (...)` list of a fold's statements (well under SQLite's 32,766 variables). */
const IN_PAGE = 500;
/** PostgreSQL: the advisory lock folds take (transaction-level). */
const FOLD_LOCK = 727_173;
/** PostgreSQL: errors after which the fold transaction runs again (deadlock, serialization, the overlap guard). */
const RETRYABLE = new Set(["40P01", "40001", "CM001"]);

/** Whether any replica or process left points to fold (PostgreSQL: one round trip per read); by the primary key's order, which dead rows cost little. */
export const INBOX_CHECK = "select id from metric_inbox order by id limit 1";
/** PostgreSQL: the inbox is vacuumed after this many rows were folded (by this process). */
export const VACUUM_AFTER_ROWS = 5_000;

const inboxes = new WeakMap<SqlDialect, MetricInbox>();

/** The inbox of the connection whose dialect this is, if a tracking store turned it on. */
export const inboxOf = (dialect: SqlDialect): MetricInbox | undefined => inboxes.get(dialect);

export class MetricInbox {
  /** Whether this process wrote inbox rows since its last fold (true at start: a killed process may have left some). */
  private maybeRows = true;
  /** PostgreSQL: rows folded since the last vacuum, and the vacuum running (tests await it). */
  private foldedSinceVacuum = 0;
  vacuuming: Promise<void> | undefined;
  /** PostgreSQL: vacuums this process ran. */
  vacuums = 0;
  /** PostgreSQL: folded rows after which the inbox is vacuumed (tests lower it). */
  vacuumAfterRows = VACUUM_AFTER_ROWS;
  /** Inbox rows this process wrote: a fold clears {@link maybeRows} only if none came while it ran. */
  private written = 0;
  private pointsWaiting = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  /** Folds in the background (false: only readers, purge and close fold — tests that look at the inbox). */
  background = true;
  /** Tests: runs inside a fold after the history was written, before the inbox rows are deleted. */
  beforeDelete: (() => void) | undefined;

  private constructor(private readonly conn: SqlConnection) {}

  /** The connection's inbox, created on first use: writes of plain points go through it from then on. */
  static attach(conn: SqlConnection): MetricInbox {
    let inbox = inboxes.get(conn.dialect);
    if (!inbox) inboxes.set(conn.dialect, (inbox = new MetricInbox(conn)));
    return inbox;
  }

  /** A write put `points` into the inbox (called before its COMMIT). */
  noteWritten(points: number): void {
    this.written++;
    this.maybeRows = true;
    this.pointsWaiting += points;
    if (!this.background) return;
    if (this.pointsWaiting >= FOLD_AT_POINTS) this.schedule(0);
    else if (!this.timer) this.schedule(FOLD_AFTER_MS);
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // A failed background fold leaves its rows; the next write or reader folds them.
      this.settle().catch(() => {});
    }, ms);
    this.timer.unref();
  }

  /** Folds every point acknowledged before the call into the history (cheap when the inbox is empty). */
  async settle(): Promise<void> {
    if (!this.running && !this.maybeRows && !(await this.hasRows())) return;
    return this.foldAll();
  }

  /** Stops the background fold and folds what is left (shutdown). */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.settle();
    await this.vacuuming;
  }

  private async hasRows(): Promise<boolean> {
    const rows = await this.conn.dialect.runPrepared<{ id: number }>(this.conn.db, INBOX_CHECK, []);
    return rows.length > 0;
  }

  /**
   * One fold pass after the one running (if any) — it reads the inbox once it starts, so it sees every write
   * acknowledged before this call; callers that come while a pass is queued share it.
   */
  private foldAll(): Promise<void> {
    if (this.queued) return this.queued;
    const pass: Promise<void> = (this.running ?? Promise.resolve())
      .catch(() => {})
      .then(async () => {
        this.queued = undefined;
        this.running = pass;
        for (;;) {
          const seen = this.written;
          const folded = await this.foldOnce();
          this.foldedSinceVacuum += folded;
          if (this.foldedSinceVacuum >= this.vacuumAfterRows) this.vacuum();
          if (folded < ROWS_PER_FOLD) {
            if (seen === this.written) {
              this.maybeRows = false;
              this.pointsWaiting = 0;
            }
            return;
          }
        }
      })
      .finally(() => {
        if (this.running === pass) this.running = undefined;
      });
    this.queued = pass;
    return pass;
  }

  /** PostgreSQL: vacuums the inbox in the background (see the module's comment); a failure waits for the next threshold. */
  private vacuum(): void {
    if (this.conn.dialect.name !== "postgres" || this.vacuuming) return;
    this.foldedSinceVacuum = 0;
    this.vacuuming = sql`vacuum (skip_locked) metric_inbox`
      .execute(this.conn.db)
      .then(
        () => void this.vacuums++,
        () => {},
      )
      .finally(() => (this.vacuuming = undefined));
  }

  /** One fold transaction: on SQLite through the write queue (the one writer), on PostgreSQL its own, retried. */
  private async foldOnce(): Promise<number> {
    if (this.conn.dialect.name === "sqlite") return this.conn.write((trx) => this.foldIn(trx));
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.conn.db.transaction().execute((trx) => this.foldIn(trx));
      } catch (err) {
        if (attempt >= 5 || !RETRYABLE.has((err as { code?: string }).code ?? "")) throw err;
      }
    }
  }

  /** Folds the whole inbox inside `trx` (purge, before it deletes runs). */
  async foldAllIn(trx: Db): Promise<void> {
    while ((await this.foldIn(trx)) === ROWS_PER_FOLD);
  }

  /**
   * Folds up to {@link ROWS_PER_FOLD} inbox rows, oldest first, inside `trx` (a write transaction; purge calls
   * it in its own): their points are written as one group's would be, and the rows deleted. Resolves with the
   * number of rows folded.
   */
  async foldIn(trx: Db): Promise<number> {
    const dialect = this.conn.dialect;
    const pg = dialect.name === "postgres";
    if (pg) await sql`select pg_advisory_xact_lock(${FOLD_LOCK})`.execute(trx);
    const rows = await trx.selectFrom("metric_inbox").select(["id", "runs", "points"]).orderBy("id").limit(ROWS_PER_FOLD).execute();
    if (rows.length === 0) return 0;
    const byRun = new Map<number, Metric[]>();
    for (const r of rows) unpackInboxRow(r.runs, r.points, byRun);
    // Runs purged since their points were accepted keep nothing (PostgreSQL: locked as the writers lock them).
    const ids = [...byRun.keys()];
    const alive = new Set<number>();
    if (pg) {
      if (ids.length > 0) {
        const found = await dialect.runPrepared<{ id: number }>(trx, "select id from runs where id = any($1::int4[]) for key share", [ids]);
        for (const f of found) alive.add(Number(f.id));
      }
    } else {
      // In pages: a fold may name more runs than a statement may have variables.
      for (let i = 0; i < ids.length; i += IN_PAGE) {
        for (const f of await trx.selectFrom("runs").select("id").where("id", "in", ids.slice(i, i + IN_PAGE)).execute()) alive.add(Number(f.id));
      }
    }
    const entries: PointsEntry[] = [];
    for (const [runPk, metrics] of byRun) if (alive.has(runPk)) entries.push({ runPk, metrics });
    if (entries.length > 0) await METRIC_POINTS.flush(trx, entries, dialect);
    this.beforeDelete?.();
    const folded = rows.map((r) => Number(r.id));
    if (pg) await dialect.runPrepared(trx, "delete from metric_inbox where id = any($1::int8[])", [folded]);
    else for (let i = 0; i < folded.length; i += IN_PAGE) await trx.deleteFrom("metric_inbox").where("id", "in", folded.slice(i, i + IN_PAGE)).execute();
    return rows.length;
  }
}

/** One write's plain points of one run, staged for its group's inbox row. */
export interface InboxEntry {
  runPk: number;
  metrics: readonly Metric[];
}

/**
 * A group's plain points into ONE inbox row at its commit (the careful path: SQLite, PostgreSQL's per-input
 * fallback) — unless its writes are large ({@link inboxPays}): then into the history at once, as without an inbox.
 */
export const METRIC_INBOX: CommitHook<InboxEntry> = {
  name: "tracking.metric-inbox",
  async flush(trx, entries, dialect) {
    let total = 0;
    for (const e of entries) total += e.metrics.length;
    if (!inboxPays(total, entries.length)) return METRIC_POINTS.flush(trx, entries as PointsEntry[], dialect);
    const runIds: number[] = [];
    const place = new Map<number, number>();
    const groups = entries.map((e) => {
      let at = place.get(e.runPk);
      if (at === undefined) {
        place.set(e.runPk, (at = runIds.length));
        runIds.push(e.runPk);
      }
      return { place: at, metrics: e.metrics };
    });
    const { points, cnt } = packInboxPoints(groups);
    if (cnt === 0) return;
    await trx.insertInto("metric_inbox").values({ cnt, runs: packInboxRuns(runIds), points }).execute();
    inboxOf(dialect)?.noteWritten(cnt);
  },
};
