/**
 * The TraceStore over SQL, shared by SQLite and PostgreSQL, on the shared
 * connection (writes through its group commit).
 * @module
 */
import type { Kysely, Selectable } from "kysely";
import { ResourceAlreadyExistsError, ResourceDoesNotExistError } from "../../../shared/errors.js";
import type { Page } from "../../../shared/types.js";
import type { Assessment, DeleteTracesRequest, LockedTraces, SearchTracesQuery, TraceInfo, TraceState, TraceStore } from "../../../tracking/traces/index.js";
import { experimentIdNumber, experimentNotFound } from "../tracking/experiment-queries.js";
import type { Database } from "../schema.js";
import type { SqlConnection } from "../sql-dialect.js";
import { isUniqueViolation } from "../sql-errors.js";
import * as A from "./sql-assessments.js";
import { saveSummaries, SqlTraceLocks } from "./sql-trace-locks.js";
import { searchTraceRows } from "./trace-search.js";

type Db = Kysely<Database>;
type TraceInfoTable = Selectable<Database["trace_info"]>;

const traceNotFound = A.traceNotFound;

/** Loads the tags, metadata and assessments of some trace rows, in three queries. */
async function loadTraces(db: Db, rows: TraceInfoTable[]): Promise<TraceInfo[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.request_id);
  const [tags, metadata, assessments] = await Promise.all([
    db.selectFrom("trace_tags").selectAll().where("request_id", "in", ids).execute(),
    db.selectFrom("trace_request_metadata").selectAll().where("request_id", "in", ids).execute(),
    A.loadAssessments(db, ids),
  ]);
  const byId = new Map(
    rows.map((r): [string, TraceInfo] => [
      r.request_id,
      {
        traceId: r.request_id,
        experimentId: String(r.experiment_id),
        clientRequestId: r.client_request_id,
        requestTime: Number(r.timestamp_ms),
        executionDuration: r.execution_time_ms === null ? null : Number(r.execution_time_ms),
        state: r.status as TraceState,
        requestPreview: r.request_preview,
        responsePreview: r.response_preview,
        metadata: {},
        tags: {},
        assessments: assessments.get(r.request_id) ?? [],
      },
    ]),
  );
  for (const t of tags) byId.get(t.request_id)!.tags[t.key] = t.value;
  for (const m of metadata) byId.get(m.request_id)!.metadata[m.key] = m.value;
  return rows.map((r) => byId.get(r.request_id)!);
}

/** A trace's info read on `db` (the connection, or a transaction). */
async function getTraceInfo(db: Db, traceId: string): Promise<TraceInfo> {
  const row = await db.selectFrom("trace_info").selectAll().where("request_id", "=", traceId).executeTakeFirst();
  if (!row) throw traceNotFound(traceId);
  return (await loadTraces(db, [row]))[0];
}

export class SqlTraceStore implements TraceStore {
  private readonly locks: SqlTraceLocks;

  constructor(private readonly conn: SqlConnection) {
    this.locks = new SqlTraceLocks(conn, this, getTraceInfo);
  }

  private get db(): Db {
    return this.conn.db;
  }

  private write<T>(fn: (trx: Db) => Promise<T>): Promise<T> {
    return this.conn.write(fn);
  }

