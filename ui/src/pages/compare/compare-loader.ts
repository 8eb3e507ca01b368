/**
 * The Compare page's data, loaded as early as possible: the app shell calls
 * {@link prefetchCompare} on navigation — before the page's own chunk has
 * arrived — and the page then takes the requests already in flight. This
 * module is in the entry chunk, so it stays small.
 *
 * Histories come from `metrics/get-history-bulk-interval`, downsampled on the
 * server (min/max preserving): the browser never holds raw histories. When
 * the runs are long (the server's full-detail downsampling then scans every
 * point), a coarse pass of {@link COARSE_POINTS} per run — answered from the
 * server's step summaries, in milliseconds — is drawn first, and the detailed
 * one replaces it when it lands.
 */
import { getHistorySampled, wireDouble, type SampledPoint } from "../../api/tracking-api";
import { decodeList } from "../../router/router";
import { COARSE_POINTS, loadCompareRuns, needsCoarse, pointsPerRun, type CompareRun } from "./compare-data";
import { firstCharts, foldedSections, metricSections } from "./metric-sections";

export { COARSE_POINTS, needsCoarse, pointsPerRun };

export interface History {
  steps: number[];
  times: number[];
  values: number[];
}
export type Histories = Map<string, History>;

/** Runs per history request (the server takes up to 100; smaller requests let the browser parse while it works). */
const RUNS_PER_REQUEST = 25;

/**
 * History requests in flight at most, across every chart of the page. The
 * Compare grid asks for many metrics at once; the server answers long
 * requests in turns, so more in flight only delays the first charts.
 */
const MAX_IN_FLIGHT = 4;
let inFlight = 0;
let queued: Array<{ priority: number; seq: number; start(): void }> = [];
let seq = 0;

/** Runs `fn` when a slot frees: coarse passes (priority 0) before detail (1), then first asked, first served. */
function limited<T>(priority: number, fn: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const start = () => {
      inFlight++;
      fn()
        .then(resolve, reject)
        .finally(() => {
          inFlight--;
          const next = queued.shift();
          next?.start();
        });
    };
    if (inFlight < MAX_IN_FLIGHT) start();
    else {
      queued.push({ priority, seq: seq++, start });
      queued = queued.sort((a, b) => a.priority - b.priority || a.seq - b.seq);
    }
  });
}

async function loadHistories(runIds: string[], metric: string, per: number): Promise<Histories> {
  const out: Histories = new Map();
  const chunks: string[][] = [];
  const size = per <= COARSE_POINTS ? 100 : RUNS_PER_REQUEST;
  for (let i = 0; i < runIds.length; i += size) chunks.push(runIds.slice(i, i + size));
  await Promise.all(
    chunks.map(async (ids) => {
      const points: SampledPoint[] = await limited(per <= COARSE_POINTS ? 0 : 1, () => getHistorySampled(ids, metric, per));
      for (const p of points) {
        let h = out.get(p.run_id);
        if (!h) out.set(p.run_id, (h = { steps: [], times: [], values: [] }));
        h.steps.push(p.step);
        h.times.push(p.timestamp);
        h.values.push(wireDouble(p.value));
      }
    }),
  );
  return out;
}

/**
 * Promises by request, kept a few seconds after they settle: long enough for
 * the page to take what the prefetch started, short enough that coming back
 * later reloads.
 */
const cache = new Map<string, { promise: Promise<unknown>; settled?: number }>();
const KEEP_MS = 10_000;

function cached<T>(key: string, load: () => Promise<T>, fresh = false): Promise<T> {
  const now = Date.now();
  for (const [k, e] of cache) if (e.settled !== undefined && now - e.settled > KEEP_MS) cache.delete(k);
  const hit = cache.get(key);
  if (hit && !fresh) return hit.promise as Promise<T>;
  const entry: { promise: Promise<T>; settled?: number } = { promise: load() };
  entry.promise.then(
    () => (entry.settled = Date.now()),
    () => cache.delete(key),
  );
  cache.set(key, entry);
  return entry.promise;
}

export const compareIds = (search: URLSearchParams) => [...new Set(decodeList(search.get("runs")))];

export const runsFor = (ids: string[], fresh = false) => cached(`runs|${ids.join(",")}`, () => loadCompareRuns(ids), fresh);

export function historiesFor(ids: string[], metric: string, per: number, fresh = false): Promise<Histories> {
  return cached(`h|${metric}|${per}|${ids.join(",")}`, () => loadHistories(ids, metric, per), fresh);
}

/**
 * The coarse pass (when the runs are long) and the detailed histories. The
 * detail is asked for once the coarse pass has landed: asked together, the
 * server — which takes turns between runs of long requests — would answer the
 * 100-run coarse pass last, and the first paint would wait for the detail.
 */
export function historyPasses(runs: CompareRun[], metric: string, fresh = false): { coarse?: Promise<Histories>; detailed: Promise<Histories> } {
  const runIds = runs.map((r) => r.id);
  const detail = () => historiesFor(runIds, metric, pointsPerRun(runIds.length), fresh);
  if (!needsCoarse(runs, metric)) return { detailed: detail() };
  const coarse = historiesFor(runIds, metric, COARSE_POINTS, fresh);
  return { coarse, detailed: coarse.then(detail, detail) };
}

/** Charts of the grid whose histories the prefetch starts: about what the first screen shows. */
export const FIRST_CHARTS = 6;

/** The metrics a Compare URL shows first: the chart opened large (`m=`), or the grid's first charts. */
export function firstMetrics(search: URLSearchParams, runs: CompareRun[]): string[] {
  const tab = search.get("tab");
  if (tab && tab !== "metrics") return [];
  const open = search.get("m");
  if (open) return [open];
  const keys = new Set<string>();
  for (const r of runs) for (const m of r.run.data.metrics ?? []) keys.add(m.key);
  const fold = search.has("fold") ? decodeList(search.get("fold")) : undefined;
  return firstCharts(metricSections([...keys], search.get("mq") ?? "", foldedSections(fold)), FIRST_CHARTS);
}

/**
 * Starts the loads a Compare URL needs: the runs, then (once the metrics are
 * known) the history passes of the first charts, so the page finds them in
 * flight.
 */
export function prefetchCompare(search: URLSearchParams): void {
  const ids = compareIds(search);
  if (ids.length === 0) return;
  runsFor(ids).then(
    ({ runs }) => {
      for (const metric of firstMetrics(search, runs)) {
        const { coarse, detailed } = historyPasses(runs, metric);
        coarse?.catch(() => undefined);
        detailed.catch(() => undefined);
      }
    },
    () => undefined,
  );
}
