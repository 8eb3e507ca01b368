/**
 * Metric charts of one run: one chart per metric key, drawn only once it is
 * scrolled into view, each from the server's downsampled history (about 1,000
 * min/max-preserving points, never the raw history). Settings — x axis, log
 * scale, smoothing, the metric filter — are in the URL.
 */
import { useEffect, useMemo, useRef, useState } from "react";
import { getHistorySampled, wireDouble, type WireRun } from "../../api/tracking-api";
import { useApi } from "../../api/use-api";
import type { ChartSeries } from "../../components/chart-data";
import { ChartSettingsControls, chartSettings } from "../../components/chart-settings";
import { MetricChart, type XAxisMode } from "../../components/metric-chart";
import { EmptyState, ErrorBanner } from "../../components/states";
import { setSearch, useUrl } from "../../router/router";

const PAGE = 12;
export const POINTS_PER_CHART = 1000;

function useVisible<T extends Element>(): [React.RefObject<T | null>, boolean] {
  const ref = useRef<T>(null);
  const [visible, setVisible] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el || visible) return;
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) setVisible(true);
    }, { rootMargin: "200px" });
    io.observe(el);
    return () => io.disconnect();
  }, [visible]);
  return [ref, visible];
}

function ChartCard({ runId, metricKey, xMode, logY, smoothing }: { runId: string; metricKey: string; xMode: XAxisMode; logY: boolean; smoothing: number }) {
  const [ref, visible] = useVisible<HTMLDivElement>();
  const data = useApi(
    (signal) => (visible ? getHistorySampled([runId], metricKey, POINTS_PER_CHART, signal) : Promise.resolve(undefined)),
    [runId, metricKey, visible],
  );
  const series: ChartSeries[] = useMemo(() => {
    const points = data.data ?? [];
    return [
      {
        label: metricKey,
        xs: points.map((p) => (xMode === "step" ? p.step : p.timestamp)),
        ys: points.map((p) => wireDouble(p.value)),
      },
    ];
  }, [data.data, metricKey, xMode]);
  const count = data.data?.length ?? 0;
  return (
    <section className="card chart-card" ref={ref} aria-label={`Metric ${metricKey}`}>
      <div className="chart-card-head">
        <h3 className="truncate" title={metricKey}>
          {metricKey}
        </h3>
        {count > 0 && <span className="muted small">{count} pts</span>}
      </div>
      {data.error ? (
        <ErrorBanner error={data.error} onRetry={data.reload} />
      ) : !data.data ? (
        <div className="chart-placeholder" />
      ) : count === 0 ? (
        <div className="chart-placeholder muted small">No points</div>
      ) : (
        <MetricChart series={series} xMode={xMode} logY={logY} smoothing={smoothing} title={metricKey} legend={false} height={200} />
      )}
    </section>
  );
}

export function RunCharts({ run }: { run: WireRun }) {
  const { search } = useUrl();
  const { xMode, logY, smoothing } = chartSettings(search);
  const mq = search.get("mq") ?? "";
  const [shown, setShown] = useState(PAGE);
  const keys = useMemo(() => (run.data.metrics ?? []).map((m) => m.key).sort((a, b) => a.localeCompare(b)), [run]);
  const matching = useMemo(() => keys.filter((k) => k.toLowerCase().includes(mq.toLowerCase())), [keys, mq]);
  useEffect(() => setShown(PAGE), [mq]);

  if (keys.length === 0) return <EmptyState title="No metrics logged">Metrics this run logs appear here as charts.</EmptyState>;
  return (
    <div className="stack">
      <div className="toolbar chart-controls">
        <input className="input search-input" type="search" placeholder={`Filter ${keys.length} metrics`} aria-label="Filter metrics" value={mq} onChange={(e) => setSearch({ mq: e.target.value })} />
        <ChartSettingsControls xMode={xMode} logY={logY} smoothing={smoothing} />
      </div>
      {matching.length === 0 ? (
        <EmptyState title={`No metric matches “${mq}”`} />
      ) : (
        <div className="chart-grid">
          {matching.slice(0, shown).map((k) => (
            <ChartCard key={k} runId={run.info.run_id} metricKey={k} xMode={xMode} logY={logY} smoothing={smoothing} />
          ))}
        </div>
      )}
      {matching.length > shown && (
        <div className="load-more">
          <button className="btn" onClick={() => setShown((n) => n + PAGE * 2)}>
            Show more charts ({matching.length - shown} more)
          </button>
        </div>
      )}
    </div>
  );
}
