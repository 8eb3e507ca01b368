/**
 * The runs table's columns: attributes, and any param, metric or tag key. A
 * column's id is its filter-grammar name (`metrics.loss`), which is also what
 * the URL, the sort (order_by) and the CSV export use.
 */
import { wireDouble, type WireRun } from "../../api/tracking-api";
import { columnId, parseColumnId, type ColumnKind } from "../../filter-text";

export interface ColumnDef {
  id: string;
  kind: ColumnKind;
  key: string;
  label: string;
  width: number;
  /** The server can order by it. */
  sortable: boolean;
  numeric: boolean;
}

/** Attribute columns; `duration` is computed here (the server cannot order by it), `models` comes from another call. */
export const ATTRIBUTE_COLUMNS: Record<string, { label: string; width: number; sortable: boolean; numeric?: boolean }> = {
  start_time: { label: "Created", width: 156, sortable: true },
  duration: { label: "Duration", width: 104, sortable: false, numeric: true },
  status: { label: "Status", width: 104, sortable: true },
  // The registered versions and logged models a run produced (looked up per page of rows: /api/ciclo/v1/runs/models).
  models: { label: "Models", width: 196, sortable: false },
  user_id: { label: "User", width: 120, sortable: true },
  experiment_id: { label: "Experiment", width: 160, sortable: true },
  end_time: { label: "Ended", width: 156, sortable: true },
  run_id: { label: "Run ID", width: 280, sortable: true },
};

/** Attributes the filter bar offers (MLflow's searchable set). */
export const FILTER_ATTRIBUTES = ["run_name", "run_id", "status", "user_id", "start_time", "end_time", "artifact_uri", "lifecycle_stage"];

export function columnDef(id: string): ColumnDef | undefined {
  const c = parseColumnId(id);
  if (!c) return undefined;
  if (c.kind === "attributes") {
    const a = ATTRIBUTE_COLUMNS[c.key];
    if (!a) return undefined;
    return { id, kind: c.kind, key: c.key, label: a.label, width: a.width, sortable: a.sortable, numeric: Boolean(a.numeric) };
  }
  const width = c.kind === "metrics" ? 116 : c.kind === "params" ? 128 : 140;
  return { id, kind: c.kind, key: c.key, label: c.key, width, sortable: true, numeric: c.kind === "metrics" };
}

export const NAME_COLUMN_WIDTH = 248;
export const CHECK_COLUMN_WIDTH = 40;

/** Default columns: the main attributes and the models (as MLflow's table shows them), then up to 8 metrics and 8 params seen in the first page. */
export function defaultColumns(runs: WireRun[], multiExperiment: boolean): string[] {
  const metrics = new Set<string>();
  const params = new Set<string>();
  for (const r of runs.slice(0, 200)) {
    for (const m of r.data.metrics ?? []) metrics.add(m.key);
    for (const p of r.data.params ?? []) params.add(p.key);
  }
  const first = (s: Set<string>) => [...s].sort().slice(0, 8);
  return [
    "attributes.start_time",
    "attributes.duration",
    "attributes.status",
    "attributes.models",
    ...(multiExperiment ? ["attributes.experiment_id"] : []),
    ...first(metrics).map((k) => columnId("metrics", k)),
    ...first(params).map((k) => columnId("params", k)),
  ];
}

interface RunIndex {
  metrics: Map<string, number>;
  params: Map<string, string>;
  tags: Map<string, string>;
}

const indexCache = new WeakMap<WireRun, RunIndex>();

/** A run's values by key, built once per run object (a run may carry a thousand metrics). */
export function runIndex(run: WireRun): RunIndex {
  let idx = indexCache.get(run);
  if (!idx) {
    idx = {
      metrics: new Map((run.data.metrics ?? []).map((m) => [m.key, wireDouble(m.value)])),
      params: new Map((run.data.params ?? []).map((p) => [p.key, p.value])),
      tags: new Map((run.data.tags ?? []).map((t) => [t.key, t.value])),
    };
    indexCache.set(run, idx);
  }
  return idx;
}

/** The raw value of a column for a run (numbers for metrics and times). */
export function cellValue(run: WireRun, col: ColumnDef): string | number | undefined {
  const i = run.info;
  switch (col.kind) {
    case "metrics":
      return runIndex(run).metrics.get(col.key);
    case "params":
      return runIndex(run).params.get(col.key);
    case "tags":
      return runIndex(run).tags.get(col.key);
    case "attributes":
      switch (col.key) {
        case "duration":
          return i.start_time !== undefined && i.end_time !== undefined ? i.end_time - i.start_time : undefined;
        case "start_time":
          return i.start_time;
        case "end_time":
          return i.end_time;
        case "status":
          return i.status;
        case "user_id":
          return i.user_id;
        case "experiment_id":
          return i.experiment_id;
        case "run_id":
          return i.run_id;
      }
  }
  return undefined;
}
