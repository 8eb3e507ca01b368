/**
 * A monitor's per-column drift over time, drawn natively with uPlot (the
 * run pages' chart): one line per column of its drift score by window end,
 * the test and threshold in each line's label, and the windows where a column
 * drifted listed under the chart. The server-rendered report below keeps the
 * heatmap, the distributions and the alert history.
 */
import { useMemo } from "react";
import { monitorSeries, type WirePoint } from "../../api/monitoring-api";
import { useApi } from "../../api/use-api";
import { MetricChart } from "../../components/metric-chart";
import type { ChartSeries } from "../../components/chart-data";
import { ErrorBanner, Loading } from "../../components/states";
import { formatTime } from "../../format";

function testOf(p: WirePoint): string {
  try {
    const d = (typeof p.detail === "string" ? JSON.parse(p.detail) : p.detail) as { test?: string; threshold?: number } | undefined;
    return d?.test ? ` (${d.test}, threshold ${d.threshold})` : "";
  } catch {
    return "";
  }
}

/** One series per drifted-or-not column, points in window order. */
export function driftSeries(points: WirePoint[]): { series: ChartSeries[]; flagged: Array<{ column: string; windowEnd: number }> } {
  const by = new Map<string, WirePoint[]>();
  for (const p of points) {
    if (!p.metric.startsWith("drift.")) continue;
    const col = p.metric.slice("drift.".length);
    let list = by.get(col);
    if (!list) by.set(col, (list = []));
    list.push(p);
  }
  const series: ChartSeries[] = [];
  const flagged: Array<{ column: string; windowEnd: number }> = [];
  for (const [column, list] of [...by].sort(([a], [b]) => a.localeCompare(b))) {
    list.sort((a, b) => a.window_end - b.window_end);
    series.push({ label: `${column}${testOf(list[list.length - 1])}`, xs: list.map((p) => p.window_end), ys: list.map((p) => (p.value === null ? Number.NaN : p.value)) });
    for (const p of list) if (p.flagged) flagged.push({ column, windowEnd: p.window_end });
  }
  return { series, flagged };
}

export function DriftChart({ monitor }: { monitor: string }) {
  const res = useApi((signal) => monitorSeries(monitor, "drift.", signal), [monitor]);
  const { series, flagged } = useMemo(() => driftSeries(res.data?.points ?? []), [res.data]);
  if (res.error) return <ErrorBanner error={res.error} onRetry={res.reload} />;
  if (res.loading && !res.data) return <Loading />;
  if (series.length === 0) return <div className="muted small drift-chart-empty">No drift results yet: the monitor has not run a window with a reference profile.</div>;
  return (
    <section className="drift-chart" aria-label="Drift over time per column">
      <h2>Drift over time per column</h2>
      <MetricChart series={series} xMode="time" title="drift score by window end" height={240} />
      <div className="muted small drift-flagged">
        {flagged.length === 0 ? "No column drifted." : `Drifted: ${flagged.map((f) => `${f.column} (${formatTime(f.windowEnd)})`).join(", ")}`}
      </div>
    </section>
  );
}
