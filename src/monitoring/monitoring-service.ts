/**
 * The monitoring capability as routes and jobs use it: inference ingest,
 * labels, reference profiles, monitors (create, run, series, alerts),
 * retention. One call per route; everything it needs is passed in.
 * @module
 */
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import type { ArtifactRepository } from "../artifacts/index.js";
import { InvalidParameterValueError, ResourceDoesNotExistError } from "../shared/errors.js";
import type { InferenceEvent } from "./inference/inference-event.js";
import type { InferenceRecorder } from "./inference/inference-recorder.js";
import { parseLabelCsv, parseLabelParquet, toLabelRecords, type LabelInput } from "./inference/label-files.js";
import type { MonitoringStore, MonitorPoint, MonitorRecord, SegmentQuery, SegmentRecord } from "./core/monitoring-store.js";
import { evaluateAlerts, type AlertOutcome } from "./monitors/alerting.js";
import type { MonitorGauges } from "./monitors/monitor-gauges.js";
import { loadReference, runMonitor, windowProfilePath, type MonitorRunResult } from "./monitors/monitor-runner.js";
import { loadWindow, readArtifactBytes } from "./monitors/window-data.js";
import { readRequestColumns, trimSegment, wholeInside, type TrimmedSegment } from "./inference/segment-trim.js";
import { renderMonitorReport, type ActionOutcome } from "./report/monitor-report.js";
import { validateMonitorSpec, type MonitorSpec } from "./core/monitor-spec.js";
import { sendWebhook, type WebhookOptions } from "./monitors/webhook-sender.js";
import { decodeProfile, encodeProfile } from "./profiles/profile-codec.js";

export const MONITOR_RUN_JOB = "monitoring.run";
export const MONITOR_TICK_JOB = "monitoring.tick";
export const RETENTION_JOB = "monitoring.retention";

