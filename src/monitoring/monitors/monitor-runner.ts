/**
 * One run of a monitor over one window: read the window's inference rows,
 * profile them against the reference profile and test drift per column,
 * compute performance (labels joined by request id; CBPE without them) and
 * operations, store every value as a point of the monitor's time series
 * (plus the window's profile, for the distributions the page draws), then
 * hand the flagged points to the alerting.
 * @module
 */
import { Readable } from "node:stream";
import type { ArtifactRepository } from "../../artifacts/index.js";
import { InvalidParameterValueError } from "../../shared/errors.js";
import { driftReport, type DriftReport } from "../drift/drift-report.js";
import { decodeProfile, encodeProfile } from "../profiles/profile-codec.js";
import { profileWindow } from "../profiles/profiler.js";
import type { DatasetProfile } from "../profiles/profile-types.js";
import { InMemoryTableSource, type InMemoryColumn } from "../profiles/table-source.js";
import type { MonitoringStore, MonitorPoint, MonitorRecord } from "../core/monitoring-store.js";
import type { MonitorSpec } from "../core/monitor-spec.js";
import { loadWindow, readArtifactBytes, type WindowData } from "./window-data.js";
import { operationsPoints, performancePoints } from "./window-metrics.js";

export interface MonitorRunDeps {
  store: MonitoringStore;
  repo: ArtifactRepository;
  /** Resolves a registry alias to a version (undefined when the registry has none). */
  resolveAlias?(model: string, alias: string): Promise<string | undefined>;
}

export interface MonitorRunResult {
  monitorId: number;
  windowStart: number;
  windowEnd: number;
  modelVersion?: string;
  rows: number;
  segments: string[];
  points: MonitorPoint[];
  drift?: DriftReport;
  /** Path of the window's profile in the artifact store. */
  profilePath?: string;
  notes: string[];
}

export function windowProfilePath(monitorId: number, windowEnd: number): string {
  return `monitoring/monitors/${monitorId}/windows/${windowEnd}.json`;
}

export async function loadReference(repo: ArtifactRepository, path: string): Promise<DatasetProfile> {
  try {
    return decodeProfile(new TextDecoder().decode(await readArtifactBytes(repo, path)));
  } catch (err) {
    throw new InvalidParameterValueError(`Cannot read the reference profile '${path}': ${(err as Error).message}`);
  }
}

function tableOf(w: WindowData, reference: DatasetProfile): InMemoryColumn[] {
  const ok = w.rows.filter((r) => (r.__status as number) < 400);
  return reference.columns.map((c) => ({
    name: c.name,
    values: ok.map((r) => {
      const v = r[c.name];
      return v === undefined ? null : (v as number | string | boolean | null);
    }) as InMemoryColumn["values"],
  }));
}

export async function runMonitor(deps: MonitorRunDeps, m: MonitorRecord, windowEnd: number): Promise<MonitorRunResult> {
  const spec: MonitorSpec = m.spec;
  const start = windowEnd - spec.window_seconds * 1000;
  const notes: string[] = [];
  let version = spec.target.model_version;
  if (spec.target.model_alias && spec.target.model_name) {
    version = await deps.resolveAlias?.(spec.target.model_name, spec.target.model_alias);
    if (version === undefined) throw new InvalidParameterValueError(`Model '${spec.target.model_name}' has no alias '${spec.target.model_alias}'.`);
  }
  const w = await loadWindow(deps.store, deps.repo, { ...spec.target, model_version: version }, start, windowEnd);
  if (w.truncated) notes.push(`the window holds more rows than one run reads; used the first ${w.rows.length}`);
  const at = (p: Omit<MonitorPoint, "windowStart" | "windowEnd">): MonitorPoint => ({ ...p, windowStart: start, windowEnd });
  const points: MonitorPoint[] = [at({ metric: "window.rows", value: w.rows.length, flagged: false, detail: null })];
  let drift: DriftReport | undefined;
  let profilePath: string | undefined;
  if (spec.reference_profile) {
    const reference = await loadReference(deps.repo, spec.reference_profile);
    const okRows = w.rows.filter((r) => (r.__status as number) < 400).length;
    if (okRows === 0) notes.push("no successful requests in the window: drift not tested");
    else {
      const current = await profileWindow(new InMemoryTableSource(tableOf(w, reference)), reference);
      const d = spec.drift ?? {};
      drift = driftReport(reference, current, { columns: d.columns, tests: d.tests, thresholds: d.thresholds, threshold: d.threshold, driftShare: d.drift_share });
      for (const c of drift.columns) {
        points.push(at({ metric: `drift.${c.column}`, value: c.score, flagged: c.drifted, detail: JSON.stringify({ test: c.test, threshold: c.threshold, type: c.type }) }));
      }
      for (const s of drift.skipped) notes.push(`column '${s.column}' not tested: ${s.reason}`);
      points.push(at({ metric: "dataset.drift_share", value: drift.dataset.share, flagged: drift.dataset.drifted, detail: JSON.stringify({ threshold: drift.dataset.threshold, drifted_columns: drift.dataset.driftedColumns, columns: drift.dataset.columns }) }));
      profilePath = windowProfilePath(m.monitorId, windowEnd);
      await deps.repo.put(profilePath, Readable.from([Buffer.from(encodeProfile(current))]));
    }
  }
  if (spec.performance) {
    const ids = [...new Set(w.rows.map((r) => r.__request_id as string))];
    const labels = await deps.store.getLabels(ids);
    for (const p of performancePoints(w, spec, labels)) points.push(at(p));
  }
  for (const p of operationsPoints(w, spec)) points.push(at(p));
  return { monitorId: m.monitorId, windowStart: start, windowEnd, modelVersion: version, rows: w.rows.length, segments: w.segments.map((s) => s.path), points, drift, profilePath, notes };
}
