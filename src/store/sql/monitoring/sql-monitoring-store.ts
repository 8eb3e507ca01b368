/**
 * The monitoring store over SQL (SQLite and PostgreSQL): segment index,
 * labels, monitors, their time series and alerts. Writes go through the
 * connection's write path (group commit on SQLite).
 * @module
 */
import type { Kysely, Selectable } from "kysely";
import type { AlertRecord, LabelRecord, MonitoringStore, MonitorPoint, MonitorRecord, NewSegment, SegmentQuery, SegmentRecord } from "../../../monitoring/core/monitoring-store.js";
import type { MonitorSpec } from "../../../monitoring/core/monitor-spec.js";
import { ResourceAlreadyExistsError, ResourceDoesNotExistError } from "../../../shared/errors.js";
import type { SqlConnection } from "../sql-dialect.js";
import { isUniqueViolation } from "../sql-errors.js";
import type { MonitorAlertsTable, MonitoringSegmentsTable, MonitoringTables, MonitorsTable } from "./monitoring-tables.js";

type Db = Kysely<MonitoringTables>;
/** Rows per statement: under SQLite's and PostgreSQL's bound-parameter limits. */
const BATCH = 500;

function segmentOf(r: Selectable<MonitoringSegmentsTable>): SegmentRecord {
  return {
    segmentId: Number(r.id),
    modelName: r.model_name,
    modelVersion: r.model_version,
    endpoint: r.endpoint === "" ? null : r.endpoint,
    deployment: r.deployment === "" ? null : r.deployment,
    dataset: r.dataset === "" ? null : r.dataset,
    startTime: Number(r.start_time),
    endTime: Number(r.end_time),
    rows: r.rows,
    requests: r.requests,
    errors: r.errors,
    sampleRate: Number(r.sample_rate),
    path: r.path,
    bytes: Number(r.bytes),
    createdAt: Number(r.created_at),
  };
}

function monitorOf(r: Selectable<MonitorsTable>): MonitorRecord {
  return {
    monitorId: Number(r.id),
    name: r.name,
    spec: JSON.parse(r.spec) as MonitorSpec,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    lastWindowEnd: r.last_window_end === null ? null : Number(r.last_window_end),
    nextRunAt: Number(r.next_run_at),
  };
}

function alertOf(r: Selectable<MonitorAlertsTable>): AlertRecord {
  return {
    alertId: Number(r.id),
    monitorId: Number(r.monitor_id),
    rule: r.rule,
    state: r.state as AlertRecord["state"],
    openedAt: Number(r.opened_at),
    lastSeenAt: Number(r.last_seen_at),
    closedAt: r.closed_at === null ? null : Number(r.closed_at),
    windowStart: Number(r.window_start),
    windowEnd: Number(r.window_end),
    message: r.message,
    delivery: r.delivery,
    actionJobId: r.action_job_id,
  };
}

export class SqlMonitoringStore implements MonitoringStore {
  private readonly db: Db;
  constructor(private readonly conn: SqlConnection) {
    this.db = conn.db as unknown as Db;
  }

  private write<T>(fn: (trx: Db) => Promise<T>): Promise<T> {
    return this.conn.write((trx) => fn(trx as unknown as Db));
  }

