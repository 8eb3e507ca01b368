/**
 * The Compare page's chart: one metric of every run overlaid, with the run
 * legend beside it. The histories (see compare-loader.ts) are downsampled on
 * the server; a coarse pass may be on screen while the detail loads. Settings
 * (metric, x axis, log, smoothing, hidden runs) are in the URL.
 */
import { useCallback, useEffect, useMemo, useState } from "react";
import { ChartSettingsControls, chartSettings } from "../../components/chart-settings";
import { EmptyState, ErrorBanner, Loading } from "../../components/states";
import { encodeList, setSearch } from "../../router/router";
import { CompareChart, type RunSeries } from "./compare-chart";
import type { CompareRun } from "./compare-data";
import { COARSE_POINTS, historyPasses, pointsPerRun, type Histories } from "./compare-loader";
import { RunLegend } from "./run-legend";

export interface HistoriesState {
  data?: Histories;
  /** False while the coarse first pass is on screen. */
  detailed: boolean;
  loading: boolean;
  error?: Error;
  reload(): void;
}

/**
 * The histories of the runs for a metric: the coarse pass first when the runs
 * are long, then the detailed one — both usually started by the prefetch.
 */
export function useHistories(runs: CompareRun[] | undefined, metric: string | undefined): HistoriesState {
  const [state, setState] = useState<Omit<HistoriesState, "reload">>({ detailed: false, loading: true });
  const [nonce, setNonce] = useState(0);
  const ids = (runs ?? []).map((r) => r.id).join(",");
  useEffect(() => {
    if (!runs || !metric) return;
    let live = true;
    let detailDone = false;
    setState((s) => ({ ...s, loading: true, error: undefined }));
    const { coarse, detailed } = historyPasses(runs, metric, nonce > 0);
    coarse?.then(
      (data) => live && !detailDone && setState({ data, detailed: false, loading: true }),
      () => undefined,
    );
    detailed.then(
      (data) => {
        detailDone = true;
        if (live) setState({ data, detailed: true, loading: false });
      },
      (error: Error) => live && setState((s) => ({ ...s, error, loading: false })),
    );
    return () => {
      live = false;
    };
    // runs are identified by their ids
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [ids, metric, nonce]);
  const reload = useCallback(() => setNonce((n) => n + 1), []);
  return { ...state, reload };
}

interface Props {
  runs: CompareRun[];
  metrics: string[];
  metric: string | undefined;
  hidden: Set<string>;
  search: URLSearchParams;
  histories: HistoriesState;
}

export function CompareMetrics({ runs, metrics, metric, hidden, search, histories }: Props) {
  const { xMode, logY, smoothing } = chartSettings(search);
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
        <ChartSettingsControls xMode={xMode} logY={logY} smoothing={smoothing} />
        <div className="toolbar-spacer" />
        {histories.data && (
          <span className="muted small" aria-live="polite">
            {histories.detailed ? "" : "First pass · loading detail · "}
            {series.reduce((n, s) => n + s.xs.length, 0).toLocaleString("en-US")} points · ≤ {histories.detailed ? pointsPerRun(runs.length) : COARSE_POINTS} per run
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
                <Loading label={`Loading ${metric} for ${runs.length} runs…`} />
              </div>
            ) : series.length === 0 ? (
              <div className="chart-placeholder-tall muted">No run has points for {metric}.</div>
            ) : (
              <CompareChart series={series} detailed={histories.detailed} hidden={hidden} xMode={xMode} logY={logY} smoothing={smoothing} title={metric ?? ""} focusId={focusId} onHover={setFocusId} />
            )}
          </section>
          <RunLegend runs={runs} hidden={hidden} metric={metric} focusId={focusId} onFocus={setFocusId} onHiddenChange={(h) => setSearch({ hide: encodeList(h) })} />
        </div>
      )}
    </div>
  );
}
