/**
 * One metric of every run, large, with the run legend beside it — the grid's
 * ⤢ (`m=` in the URL). Its histories come from the grid's store (see
 * history-store.ts): opening a chart the grid has drawn needs no request. A
 * coarse pass may be on screen while the detail loads.
 */
import { useMemo, useState } from "react";
import { ChartSettingsControls, chartSettings } from "../../components/chart-settings";
import { EmptyState, ErrorBanner, Loading } from "../../components/states";
import { encodeList, setSearch } from "../../router/router";
import { CompareChart } from "./compare-chart";
import type { CompareRun } from "./compare-data";
import { seriesOf } from "./compare-grid";
import { COARSE_POINTS, pointsPerRun } from "./compare-loader";
import { useMetricHistories, type HistoryStore } from "./history-store";
import { RunLegend } from "./run-legend";

interface Props {
  runs: CompareRun[];
  metrics: string[];
  metric: string;
  hidden: Set<string>;
  search: URLSearchParams;
  store: HistoryStore;
}

export function CompareMetrics({ runs, metrics, metric, hidden, search, store }: Props) {
  const { xMode, logY, smoothing } = chartSettings(search);
  const [focusId, setFocusId] = useState<string>();
  const histories = useMetricHistories(store, metric, true);
  const series = useMemo(() => seriesOf(runs, histories.data, xMode), [histories.data, runs, xMode]);
  const without = histories.data ? runs.length - series.length : 0;

  return (
    <div className="stack">
      <div className="toolbar chart-controls">
        <button className="btn btn-small" onClick={() => setSearch({ m: undefined }, { push: true })}>
          ← All charts
        </button>
        <label className="inline-field">
          <span>Metric</span>
          <select className="select metric-select" aria-label="Metric" value={metric} onChange={(e) => setSearch({ m: e.target.value })}>
            {!metrics.includes(metric) && <option value={metric}>{metric}</option>}
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
              <ErrorBanner error={histories.error} onRetry={() => store.request(metric, true)} />
            ) : !histories.data ? (
              <div className="chart-placeholder-tall">
                <Loading label={`Loading ${metric} for ${runs.length} runs…`} />
              </div>
            ) : series.length === 0 ? (
              <div className="chart-placeholder-tall muted">No run has points for {metric}.</div>
            ) : (
              <CompareChart series={series} detailed={histories.detailed} hidden={hidden} xMode={xMode} logY={logY} smoothing={smoothing} title={metric} focusId={focusId} onHover={setFocusId} />
            )}
          </section>
          <RunLegend runs={runs} hidden={hidden} metric={metric} focusId={focusId} onFocus={setFocusId} onHiddenChange={(h) => setSearch({ hide: encodeList(h) })} />
        </div>
      )}
    </div>
  );
}
