/**
 * One metric of many runs overlaid, on uPlot. Each run keeps its own x values
 * (the server's min/max downsampling picks different steps per run), so the
 * chart uses uPlot's faceted mode: one [xs, ys] pair per series, no joined
 * table of runs × steps. Hiding a run or focusing one does not rebuild the
 * chart; hovering finds the nearest run under the cursor (binary search per
 * run) and shows its name, value and x in a tooltip. A run with a single
 * value is drawn as a point, as a line through it would draw nothing.
 */
import { useEffect, useMemo, useRef, useState } from "react";
import uPlot, { type AlignedData, type Options } from "uplot";
import "uplot/dist/uPlot.min.css";
import { plottable, smooth } from "../../components/chart-data";
import type { XAxisMode } from "../../components/metric-chart";
import { useResolvedTheme } from "../../components/theme";
import { formatNumber } from "../../format";
import { nearestIndex } from "./plot-scales";

export interface RunSeries {
  id: string;
  label: string;
  color: string;
  /** Steps, or timestamps in ms (time and relative modes). */
  xs: number[];
  ys: number[];
}

interface Props {
  series: RunSeries[];
  /** False for a coarse first pass (the detail follows). */
  detailed?: boolean;
  hidden: Set<string>;
  xMode: XAxisMode;
  logY: boolean;
  smoothing: number;
  height?: number;
  title: string;
  /** The run the legend points at (hover), highlighted in the chart. */
  focusId?: string;
  onHover?(id: string | undefined): void;
}

interface Hover {
  id: string;
  label: string;
  color: string;
  x: number;
  /** The plotted value (smoothed) and the logged one. */
  y: number;
  raw: number;
  left: number;
  top: number;
}

const cssVar = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

function relativeLabel(seconds: number): string {
  if (Math.abs(seconds) < 120) return `${Math.round(seconds)}s`;
  if (Math.abs(seconds) < 7200) return `${Math.round(seconds / 60)}m`;
  return `${(seconds / 3600).toFixed(1)}h`;
}

function xLabel(mode: XAxisMode, x: number): string {
  if (mode === "step") return `step ${formatNumber(x)}`;
  if (mode === "relative") return relativeLabel(x);
  return new Date(x * 1000).toLocaleString();
}

/**
 * A line through one point draws nothing: a run with one plottable value is marked by its point. In faceted mode
 * uPlot passes the points' painter no index range, so the point's index is named through `filter`.
 */
function singlePoint(ys: Array<number | null>, color: string): Record<string, unknown> {
  const at = ys.flatMap((y, i) => (y == null ? [] : [i]));
  if (at.length !== 1) return { show: false };
  return { show: true, filter: () => at, size: 7, width: 1.25, stroke: color, fill: color };
}

