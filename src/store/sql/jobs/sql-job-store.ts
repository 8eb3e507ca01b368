/**
 * The job store and the event store over SQL, for SQLite and PostgreSQL.
 * Writes go through the connection's write path (group commit), so a job's
 * completion shares a commit with the requests around it.
 * @module
 */
import type { EventStore, JobLease, JobQuery, JobStore, LeaseReport, ScheduleInput } from "../../../jobs/job-store.js";
import type { EnqueueJobInput, Job, PublishEventInput, StreamEvent } from "../../../jobs/types.js";
import { InvalidParameterValueError } from "../../../shared/errors.js";
import type { SqlConnection } from "../sql-dialect.js";
import * as events from "./event-queries.js";
import * as lease from "./job-lease-queries.js";
import * as q from "./job-queries.js";
import * as schedules from "./schedule-queries.js";

export class SqlJobStore implements JobStore {
  constructor(private readonly conn: SqlConnection) {}

  enqueue(input: EnqueueJobInput & { maxAttempts: number }, now: number) {
    return this.conn.write((trx) => q.enqueueJob(trx, input, now));
  }
  getJob(jobId: string) {
    return q.getJob(this.conn.db, jobId);
  }
  listJobs(query: JobQuery) {
    return q.listJobs(this.conn.db, query);
  }
  lease(query: { owner: string; types: string[]; limit: number; leaseMs: number; now: number }): Promise<Job[]> {
    return this.conn.write((trx) => lease.leaseJobs(trx, this.conn.dialect.name, query));
  }
  announceWorker(worker: string, until: number, now: number) {
    return this.conn.write((trx) => lease.announceWorker(trx, worker, until, now));
  }
  retireWorker(worker: string) {
    return this.conn.write((trx) => lease.retireWorker(trx, worker));
  }
  heartbeat(l: JobLease, report: LeaseReport, leaseMs: number, now: number) {
    return this.conn.write((trx) => lease.heartbeat(trx, l, report, leaseMs, now));
  }
  complete(l: JobLease, result: unknown, report: LeaseReport, now: number) {
    return this.conn.write((trx) => lease.complete(trx, l, result, report, now));
  }
  fail(l: JobLease, error: string, retryAt: number | null, report: LeaseReport, now: number) {
    return this.conn.write((trx) => lease.fail(trx, l, error, retryAt, report, now));
  }
  markCancelled(l: JobLease, report: LeaseReport, now: number) {
    return this.conn.write((trx) => lease.markCancelled(trx, l, report, now));
  }
  release(l: JobLease, report: LeaseReport, now: number) {
    return this.conn.write((trx) => lease.release(trx, l, report, now));
  }
  cancel(jobId: string, now: number) {
    return this.conn.write((trx) => q.cancelJob(trx, jobId, now));
  }
  retry(jobId: string, now: number) {
    return this.conn.write((trx) => q.retryJob(trx, jobId, now));
  }
  readLogs(jobId: string, afterSeq: number, maxResults: number) {
    return q.readLogs(this.conn.db, jobId, afterSeq, maxResults);
  }
  purgeFinished(before: number) {
    return q.purgeFinished(this.conn.write, before);
  }
  upsertSchedule(input: ScheduleInput, now: number) {
    return this.conn.write((trx) => schedules.upsertSchedule(trx, input, now));
  }
  deleteSchedule(name: string) {
    return this.conn.write((trx) => schedules.deleteSchedule(trx, name));
  }
  listSchedules() {
    return schedules.listSchedules(this.conn.db);
  }
  fireSchedule(name: string, due: number, next: number, maxAttempts: number, now: number) {
    return this.conn.write((trx) => schedules.fireSchedule(trx, name, due, next, maxAttempts, now));
  }
}

export class SqlEventStore implements EventStore {
  readonly sources = events.EVENT_SOURCES;
  constructor(private readonly conn: SqlConnection) {}

  publish(event: PublishEventInput, now: number): Promise<void> {
    return this.conn.write((trx) => events.publishEvents(trx, now, [event]));
  }

  async claim(c: { subscriber: string; source: string; owner: string; leaseMs: number; limit: number; from: "now" | "start"; now: number }): Promise<StreamEvent[] | undefined> {
    const source = this.source(c.source);
    const { db, dialect } = this.conn;
    const start = async (trx: typeof db) => (c.from === "start" ? { tx: "0", id: 0 } : events.headCursor(trx, dialect.name, source));
    const cursor = await this.conn.write((trx) => events.claimCursor(trx, c, start));
    if (!cursor) return undefined;
    // Read outside the write transaction: on PostgreSQL its own xid would hold back the snapshot's xmin.
    return events.readEvents(db, dialect.name, source, cursor, c.limit);
  }

  async advance(a: { subscriber: string; source: string; owner: string; position: string; leaseMs: number; now: number }): Promise<boolean> {
    const to = events.decodePosition(a.position);
    if (!to) throw new InvalidParameterValueError(`Invalid event position '${a.position}'.`);
    return this.conn.write((trx) => events.advanceCursor(trx, { ...a, to }));
  }

  releaseCursor(subscriber: string, source: string, owner: string): Promise<void> {
    return this.conn.write((trx) => events.releaseCursor(trx, subscriber, source, owner));
  }

  async purgeEvents(before: number): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.conn.write((trx) => events.purgeEvents(trx, before, 1000));
      total += n;
      if (n < 1000) return total;
    }
  }

  private source(name: string): events.EventSourceName {
    if (!(events.EVENT_SOURCES as readonly string[]).includes(name)) throw new InvalidParameterValueError(`Unknown event source '${name}'.`);
    return name as events.EventSourceName;
  }
}