  async startTrace(info: TraceInfo): Promise<TraceInfo> {
    const expId = experimentIdNumber(info.experimentId);
    if (expId === undefined) throw experimentNotFound(info.experimentId);
    const entries = (o: Record<string, string>) => Object.entries(o).map(([key, value]) => ({ request_id: info.traceId, key, value }));
    try {
      await this.write(async (trx) => {
        await trx
          .insertInto("trace_info")
          .values({
            request_id: info.traceId,
            experiment_id: expId,
            timestamp_ms: info.requestTime,
            execution_time_ms: info.executionDuration,
            status: info.state,
            client_request_id: info.clientRequestId,
            request_preview: info.requestPreview,
            response_preview: info.responsePreview,
          })
          .execute();
        const tags = entries(info.tags);
        const metadata = entries(info.metadata);
        // Chunks keep each statement under SQLite's and PostgreSQL's bound-parameter limits.
        for (let i = 0; i < tags.length; i += 500) await trx.insertInto("trace_tags").values(tags.slice(i, i + 500)).execute();
        for (let i = 0; i < metadata.length; i += 500) await trx.insertInto("trace_request_metadata").values(metadata.slice(i, i + 500)).execute();
        // Assessments logged while the trace was active travel with it (StartTraceV3's trace_info.assessments).
        await A.insertStartAssessments(trx, info.assessments.map((a) => ({ ...a, traceId: info.traceId })));
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      // A client retry of a start whose answer was lost (StartTraceV3 is retried): the stored trace is the answer.
      const stored = await this.getTraceInfo(info.traceId);
      if (stored.experimentId !== info.experimentId) {
        throw new ResourceAlreadyExistsError(`Trace with ID '${info.traceId}' already exists in experiment ${stored.experimentId}.`);
      }
      return stored;
    }
    return this.getTraceInfo(info.traceId);
  }

  getTraceInfo(traceId: string): Promise<TraceInfo> {
    return getTraceInfo(this.db, traceId);
  }

  async searchTraces(q: SearchTracesQuery): Promise<Page<TraceInfo>> {
    const page = await searchTraceRows(this.conn.db, q, this.conn.dialect.name === "postgres");
    return { items: await loadTraces(this.db, page.rows), nextPageToken: page.nextPageToken };
  }

  async endTrace(traceId: string, end: { executionDuration: number; state: TraceState; metadata: Record<string, string>; tags: Record<string, string> }): Promise<TraceInfo> {
    await this.write(async (trx) => {
      const r = await trx.updateTable("trace_info").set({ execution_time_ms: end.executionDuration, status: end.state }).where("request_id", "=", traceId).executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) throw traceNotFound(traceId);
      for (const [table, entries] of [["trace_request_metadata", end.metadata], ["trace_tags", end.tags]] as const) {
        for (const [key, value] of Object.entries(entries)) {
          await trx
            .insertInto(table)
            .values({ request_id: traceId, key, value })
            .onConflict((oc) => oc.columns(["request_id", "key"]).doUpdateSet({ value }))
            .execute();
        }
      }
    });
    return this.getTraceInfo(traceId);
  }

  async setTraceTag(traceId: string, key: string, value: string): Promise<void> {
    await this.write(async (trx) => {
      await trx
        .insertInto("trace_tags")
        .values({ request_id: traceId, key, value })
        .onConflict((oc) => oc.columns(["request_id", "key"]).doUpdateSet({ value }))
        .execute();
    });
  }

  async deleteTraceTag(traceId: string, key: string): Promise<void> {
    const deleted = await this.write((trx) => trx.deleteFrom("trace_tags").where("request_id", "=", traceId).where("key", "=", key).executeTakeFirst());
    if (Number(deleted.numDeletedRows) === 0) {
      throw new ResourceDoesNotExistError(`No trace tag with key '${key}' for trace with ID '${traceId}'`);
    }
  }

  async deleteTraces(req: DeleteTracesRequest): Promise<number> {
    const expId = experimentIdNumber(req.experimentId);
    if (expId === undefined) return 0;
    return this.write(async (trx) => {
      let q = trx.selectFrom("trace_info").select("request_id").where("experiment_id", "=", expId);
      if (req.maxTimestampMillis !== undefined) q = q.where("timestamp_ms", "<=", req.maxTimestampMillis);
      if (req.traceIds) q = q.where("request_id", "in", req.traceIds);
      // The oldest first, as MLflow deletes.
      if (req.maxTraces !== undefined) q = q.orderBy("timestamp_ms").orderBy("request_id").limit(req.maxTraces);
      const ids = (await q.execute()).map((r) => r.request_id);
      return deleteTraceRows(trx, ids);
    });
  }

  async createAssessment(a: Assessment): Promise<Assessment> {
    await this.write((trx) => A.createAssessment(trx, a));
    return this.getAssessment(a.traceId, a.assessmentId);
  }

  getAssessment(traceId: string, assessmentId: string): Promise<Assessment> {
    return A.getAssessment(this.db, traceId, assessmentId);
  }

  updateAssessment(traceId: string, assessmentId: string, apply: (stored: Assessment) => Assessment): Promise<Assessment> {
    return this.write((trx) => A.updateAssessment(trx, traceId, assessmentId, apply));
  }

  deleteAssessment(traceId: string, assessmentId: string): Promise<void> {
    return this.write((trx) => A.deleteAssessment(trx, traceId, assessmentId));
  }

  linkTracesToRun(traceIds: string[], runId: string, now: number): Promise<void> {
    return this.write((trx) => A.linkTracesToRun(trx, traceIds, runId, now));
  }

  saveSpanSummaries(summaries: { info: Omit<TraceInfo, "assessments">; isNew: boolean }[]): Promise<void> {
    return saveSummaries((fn) => this.write(fn), summaries);
  }

  withTracesLocked<T>(traceIds: readonly string[], fn: (traces: LockedTraces) => Promise<T>): Promise<T> {
    return this.locks.run(traceIds, fn);
  }

  async experimentOf(traceId: string): Promise<string | undefined> {
    const row = await this.db.selectFrom("trace_info").select("experiment_id").where("request_id", "=", traceId).executeTakeFirst();
    return row ? String(row.experiment_id) : undefined;
  }
}

/** Deletes traces with their tags, metadata, assessments and run links (explicitly: not every connection enforces the cascade). */
async function deleteTraceRows(trx: Db, ids: string[]): Promise<number> {
  let n = 0;
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    await trx.deleteFrom("trace_tags").where("request_id", "in", chunk).execute();
    await trx.deleteFrom("trace_request_metadata").where("request_id", "in", chunk).execute();
    await A.deleteTraceChildren(trx, chunk);
    const r = await trx.deleteFrom("trace_info").where("request_id", "in", chunk).executeTakeFirst();
    n += Number(r.numDeletedRows);
  }
  return n;
}
