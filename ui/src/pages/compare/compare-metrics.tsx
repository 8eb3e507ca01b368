/**
 * The Compare page's chart: one metric of every run overlaid, with the run
 * legend beside it. Histories come from `metrics/get-history-bulk-interval`,
 * downsampled on the server (min/max preserving) to a budget of points
 * spread over the runs — 25 runs per request, requests in parallel — so the
 * browser never holds raw histories. Settings (metric, x axis, log, smoothing,
 * hidden runs) are in the URL.
 */
import { useMemo, useState } from "react";
import { getHistorySampled, wireDouble, type SampledPoint } from "../../api/tracking-api";
import { useApi, type ApiState } from "../../api/use-api";
import type { XAxisMode } from "../../components/metric-chart";
import { EmptyState, ErrorBanner, Loading } from "../../components/states";
import { encodeList, setSearch } from "../../router/router";
import { CompareChart, type RunSeries } from "./compare-chart";
import type { CompareRun } from "./compare-data";
import { RunLegend } from "./run-legend";

/** Runs per request (the server takes up to 100; smaller requests overlap its work with the browser's parsing). */
const RUNS_PER_REQUEST = 25;

/** Points per run: about 40,000 in the whole chart, between 200 and 1,000 per run. */
export function pointsPerRun(runs: number): number {
  return Math.max(200, Math.min(1000, Math.round(40_000 / Math.max(1, runs))));
}

interface History {
  steps: number[];
  times: number[];
  values: number[];
}

async function loadHistories(runIds: string[], metric: string, onProgress: (done: number) => void, signal: AbortSignal): Promise<Map<string, History>> {
  const per = pointsPerRun(runIds.length);
  const out = new Map<string, History>();
  let done = 0;
  const chunks: string[][] = [];
  for (let i = 0; i < runIds.length; i += RUNS_PER_REQUEST) chunks.push(runIds.slice(i, i + RUNS_PER_REQUEST));
  await Promise.all(
    chunks.map(async (ids) => {
      const points: SampledPoint[] = await getHistorySampled(ids, metric, per, signal);
      for (const p of points) {
        let h = out.get(p.run_id);
        if (!h) out.set(p.run_id, (h = { steps: [], times: [], values: [] }));
        h.steps.push(p.step);
        h.times.push(p.timestamp);
        h.values.push(wireDouble(p.value));
      }
      done += ids.length;
      onProgress(done);
    }),
  );
  return out;
}

export interface Histories {
  state: ApiState<Map<string, History>>;
  /** Runs whose histories have arrived. */
  progress: number;
}

/**
 * Starts loading as soon as the run ids and the metric are known — from the
 * URL, before the runs themselves have loaded.
 */
export function useHistories(ids: string[], metric: string | undefined): Histories {
  const [progress, setProgress] = useState(0);
  const state = useApi(
    (signal) => {
      setProgress(0);
      return metric && ids.length > 0 ? loadHistories(ids, metric, setProgress, signal) : Promise.resolve(new Map<string, History>());
    },
    [ids.join(","), metric],
  );
  return { state, progress };
}

interface Props {
  runs: CompareRun[];
  metrics: string[];
  metric: string | undefined;
  hidden: Set<string>;
  search: URLSearchParams;
  histories: Histories;
}

export function CompareMetrics({ runs, metrics, metric, hidden, search, histories: { state: histories, progress } }: Props) {
  const xMode = (["step", "time", "relative"].includes(search.get("x") ?? "") ? search.get("x") : "step") as XAxisMode;
  const logY = search.get("log") === "1";
  const smoothing = Math.min(0.99, Math.max(0, Number(search.get("smooth") ?? 0) || 0));
  const [focusId, setFocusId] = useState<string>();
  const series: RunSeries[] = useMemo(() => {
    const h = histories.data;
    if (!h) return [];
    return runs
      .filter((r) => h.has(r.id))
      .map((r) => {
        const hist = h.get(r.id)!;
        return { id: r.id, label: r.name, color: r.color, xs: xMode === "step" ? hist.steps : hist.times, ys: hist.values };
      });
  }, [histories.data, runs, xMode]);
  const without = histories.data ? runs.length - series.length : 0;

  return (
    <div className="stack">
      <div className="toolbar chart-controls">
        <label className="inline-field">
          <span>Metric</span>
          <select className="select metric-select" aria-label="Metric" value={metric ?? ""} onChange={(e) => setSearch({ m: e.target.value })}>
            {metrics.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </label>
        <label className="inline-field">
          <span>X axis</span>
          <select className="select" aria-label="X axis" value={xMode} onChange={(e) => setSearch({ x: e.target.value === "step" ? undefined : e.target.value })}>
            <option value="step">Step</option>
            <option value="time">Wall time</option>
            <option value="relative">Relative time</option>
          </select>
        </label>
        <label className="inline-field">
          <input type="checkbox" checked={logY} onChange={(e) => setSearch({ log: e.target.checked ? "1" : undefined })} />
          <span>Log scale</span>
        </label>
        <label className="inline-field">
          <span>Smoothing</span>
          <input type="range" min={0} max={0.99} step={0.01} aria-label="Smoothing" value={smoothing} onChange={(e) => setSearch({ smooth: Number(e.target.value) > 0 ? e.target.value : undefined })} />
          <span className="mono small smoothing-value">{smoothing.toFixed(2)}</span>
        </label>
        <div className="toolbar-spacer" />
        {histories.data && (
          <span className="muted small" aria-live="polite">
            {series.reduce((n, s) => n + s.xs.length, 0).toLocaleString("en-US")} points · ≤ {pointsPerRun(runs.length)} per run
            {without > 0 ? ` · ${without} run${without === 1 ? "" : "s"} without ${metric}` : ""}
          </span>
        )}
      </div>
      {metrics.length === 0 ? (
        <EmptyState title="No metrics">None of these runs logged a metric.</EmptyState>
      ) : (
        <div className="compare-chart-row">
          <section className="card compare-chart-card" aria-label={`Metric ${metric}`}>
            {histories.error ? (
              <ErrorBanner error={histories.error} onRetry={histories.reload} />
            ) : histories.loading && !histories.data ? (
              <div className="chart-placeholder-tall">
                <Loading label={`Loading ${metric} for ${progress} of ${runs.length} runs…`} />
              </div>
            ) : series.length === 0 ? (
              <div className="chart-placeholder-tall muted">No run has points for {metric}.</div>
            ) : (
              <CompareChart series={series} hidden={hidden} xMode={xMode} logY={logY} smoothing={smoothing} title={metric ?? ""} focusId={focusId} onHover={setFocusId} />
            )}
          </section>
          <RunLegend runs={runs} hidden={hidden} metric={metric} focusId={focusId} onFocus={setFocusId} onHiddenChange={(h) => setSearch({ hide: encodeList(h) })} />
        </div>
      )}
    </div>
  );
}