export function CompareChart({ series, detailed = true, hidden, xMode, logY, smoothing, height = 380, title, focusId, onHover }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const theme = useResolvedTheme();
  const [hover, setHover] = useState<Hover>();
  const hiddenRef = useRef(hidden);
  hiddenRef.current = hidden;
  const onHoverRef = useRef(onHover);
  onHoverRef.current = onHover;

  const prepared = useMemo(
    () =>
      series.map((s) => {
        const t0 = s.xs.length > 0 ? s.xs[0] : 0;
        const xs = xMode === "step" ? s.xs : s.xs.map((ms) => (xMode === "time" ? ms / 1000 : (ms - t0) / 1000));
        return { xs, ys: plottable(smooth(s.ys, smoothing), logY) };
      }),
    [series, xMode, logY, smoothing],
  );

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const grid = cssVar("--chart-grid") || "#e5e7eb";
    const axis = cssVar("--text-muted") || "#6b7280";
    const font = `11px ${cssVar("--font-sans") || "system-ui"}`;
    const compact = height < 300;
    const axisStyle = { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, font };
    let lastFocus: number | null = null;
    const pick = (u: uPlot) => {
      const left = u.cursor.left ?? -1;
      const top = u.cursor.top ?? -1;
      let best: { i: number; d: number; idx: number } | undefined;
      if (left >= 0) {
        const x = u.posToVal(left, "x");
        for (let i = 0; i < prepared.length; i++) {
          const { xs, ys } = prepared[i];
          if (xs.length === 0 || hiddenRef.current.has(series[i].id)) continue;
          const idx = nearestIndex(xs, x);
          const y = ys[idx];
          if (y == null) continue;
          const d = Math.abs(u.valToPos(y, "y") - top);
          if (!best || d < best.d) best = { i, d, idx };
        }
      }
      const focus = best && best.d <= 24 ? best : undefined;
      const next = focus ? focus.i + 1 : null;
      if (next !== lastFocus) {
        lastFocus = next;
        u.setSeries(next, { focus: true });
        onHoverRef.current?.(focus ? series[focus.i].id : undefined);
      }
      if (!focus) return setHover(undefined);
      const s = series[focus.i];
      const xv = prepared[focus.i].xs[focus.idx];
      const yv = prepared[focus.i].ys[focus.idx]!;
      // Plot-area pixels → the wrapper's: the axes sit left of and below the plot area.
      const over = u.over.getBoundingClientRect();
      const outer = el.getBoundingClientRect();
      setHover({ id: s.id, label: s.label, color: s.color, x: xv, y: yv, raw: s.ys[focus.idx], left: over.left - outer.left + u.valToPos(xv, "x"), top: over.top - outer.top + u.valToPos(yv, "y") });
    };
    const opts: Options = {
      width: Math.max(el.clientWidth, 240),
      height,
      mode: 2,
      legend: { show: false },
      focus: { alpha: 0.18 },
      cursor: { drag: { x: true, y: false, setScale: true }, points: { show: false }, focus: { prox: -1 } },
      scales: {
        // Every run's points at one x (one step each) would make an empty range, where nothing is drawn: widen it.
        x: { time: xMode === "time", auto: true, range: (_u: uPlot, min: number, max: number) => (min != null && min === max ? [min - 1, max + 1] : [min, max]) },
        y: logY ? { distr: 3, log: 10 } : { auto: true },
      },
      axes: [
        {
          ...axisStyle,
          // A grid chart is short: a tighter x axis leaves the height to the lines.
          size: compact ? 30 : 44,
          values: xMode === "relative" ? (_u, ticks) => ticks.map(relativeLabel) : xMode === "step" ? (_u, ticks) => ticks.map((t) => formatNumber(t)) : undefined,
        },
        { ...axisStyle, size: compact ? 52 : 60, values: (_u, ticks) => ticks.map((t) => formatNumber(t)) },
      ],
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.label,
          stroke: s.color,
          width: 1.25,
          show: !hiddenRef.current.has(s.id),
          spanGaps: true,
          points: singlePoint(prepared[i].ys, s.color),
          facets: [{ scale: "x", auto: true }, { scale: "y", auto: true }],
        })),
      ],
      hooks: {
        setCursor: [pick],
        // Marks for the UI benchmark, on the frame after the first draw (painted): any chart, and the detailed one.
        draw: [
          () => {
            for (const mark of detailed ? ["ciclo:compare-chart-drawn", "ciclo:compare-chart-detailed"] : ["ciclo:compare-chart-drawn"]) {
              if (!performance.getEntriesByName(mark).length) requestAnimationFrame(() => performance.mark(mark));
            }
          },
        ],
      },
    } as Options;
    const data = [null, ...prepared.map((p) => [p.xs, p.ys])] as unknown as AlignedData;
    const u = new uPlot(opts, data, el);
    chart.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(el.clientWidth, 240), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      chart.current = null;
      setHover(undefined);
    };
    // hidden is applied below without a rebuild
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [prepared, xMode, logY, height, theme, detailed]);

  useEffect(() => {
    const u = chart.current;
    if (!u) return;
    u.batch(() => series.forEach((s, i) => u.series[i + 1].show !== !hidden.has(s.id) && u.setSeries(i + 1, { show: !hidden.has(s.id) })));
  }, [hidden, series, prepared]);

  useEffect(() => {
    const u = chart.current;
    if (!u || hover) return;
    // A hidden run cannot be focused (it would leave every other line faded).
    const i = focusId && !hidden.has(focusId) ? series.findIndex((s) => s.id === focusId) : -1;
    u.setSeries(i >= 0 ? i + 1 : null, { focus: true });
  }, [focusId, series, hover, hidden]);

  const points = series.reduce((n, s) => n + s.xs.length, 0);
  return (
    <div className="compare-chart" onMouseLeave={() => setHover(undefined)}>
      <div ref={box} className="chart" role="img" aria-label={`Chart of ${title}`} data-series={series.length} data-points={points} data-detailed={detailed ? "true" : "false"} />
      {hover && (
        <>
          <span className="chart-dot" style={{ left: hover.left, top: hover.top, background: hover.color }} />
          <div className={`chart-tip${hover.left > (box.current?.clientWidth ?? 0) * 0.6 ? " chart-tip-left" : ""}`} style={{ left: hover.left, top: hover.top }} role="tooltip">
            <span className="swatch" style={{ background: hover.color }} />
            <strong className="truncate">{hover.label}</strong>
            <span className="mono">{formatNumber(hover.y)}</span>
            {smoothing > 0 && <span className="muted small mono">raw {formatNumber(hover.raw)}</span>}
            <span className="muted small">{xLabel(xMode, hover.x)}</span>
          </div>
        </>
      )}
    </div>
  );
}