  addSegment(s: NewSegment): Promise<SegmentRecord> {
    return this.write(async (trx) => {
      const row = await trx
        .insertInto("monitoring_segments")
        .values({
          model_name: s.modelName,
          model_version: s.modelVersion,
          endpoint: s.endpoint ?? "",
          deployment: s.deployment ?? "",
          dataset: s.dataset ?? "",
          start_time: s.startTime,
          end_time: s.endTime,
          rows: s.rows,
          requests: s.requests,
          errors: s.errors,
          sample_rate: s.sampleRate,
          path: s.path,
          bytes: s.bytes,
          created_at: s.createdAt,
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      return { ...s, segmentId: Number(row.id) };
    });
  }

  async listSegments(q: SegmentQuery): Promise<SegmentRecord[]> {
    let query = this.db.selectFrom("monitoring_segments").selectAll();
    if (q.modelName !== undefined) query = query.where("model_name", "=", q.modelName);
    if (q.modelVersion !== undefined) query = query.where("model_version", "=", q.modelVersion);
    if (q.endpoint !== undefined) query = query.where("endpoint", "=", q.endpoint);
    if (q.deployment !== undefined) query = query.where("deployment", "=", q.deployment);
    if (q.dataset !== undefined) query = query.where("dataset", "=", q.dataset);
    if (q.to !== undefined) query = query.where("start_time", "<", q.to);
    if (q.from !== undefined) query = query.where("end_time", ">=", q.from);
    const after = q.after;
    if (after) query = query.where((eb) => eb.or([eb("start_time", ">", after.startTime), eb.and([eb("start_time", "=", after.startTime), eb("id", ">", after.segmentId)])]));
    const rows = await query.orderBy("start_time").orderBy("id").limit(q.limit ?? 10_000).execute();
    return rows.map(segmentOf);
  }

  async segmentsEndedBefore(time: number, limit: number): Promise<SegmentRecord[]> {
    const rows = await this.db.selectFrom("monitoring_segments").selectAll().where("end_time", "<", time).orderBy("end_time").limit(limit).execute();
    return rows.map(segmentOf);
  }

  deleteSegments(ids: number[]): Promise<number> {
    if (ids.length === 0) return Promise.resolve(0);
    return this.write(async (trx) => {
      let n = 0;
      for (let i = 0; i < ids.length; i += BATCH) {
        const r = await trx.deleteFrom("monitoring_segments").where("id", "in", ids.slice(i, i + BATCH)).executeTakeFirst();
        n += Number(r.numDeletedRows);
      }
      return n;
    });
  }

  putLabels(labels: LabelRecord[]): Promise<number> {
    if (labels.length === 0) return Promise.resolve(0);
    return this.write(async (trx) => {
      for (let i = 0; i < labels.length; i += BATCH) {
        const values = labels.slice(i, i + BATCH).map((l) => ({ request_id: l.requestId, row_index: l.row, value: l.value, time: l.time }));
        await trx
          .insertInto("monitoring_labels")
          .values(values)
          .onConflict((oc) => oc.columns(["request_id", "row_index"]).doUpdateSet((eb) => ({ value: eb.ref("excluded.value"), time: eb.ref("excluded.time") })))
          .execute();
      }
      return labels.length;
    });
  }

  async getLabels(requestIds: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const unique = [...new Set(requestIds)];
    for (let i = 0; i < unique.length; i += BATCH) {
      const rows = await this.db.selectFrom("monitoring_labels").select(["request_id", "row_index", "value"]).where("request_id", "in", unique.slice(i, i + BATCH)).execute();
      for (const r of rows) out.set(`${r.request_id}#${r.row_index}`, r.value);
    }
    return out;
  }

  deleteLabelsBefore(time: number): Promise<number> {
    return this.write(async (trx) => Number((await trx.deleteFrom("monitoring_labels").where("time", "<", time).executeTakeFirst()).numDeletedRows));
  }

  async createMonitor(name: string, spec: MonitorSpec, now: number): Promise<MonitorRecord> {
    try {
      return await this.write(async (trx) => {
        const row = await trx
          .insertInto("monitors")
          .values({ name, spec: JSON.stringify(spec), created_at: now, updated_at: now, last_window_end: null, next_run_at: now + spec.every_seconds * 1000 })
          .returningAll()
          .executeTakeFirstOrThrow();
        return monitorOf(row);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ResourceAlreadyExistsError(`Monitor '${name}' already exists.`);
      throw err;
    }
  }

  async getMonitor(id: number): Promise<MonitorRecord | undefined> {
    const r = await this.db.selectFrom("monitors").selectAll().where("id", "=", id).executeTakeFirst();
    return r && monitorOf(r);
  }

  async getMonitorByName(name: string): Promise<MonitorRecord | undefined> {
    const r = await this.db.selectFrom("monitors").selectAll().where("name", "=", name).executeTakeFirst();
    return r && monitorOf(r);
  }

  async listMonitors(): Promise<MonitorRecord[]> {
    return (await this.db.selectFrom("monitors").selectAll().orderBy("name").execute()).map(monitorOf);
  }

  updateMonitor(id: number, spec: MonitorSpec, now: number): Promise<MonitorRecord> {
    return this.write(async (trx) => {
      const r = await trx.updateTable("monitors").set({ spec: JSON.stringify(spec), updated_at: now }).where("id", "=", id).returningAll().executeTakeFirst();
      if (!r) throw new ResourceDoesNotExistError(`Monitor ${id} does not exist.`);
      return monitorOf(r);
    });
  }

  deleteMonitor(id: number): Promise<void> {
    return this.write(async (trx) => {
      await trx.deleteFrom("monitor_points").where("monitor_id", "=", id).execute();
      await trx.deleteFrom("monitor_alerts").where("monitor_id", "=", id).execute();
      const r = await trx.deleteFrom("monitors").where("id", "=", id).executeTakeFirst();
      if (Number(r.numDeletedRows) === 0) throw new ResourceDoesNotExistError(`Monitor ${id} does not exist.`);
    });
  }

  async dueMonitors(now: number): Promise<MonitorRecord[]> {
    return (await this.db.selectFrom("monitors").selectAll().where("next_run_at", "<=", now).orderBy("next_run_at").limit(1000).execute()).map(monitorOf);
  }

  recordRun(monitorId: number, windowEnd: number, nextRunAt: number, points: MonitorPoint[]): Promise<void> {
    return this.write(async (trx) => {
      await trx.deleteFrom("monitor_points").where("monitor_id", "=", monitorId).where("window_end", "=", windowEnd).execute();
      for (let i = 0; i < points.length; i += BATCH) {
        const values = points.slice(i, i + BATCH).map((p) => ({
          monitor_id: monitorId,
          window_end: p.windowEnd,
          metric: p.metric,
          window_start: p.windowStart,
          value: p.value === null || !Number.isFinite(p.value) ? null : p.value,
          flagged: p.flagged ? 1 : 0,
          detail: p.detail,
        }));
        await trx.insertInto("monitor_points").values(values).execute();
      }
      await trx.updateTable("monitors").set({ last_window_end: windowEnd, next_run_at: nextRunAt }).where("id", "=", monitorId).execute();
    });
  }

  async listPoints(monitorId: number, q: { metricPrefix?: string; from?: number; to?: number } = {}): Promise<MonitorPoint[]> {
    let query = this.db.selectFrom("monitor_points").selectAll().where("monitor_id", "=", monitorId);
    if (q.metricPrefix) query = query.where("metric", ">=", q.metricPrefix).where("metric", "<", `${q.metricPrefix}\uffff`);
    if (q.from !== undefined) query = query.where("window_end", ">", q.from);
    if (q.to !== undefined) query = query.where("window_end", "<=", q.to);
    const rows = await query.orderBy("window_end").orderBy("metric").limit(100_000).execute();
    return rows.map((r) => ({
      windowStart: Number(r.window_start),
      windowEnd: Number(r.window_end),
      metric: r.metric,
      value: r.value === null ? null : Number(r.value),
      flagged: r.flagged === 1,
      detail: r.detail,
    }));
  }

  async firingAlert(monitorId: number, rule: string): Promise<AlertRecord | undefined> {
    const r = await this.db.selectFrom("monitor_alerts").selectAll().where("monitor_id", "=", monitorId).where("rule", "=", rule).where("state", "=", "firing").orderBy("id", "desc").executeTakeFirst();
    return r && alertOf(r);
  }

  async latestAlert(monitorId: number, rule: string): Promise<AlertRecord | undefined> {
    const r = await this.db.selectFrom("monitor_alerts").selectAll().where("monitor_id", "=", monitorId).where("rule", "=", rule).orderBy("id", "desc").executeTakeFirst();
    return r && alertOf(r);
  }

  insertAlert(a: Omit<AlertRecord, "alertId">): Promise<AlertRecord> {
    return this.write(async (trx) => {
      const r = await trx
        .insertInto("monitor_alerts")
        .values({
          monitor_id: a.monitorId,
          rule: a.rule,
          state: a.state,
          opened_at: a.openedAt,
          last_seen_at: a.lastSeenAt,
          closed_at: a.closedAt,
          window_start: a.windowStart,
          window_end: a.windowEnd,
          message: a.message,
          delivery: a.delivery,
          action_job_id: a.actionJobId,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return alertOf(r);
    });
  }

  updateAlert(id: number, p: Partial<Pick<AlertRecord, "state" | "lastSeenAt" | "closedAt" | "delivery" | "actionJobId" | "windowEnd">>): Promise<void> {
    const set: Partial<Record<keyof MonitorAlertsTable, unknown>> = {};
    if (p.state !== undefined) set.state = p.state;
    if (p.lastSeenAt !== undefined) set.last_seen_at = p.lastSeenAt;
    if (p.closedAt !== undefined) set.closed_at = p.closedAt;
    if (p.delivery !== undefined) set.delivery = p.delivery;
    if (p.actionJobId !== undefined) set.action_job_id = p.actionJobId;
    if (p.windowEnd !== undefined) set.window_end = p.windowEnd;
    if (Object.keys(set).length === 0) return Promise.resolve();
    return this.write(async (trx) => {
      await trx.updateTable("monitor_alerts").set(set as never).where("id", "=", id).execute();
    });
  }

  async listAlerts(monitorId: number, limit = 200): Promise<AlertRecord[]> {
    return (await this.db.selectFrom("monitor_alerts").selectAll().where("monitor_id", "=", monitorId).orderBy("id", "desc").limit(limit).execute()).map(alertOf);
  }
}
