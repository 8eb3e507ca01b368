/**
 * A line chart on uPlot (canvas; ~50 kB): step, wall-time or relative-time x
 * axis, linear or log y, smoothing. Data arrive already downsampled by the
 * server (min/max preserving), so a chart holds about a thousand points per
 * series; many series with differing x values are drawn in uPlot's faceted
 * mode instead of being joined into one huge table.
 */
import { useEffect, useMemo, useRef } from "react";
import uPlot, { type AlignedData, type Options } from "uplot";
import "uplot/dist/uPlot.min.css";
import { formatNumber } from "../format";
import { alignSeries, PALETTE, plottable, smooth, xScale, type ChartSeries } from "./chart-data";
import { useResolvedTheme } from "./theme";

export type XAxisMode = "step" | "time" | "relative";

export interface MetricChartProps {
  series: ChartSeries[];
  xMode: XAxisMode;
  logY?: boolean;
  /** EMA weight in [0, 1). */
  smoothing?: number;
  height?: number;
  /** Accessible name, e.g. the metric key. */
  title: string;
  /** Show uPlot's legend (off for many series: the caller lists them). */
  legend?: boolean;
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

function relativeLabel(seconds: number): string {
  if (Math.abs(seconds) < 120) return `${Math.round(seconds)}s`;
  if (Math.abs(seconds) < 7200) return `${Math.round(seconds / 60)}m`;
  return `${(seconds / 3600).toFixed(1)}h`;
}

export function MetricChart({ series, xMode, logY = false, smoothing = 0, height = 220, title, legend = true }: MetricChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const theme = useResolvedTheme();

  const prepared = useMemo(() => {
    const xsList = series.map((s) => {
      if (xMode === "step") return s.xs;
      const t0 = s.xs.length > 0 ? s.xs[0] : 0;
      return Array.from(s.xs, (ms) => (xMode === "time" ? ms / 1000 : (ms - t0) / 1000));
    });
    const ysList = series.map((s) => plottable(smooth(s.ys, smoothing), logY));
    const aligned = alignSeries(xsList, ysList);
    return { xsList, ysList, aligned };
  }, [series, xMode, logY, smoothing]);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const grid = cssVar("--chart-grid") || "#e5e7eb";
    const axis = cssVar("--text-muted") || "#6b7280";
    const font = `11px ${cssVar("--font-sans") || "system-ui"}`;
    const faceted = prepared.aligned === undefined;
    const axisStyle = { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, font };
    const opts: Options = {
      width: Math.max(el.clientWidth, 200),
      height,
      mode: faceted ? 2 : 1,
      legend: { show: legend && series.length <= 12, live: !faceted },
      cursor: { drag: { x: true, y: false }, points: { size: 6 } },
      scales: {
        x: xScale(prepared.xsList, xMode),
        y: logY ? { distr: 3, log: 10 } : { auto: true },
      },
      axes: [
        {
          ...axisStyle,
          values: xMode === "relative" ? (_u, ticks) => ticks.map(relativeLabel) : xMode === "step" ? (_u, ticks) => ticks.map((t) => formatNumber(t)) : undefined,
        },
        // Wide enough for the longest tick label (1.000e-13 needs more than the usual 56 px).
        { ...axisStyle, size: (_u: uPlot, values: string[] | null) => Math.max(56, ...(values ?? []).map((v) => v.length * 7 + 14)), values: (_u, ticks) => ticks.map((t) => formatNumber(t)) },
      ],
      series: [
        { label: xMode === "step" ? "step" : "time", value: xMode === "relative" ? (_u, v) => (v == null ? "" : relativeLabel(v)) : undefined },
        ...series.map((s, i) => ({
          label: s.label,
          stroke: s.color ?? PALETTE[i % PALETTE.length],
          width: 1.5,
          spanGaps: true,
          // A series of one point has no line to draw: show the point.
          points: { show: s.xs.length === 1 },
          value: (_u: uPlot, v: number | null) => (v == null ? "—" : formatNumber(v)),
          ...(faceted ? { facets: [{ scale: "x", auto: true }, { scale: "y", auto: true }] } : {}),
        })),
      ],
    } as Options;
    const data = (faceted ? [null, ...prepared.xsList.map((xs, i) => [xs, prepared.ysList[i]])] : prepared.aligned) as unknown as AlignedData;
    const chart = new uPlot(opts, data, el);
    if (!performance.getEntriesByName("ciclo:chart-drawn").length) performance.mark("ciclo:chart-drawn");
    const ro = new ResizeObserver(() => chart.setSize({ width: Math.max(el.clientWidth, 200), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      chart.destroy();
    };
  }, [prepared, xMode, logY, height, legend, theme, series]);

  return <div className="chart" ref={box} role="img" aria-label={`Chart of ${title}`} data-points={series.reduce((n, s) => n + s.xs.length, 0)} />;
}