export interface MonitoringServiceDeps {
  store: MonitoringStore;
  repo: ArtifactRepository;
  recorder: InferenceRecorder;
  gauges: MonitorGauges;
  webhook?: WebhookOptions;
  enqueue?(input: { type: string; payload: unknown; idempotencyKey?: string; runAfter?: number }): Promise<{ job: { jobId: string }; created: boolean }>;
  resolveAlias?(model: string, alias: string): Promise<string | undefined>;
  /** What an alert's action job became (the report shows the retraining pipeline run it started). */
  jobStatus?(jobId: string): Promise<{ state: string; result: unknown } | undefined>;
  now?: () => number;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface LabelledRowsQuery {
  endpoint: string;
  deployment: string;
  /** Requests that arrived in [from, to), epoch ms. */
  from: number;
  to: number;
  /** The prediction's column (default `prediction`, a scalar output). */
  predictionColumn?: string;
  /** Rows read at most (default 500,000). */
  maxRows?: number;
}

export interface LabelledRows {
  /** Answered (status < 400) rows logged in the window. */
  rows: number;
  /** Those that have a label, with their prediction. */
  pairs: Array<{ prediction: unknown; label: unknown }>;
  /** Smallest share of requests the window's segments kept (1 = all). */
  sampleRate: number;
  truncated: boolean;
}

export class MonitoringService {
  private readonly now: () => number;
  constructor(private readonly deps: MonitoringServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  get store(): MonitoringStore {
    return this.deps.store;
  }

  ingest(events: InferenceEvent[]): number {
    for (const e of events) this.deps.recorder.record(e);
    return events.length;
  }

  flush(): Promise<SegmentRecord[]> {
    return this.deps.recorder.flush();
  }

  /**
   * The segment index, a page at a time. With `from`/`to`, each entry covers
   * only its rows inside [from, to): a segment that straddles a bound is read
   * and cut (`trimmed`), one with no row inside is left out, and a page still
   * holds up to `limit` entries. `pageToken` continues after the last page.
   */
  async listSegments(q: Omit<SegmentQuery, "after">, pageToken?: string): Promise<{ segments: TrimmedSegment[]; nextPageToken?: string }> {
    const limit = Math.max(1, q.limit ?? 1000);
    const range = { from: q.from, to: q.to };
    const fetch = Math.min(Math.max(limit, 100), 10_000);
    const out: TrimmedSegment[] = [];
    let after = pageToken === undefined ? undefined : segmentCursorOf(pageToken);
    for (;;) {
      const batch = await this.deps.store.listSegments({ ...q, after, limit: fetch });
      for (const s of batch) {
        if (out.length === limit) return { segments: out, nextPageToken: segmentTokenOf(after!) };
        after = { startTime: s.startTime, segmentId: s.segmentId };
        if (wholeInside(s, range)) out.push({ ...s, trimmed: false });
        else {
          const cut = trimSegment(s, await readRequestColumns(await readArtifactBytes(this.deps.repo, s.path)), range);
          if (cut) out.push(cut);
        }
      }
      if (batch.length < fetch) return { segments: out };
    }
  }

  putLabels(items: LabelInput[]): Promise<number> {
    return this.deps.store.putLabels(toLabelRecords(items, this.now()));
  }

  async uploadLabels(format: "csv" | "parquet", bytes: Uint8Array): Promise<number> {
    const items = format === "csv" ? parseLabelCsv(new TextDecoder().decode(bytes)) : await parseLabelParquet(bytes);
    return this.putLabels(items);
  }

  /** One endpoint deployment's logged rows in a window joined with their labels (deployments' A/B analysis); buffered events are written first. */
  async labelledRows(q: LabelledRowsQuery): Promise<LabelledRows> {
    await this.deps.recorder.flush();
    const w = await loadWindow(this.deps.store, this.deps.repo, { endpoint: q.endpoint, deployment: q.deployment }, q.from, q.to, q.maxRows ?? 500_000);
    const col = q.predictionColumn ?? "prediction";
    const ok = w.rows.filter((r) => (r.__status as number) < 400);
    const labels = await this.deps.store.getLabels([...new Set(ok.map((r) => r.__request_id as string))]);
    const pairs: LabelledRows["pairs"] = [];
    for (const r of ok) {
      const l = labels.get(`${r.__request_id as string}#${r.__row as number}`);
      const p = r[col];
      if (l !== undefined && p !== undefined && p !== null) pairs.push({ prediction: p, label: JSON.parse(l) });
    }
    const sampleRate = w.segments.reduce((m, s) => Math.min(m, s.sampleRate), 1);
    return { rows: ok.length, pairs, sampleRate, truncated: w.truncated };
  }

  /** Stores a reference profile (checked by decoding it) under `monitoring/references/<name>.json`. */
  async putReference(name: string, text: string): Promise<string> {
    if (!NAME.test(name)) throw new InvalidParameterValueError(`A reference name is 1-128 letters, digits, '.', '_' or '-'; got '${name}'.`);
    const profile = decodeProfile(text);
    const path = `monitoring/references/${name}.json`;
    await this.deps.repo.put(path, Readable.from([Buffer.from(encodeProfile(profile))]));
    return path;
  }

  async getMonitor(idOrName: string | number): Promise<MonitorRecord> {
    const m = typeof idOrName === "number" || /^\d+$/.test(idOrName) ? await this.deps.store.getMonitor(Number(idOrName)) : await this.deps.store.getMonitorByName(idOrName);
    if (!m) throw new ResourceDoesNotExistError(`Monitor '${idOrName}' does not exist.`);
    return m;
  }

  private async checkReference(spec: MonitorSpec): Promise<void> {
    if (spec.reference_profile && !(await this.deps.repo.stat(spec.reference_profile))) {
      throw new InvalidParameterValueError(`No reference profile at '${spec.reference_profile}' in the artifact store; upload one with POST /api/ciclo/v1/monitoring/references.`);
    }
  }

  async createMonitor(name: string, spec: MonitorSpec): Promise<MonitorRecord> {
    if (!NAME.test(name)) throw new InvalidParameterValueError(`A monitor name is 1-128 letters, digits, '.', '_' or '-'; got '${name}'.`);
    validateMonitorSpec(spec);
    await this.checkReference(spec);
    return this.deps.store.createMonitor(name, spec, this.now());
  }

  async updateMonitor(idOrName: string, spec: MonitorSpec): Promise<MonitorRecord> {
    const m = await this.getMonitor(idOrName);
    validateMonitorSpec(spec);
    await this.checkReference(spec);
    // A redacted secret sent back unchanged keeps the stored one.
    const old = new Map((m.spec.alerts ?? []).map((r) => [r.name, r.webhook?.secret]));
    for (const r of spec.alerts ?? []) if (r.webhook?.secret === "***") r.webhook.secret = old.get(r.name);
    return this.deps.store.updateMonitor(m.monitorId, spec, this.now());
  }

  async deleteMonitor(idOrName: string): Promise<void> {
    const m = await this.getMonitor(idOrName);
    await this.deps.store.deleteMonitor(m.monitorId);
  }

  listMonitors(): Promise<MonitorRecord[]> {
    return this.deps.store.listMonitors();
  }

  /** Runs a monitor over the window ending at `windowEnd` (default now), stores the points and evaluates its alerts. */
  async run(idOrName: string | number, windowEnd?: number): Promise<{ result: MonitorRunResult; alerts: AlertOutcome[] }> {
    const m = await this.getMonitor(idOrName);
    await this.deps.recorder.flush();
    const end = windowEnd ?? this.now();
    const result = await runMonitor({ store: this.deps.store, repo: this.deps.repo, resolveAlias: this.deps.resolveAlias }, m, end);
    // The schedule's next window end: unchanged by a run of an earlier window (`ciclo monitor run`, a run with an
    // explicit window_end), moved on past this one by the scheduled run and by a late one; windows missed while
    // the server was down are skipped, not replayed one by one.
    const every = m.spec.every_seconds * 1000;
    let next = m.nextRunAt;
    while (next <= end) next += every;
    const now = this.now();
    while (next + every <= now) next += every;
    await this.deps.store.recordRun(m.monitorId, end, next, result.points);
    this.deps.gauges.observe(m.name, end, result.points);
    const alerts = await evaluateAlerts(
      {
        store: this.deps.store,
        send: (rule, message) => sendWebhook(rule.webhook!.url, rule.webhook!.format ?? "generic", message, rule.webhook!.secret, this.deps.webhook),
        enqueue: this.deps.enqueue,
        now: this.now,
      },
      m,
      result,
    );
    for (const a of alerts) if (a.outcome !== "cooling-down") this.deps.gauges.alert(m.name, a.rule, a.outcome === "opened" || a.outcome === "continuing");
    return { result, alerts };
  }

  /** Enqueues a run of every monitor that is due (the `monitoring.tick` schedule). */
  async tick(): Promise<number> {
    if (!this.deps.enqueue) return 0;
    const now = this.now();
    let n = 0;
    for (const m of await this.deps.store.dueMonitors(now)) {
      const r = await this.deps.enqueue({ type: MONITOR_RUN_JOB, payload: { monitor_id: m.monitorId, window_end: m.nextRunAt }, idempotencyKey: `${MONITOR_RUN_JOB}:${m.monitorId}:${m.nextRunAt}` });
      if (r.created) n++;
    }
    return n;
  }

  /** Enqueues one run now (the API's `run` without `wait`). */
  async enqueueRun(idOrName: string, windowEnd?: number): Promise<string> {
    if (!this.deps.enqueue) throw new InvalidParameterValueError("This server runs no background jobs; run the monitor with wait=true.");
    const m = await this.getMonitor(idOrName);
    const end = windowEnd ?? this.now();
    const r = await this.deps.enqueue({ type: MONITOR_RUN_JOB, payload: { monitor_id: m.monitorId, window_end: end }, idempotencyKey: `${MONITOR_RUN_JOB}:${m.monitorId}:${end}` });
    return r.job.jobId;
  }

  async series(idOrName: string, q: { metricPrefix?: string; from?: number; to?: number }): Promise<{ monitor: MonitorRecord; points: MonitorPoint[] }> {
    const monitor = await this.getMonitor(idOrName);
    return { monitor, points: await this.deps.store.listPoints(monitor.monitorId, q) };
  }

  async alerts(idOrName: string) {
    const m = await this.getMonitor(idOrName);
    return this.deps.store.listAlerts(m.monitorId);
  }

  /** The monitor's page as one static HTML file (what `ciclo monitor report` writes); `embedded`: for the UI's page. */
  async report(idOrName: string, opts: { embedded?: boolean } = {}): Promise<string> {
    const monitor = await this.getMonitor(idOrName);
    const [points, alerts] = await Promise.all([this.deps.store.listPoints(monitor.monitorId), this.deps.store.listAlerts(monitor.monitorId)]);
    const reference = monitor.spec.reference_profile ? await loadReference(this.deps.repo, monitor.spec.reference_profile).catch(() => undefined) : undefined;
    const last = points.filter((p) => p.metric.startsWith("drift.")).reduce((m, p) => Math.max(m, p.windowEnd), -Infinity);
    let current;
    if (reference && Number.isFinite(last)) {
      const path = windowProfilePath(monitor.monitorId, last);
      if (await this.deps.repo.stat(path)) current = decodeProfile(new TextDecoder().decode(await readArtifactBytes(this.deps.repo, path)));
    }
    const actions = new Map<string, ActionOutcome>();
    for (const a of alerts) {
      if (!a.actionJobId || !this.deps.jobStatus) continue;
      const job = await this.deps.jobStatus(a.actionJobId).catch(() => undefined);
      const runId = (job?.result as { runId?: unknown } | null | undefined)?.runId;
      if (job) actions.set(a.actionJobId, { state: job.state, ...(typeof runId === "string" && { pipelineRunId: runId }) });
    }
    return renderMonitorReport({ monitor, points, alerts, actions, reference, current, generatedAt: this.now(), embedded: opts.embedded });
  }

  /** Deletes segments (index rows and files) and labels older than `olderThanMs`. */
  async retention(olderThanMs: number): Promise<{ segments: number; labels: number; fileErrors: number }> {
    const cutoff = this.now() - olderThanMs;
    let segments = 0;
    let fileErrors = 0;
    for (;;) {
      const batch = await this.deps.store.segmentsEndedBefore(cutoff, 500);
      if (batch.length === 0) break;
      for (const s of batch) await this.deps.repo.delete(s.path).catch(() => fileErrors++);
      segments += await this.deps.store.deleteSegments(batch.map((s) => s.segmentId));
      if (batch.length < 500) break;
    }
    const labels = await this.deps.store.deleteLabelsBefore(cutoff);
    return { segments, labels, fileErrors };
  }
}

/** A page token of the segment index: where the page ended. */
function segmentTokenOf(c: { startTime: number; segmentId: number }): string {
  return Buffer.from(JSON.stringify([c.startTime, c.segmentId])).toString("base64url");
}

function segmentCursorOf(token: string): { startTime: number; segmentId: number } {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    v = undefined;
  }
  if (!Array.isArray(v) || v.length !== 2 || !Number.isFinite(v[0]) || !Number.isSafeInteger(v[1])) throw new InvalidParameterValueError(`Invalid page_token '${token}'.`);
  return { startTime: v[0], segmentId: v[1] };
}

/** A request id for events that came without one. */
export function newRequestId(): string {
  return randomBytes(12).toString("hex");
}
