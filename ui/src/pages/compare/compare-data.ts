/**
 * What the Compare page knows about its runs: loading them (one search by
 * id in the first run's experiment, then single gets for the rest), their
 * colours, the keys they share, and the value of any key for a run. Pure
 * helpers are exported for tests.
 */
import { getRun, searchRuns, wireDouble, type WireRun } from "../../api/tracking-api";
import { PALETTE } from "../../components/chart-data";
import { isSystemTag } from "../../../../src/shared/system-tag-prefixes";
import { quoteValue } from "../../filter-text";
import { formatDuration, formatNumber, formatTime } from "../../format";
import { shortRunId } from "../../../../src/shared/short-run-id";

/** A compare key is a column id of the runs table: `params.lr`, `metrics.loss`, `tags.team`, `attributes.duration`. */
export type KeyKind = "params" | "metrics" | "tags" | "attributes";

export interface CompareRun {
  id: string;
  name: string;
  color: string;
  run: WireRun;
}

/** Colours: the chart palette first, then hues spread by the golden angle (distinct for hundreds of runs). */
export function runColor(i: number): string {
  if (i < PALETTE.length) return PALETTE[i];
  const hue = Math.round((i * 137.508) % 360);
  const light = 42 + ((i * 7) % 3) * 8;
  return `hsl(${hue} 62% ${light}%)`;
}

/** A run id that does not exist (404), or is not even a run id (400). */
const notFound = (e: unknown) => [400, 404].includes((e as { status?: number }).status ?? 0);

async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/**
 * The runs, in the URL's order. Most comparisons are within one experiment,
 * so one `runs/search` (`run_id IN (…)`) fetches them all; runs of other
 * experiments follow with `runs/get`. Ids that do not exist are returned
 * in `missing`.
 */
export async function loadCompareRuns(ids: string[], signal?: AbortSignal): Promise<{ runs: CompareRun[]; missing: string[] }> {
  const found = new Map<string, WireRun>();
  const missing: string[] = [];
  if (ids.length > 0) {
    let first: WireRun | undefined;
    try {
      first = await getRun(ids[0], signal);
      found.set(first.info.run_id, first);
    } catch (e) {
      if (!notFound(e)) throw e;
      missing.push(ids[0]);
    }
    const rest = ids.filter((id) => !found.has(id) && !missing.includes(id));
    if (first && rest.length > 0) {
      for (let i = 0; i < rest.length; i += 500) {
        const chunk = rest.slice(i, i + 500);
        const res = await searchRuns(
          { experiment_ids: [first.info.experiment_id], filter: `attributes.run_id IN (${chunk.map(quoteValue).join(", ")})`, run_view_type: "ALL", max_results: chunk.length },
          signal,
        );
        for (const r of res.runs ?? []) found.set(r.info.run_id, r);
      }
    }
    await eachLimited(
      ids.filter((id) => !found.has(id) && !missing.includes(id)),
      6,
      async (id) => {
        try {
          found.set(id, await getRun(id, signal));
        } catch (e) {
          if (!notFound(e)) throw e;
          missing.push(id);
        }
      },
    );
  }
  const runs: CompareRun[] = [];
  for (const id of ids) {
    const run = found.get(id);
    if (run) runs.push({ id, name: run.info.run_name || shortRunId(id), color: runColor(runs.length), run });
  }
  return { runs, missing };
}

const ATTRIBUTES = ["run_name", "status", "user_id", "experiment_id", "start_time", "duration"];

/** Every key any run has, grouped, sorted (system tags `mlflow.*`, `ciclo.*` left out unless asked). */
export function compareKeys(runs: WireRun[], withSystemTags = false): Record<Exclude<KeyKind, "attributes">, string[]> {
  const params = new Set<string>();
  const metrics = new Set<string>();
  const tags = new Set<string>();
  for (const r of runs) {
    for (const p of r.data.params ?? []) params.add(p.key);
    for (const m of r.data.metrics ?? []) metrics.add(m.key);
    for (const t of r.data.tags ?? []) if (withSystemTags || !isSystemTag(t.key)) tags.add(t.key);
  }
  const sorted = (s: Set<string>) => [...s].sort((a, b) => a.localeCompare(b));
  return { params: sorted(params), metrics: sorted(metrics), tags: sorted(tags) };
}

export const attributeKeys = () => ATTRIBUTES.map((a) => `attributes.${a}`);

const indexes = new WeakMap<WireRun, Map<string, string | number>>();

