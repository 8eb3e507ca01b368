/**
 * CSV export of a runs table (aim#2449): streams runs/search pages as CSV
 * lines, so a 100,000-run export never holds more than one page in memory.
 * Columns are named as in the filter grammar (`params.lr`, `metrics.loss`,
 * `tags.team`, `attributes.status`).
 * @module
 */
import { InvalidParameterValueError } from "../shared/errors.js";
import type { RunService } from "./run-service.js";
import type { Run } from "../shared/tracking-types.js";
import type { ViewType } from "../shared/types.js";

const CSV_ATTRIBUTES = [
  "run_id",
  "run_name",
  "experiment_id",
  "status",
  "user_id",
  "start_time",
  "end_time",
  "duration_ms",
  "lifecycle_stage",
] as const;
const DEFAULT_CSV_COLUMNS = ["attributes.run_id", "attributes.run_name", "attributes.experiment_id", "attributes.status", "attributes.start_time"];
const MAX_CSV_COLUMNS = 2000;
const PAGE_SIZE = 1000;

export interface CsvExportRequest {
  experimentIds: string[];
  filter?: string;
  viewType?: ViewType;
  orderBy?: string[];
  columns?: string[];
}

/** A run's params/tags/metrics by key, built once per row. */
interface RunIndex {
  params: Map<string, string>;
  tags: Map<string, string>;
  metrics: Map<string, number>;
}
type Column = { header: string; read: (run: Run, idx: RunIndex) => string | number | null };

function indexRun(r: Run): RunIndex {
  return {
    params: new Map(r.data.params.map((p) => [p.key, p.value])),
    tags: new Map(r.data.tags.map((t) => [t.key, t.value])),
    metrics: new Map(r.data.metrics.map((m) => [m.key, m.value])),
  };
}

function column(spec: string): Column {
  const dot = spec.indexOf(".");
  const kind = dot > 0 ? spec.slice(0, dot) : "";
  const key = spec.slice(dot + 1);
  const bad = () => new InvalidParameterValueError(`Invalid column '${spec}': expected attributes.<name>, params.<key>, metrics.<key> or tags.<key>.`);
  if (!key) throw bad();
  switch (kind) {
    case "params":
      return { header: spec, read: (_r, x) => x.params.get(key) ?? null };
    case "tags":
      return { header: spec, read: (_r, x) => x.tags.get(key) ?? null };
    case "metrics":
      return { header: spec, read: (_r, x) => x.metrics.get(key) ?? null };
    case "attributes":
      if (!(CSV_ATTRIBUTES as readonly string[]).includes(key)) throw bad();
      return { header: key, read: (r) => attribute(r, key as (typeof CSV_ATTRIBUTES)[number]) };
    default:
      throw bad();
  }
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function attribute(r: Run, key: (typeof CSV_ATTRIBUTES)[number]): string | number | null {
  const i = r.info;
  switch (key) {
    case "run_id":
      return i.runId;
    case "run_name":
      return i.runName;
    case "experiment_id":
      return i.experimentId;
    case "status":
      return i.status;
    case "user_id":
      return i.userId;
    case "start_time":
      return isoOrNull(i.startTime);
    case "end_time":
      return isoOrNull(i.endTime);
    case "duration_ms":
      return i.startTime !== null && i.endTime !== null ? i.endTime - i.startTime : null;
    case "lifecycle_stage":
      return i.lifecycleStage;
  }
}

/**
 * One CSV field (RFC 4180 quoting). Text that a spreadsheet would run as a
 * formula (`=`, `+`, `-`, `@`, tab, CR first) gets a leading `'` unless it is
 * a plain number — OWASP's CSV-injection rule.
 */
function csvField(v: string | number | null): string {
  if (v === null) return "";
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
  let s = v;
  if (/^[=+\-@\t\r]/.test(s) && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Checks the request (columns, filter on the first page) before any byte is sent. */
function csvColumns(columns: string[] | undefined): Column[] {
  const specs = columns && columns.length > 0 ? columns : DEFAULT_CSV_COLUMNS;
  if (specs.length > MAX_CSV_COLUMNS) throw new InvalidParameterValueError(`At most ${MAX_CSV_COLUMNS} columns; got ${specs.length}.`);
  return specs.map(column);
}

/**
 * Yields the CSV: a header line, then one line per run, page by page. The
 * first page is fetched before the first yield so a bad filter fails as a
 * 400 rather than in the middle of a download.
 */
export async function exportRunsCsv(runs: RunService, req: CsvExportRequest): Promise<AsyncGenerator<string>> {
  const cols = csvColumns(req.columns);
  const search = (pageToken?: string) =>
    runs.search({
      experimentIds: req.experimentIds,
      filter: req.filter,
      viewType: req.viewType,
      orderBy: req.orderBy,
      maxResults: PAGE_SIZE,
      pageToken,
    });
  let page = await search();
  return (async function* lines() {
    yield `${cols.map((c) => csvField(c.header)).join(",")}\r\n`;
    for (;;) {
      let chunk = "";
      for (const run of page.items) {
        const idx = indexRun(run);
        chunk += `${cols.map((c) => csvField(c.read(run, idx))).join(",")}\r\n`;
      }
      if (chunk) yield chunk;
      if (!page.nextPageToken) return;
      page = await search(page.nextPageToken);
    }
  })();
}