/** A run's params, latest metrics and tags by `kind.key`, built once per run (diff tables look up every key of every run). */
function runIndex(run: WireRun): Map<string, string | number> {
  let index = indexes.get(run);
  if (!index) {
    index = new Map();
    for (const p of run.data.params ?? []) index.set(`params.${p.key}`, p.value);
    for (const m of run.data.metrics ?? []) index.set(`metrics.${m.key}`, wireDouble(m.value));
    for (const t of run.data.tags ?? []) index.set(`tags.${t.key}`, t.value);
    indexes.set(run, index);
  }
  return index;
}

/** The value of `kind.key` for a run: numbers for metrics, durations and times; strings otherwise; undefined when absent. */
export function valueOf(run: WireRun, id: string): string | number | undefined {
  if (id.startsWith("attributes.")) {
    const key = id.slice("attributes.".length);
    const i = run.info;
    if (key === "duration") return i.start_time !== undefined && i.end_time !== undefined ? i.end_time - i.start_time : undefined;
    const v = (i as unknown as Record<string, string | number | undefined>)[key];
    return v === "" ? undefined : v;
  }
  return runIndex(run).get(id);
}

/** The metric to chart when the URL names none: the one most runs have (ties: alphabetical). */
export function defaultMetric(runs: WireRun[]): string | undefined {
  const counts = new Map<string, number>();
  for (const r of runs) for (const m of r.data.metrics ?? []) counts.set(m.key, (counts.get(m.key) ?? 0) + 1);
  let best: string | undefined;
  for (const [k, n] of counts) if (best === undefined || n > counts.get(best)! || (n === counts.get(best)! && k < best)) best = k;
  return best;
}

/** Numbers stay numbers; numeric strings (params are strings on the wire) become numbers. */
export function asNumber(v: string | number | undefined): number | undefined {
  if (v === undefined || v === "") return undefined;
  const n = typeof v === "number" ? v : Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** Points per run of the coarse first pass: few enough buckets that each spans the server's summaries. */
export const COARSE_POINTS = 64;
/** Above this many logged points in all (from each run's last step), the coarse pass goes first. */
const COARSE_ABOVE = 150_000;

/** Points per run: about 40,000 in the whole chart, between 200 and 1,000 per run. */
export function pointsPerRun(runs: number): number {
  return Math.max(200, Math.min(1000, Math.round(40_000 / Math.max(1, runs))));
}

/** Whether the histories are long enough for a coarse pass first (runs/search gives each run's last step). */
export function needsCoarse(runs: CompareRun[], metric: string): boolean {
  let total = 0;
  for (const r of runs) {
    const m = r.run.data.metrics?.find((x) => x.key === metric);
    if (m) total += m.step + 1;
  }
  return total > COARSE_ABOVE;
}

/** Attributes shown formatted: they compare as shown (two runs started in the same minute show, and are, the same). */
const FORMATTED: Record<string, (v: number) => string> = {
  "attributes.start_time": (v) => formatTime(v),
  "attributes.end_time": (v) => formatTime(v),
  "attributes.duration": (v) => formatDuration(v),
};

/** A value as the diff table shows it: "—" when absent, "(empty)" for an empty string. */
export function displayValue(id: string, v: string | number | undefined): string {
  if (v === undefined) return "—";
  if (v === "") return "(empty)";
  const format = Object.hasOwn(FORMATTED, id) ? FORMATTED[id] : undefined;
  if (format) return format(Number(v));
  if (id === "attributes.status") return String(v).charAt(0) + String(v).slice(1).toLowerCase();
  return typeof v === "number" ? formatNumber(v) : v;
}

/** A decimal number as typed (`0.1`, `1e-3`, `-2`); not hex, not padded with spaces, not "Infinity". */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * What the diff compares for a value: absent and empty are different things;
 * formatted attributes compare as shown; numbers — metrics, and params typed
 * as decimals — compare numerically (`0.1` = `0.10`, NaN = NaN); any other
 * text compares exactly as typed.
 */
export function diffKey(id: string, v: string | number | undefined): string {
  if (v === undefined) return "\u0000absent";
  if (v === "") return "\u0000empty";
  if (Object.hasOwn(FORMATTED, id)) return `f${displayValue(id, v)}`;
  if (typeof v === "number") return `n${v}`;
  return DECIMAL.test(v) ? `n${Number(v)}` : `s${v}`;
}

/** True when not every run has the same value of `id` (absent included), by {@link diffKey}. */
export function differs(values: Array<string | number | undefined>, id = ""): boolean {
  const first = diffKey(id, values[0]);
  return values.some((v) => diffKey(id, v) !== first);
}
