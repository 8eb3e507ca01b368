/**
 * Parallel coordinates, hand-written in SVG (uPlot has none; a chart library
 * for one view would cost ~170 kB gzip): one vertical axis per parameter or
 * metric, the target metric last, one line per run coloured by the target.
 * Drag along an axis to brush a range — runs outside every brush fade; click
 * the axis to clear it. Hover a line for the run; click it to open the run.
 */
import { useEffect, useMemo, useRef, useState, type PointerEvent } from "react";
import { formatNumber } from "../../format";
import { navigate } from "../../router/router";
import { valueOf, type CompareRun } from "./compare-data";
import { makeScale, rampColor, scaleOptions, type AxisScale } from "./plot-scales";

interface Props {
  runs: CompareRun[];
  /** Axis keys (`params.lr`, `metrics.loss`), left to right; the last one colours the lines. */
  axes: string[];
  height?: number;
}

const M = { top: 44, right: 132, bottom: 24, left: 56 };
/** Stops of the colour bar's gradient (the ramp is piecewise linear between four colours). */
const BAR_STOPS = [0, 0.25, 0.5, 0.75, 1];

/** The legend of the line colours: the target's ramp with its ticks, or a swatch per category. */
function ColourScale({ scale, label, x, top, height }: { scale: AxisScale; label: string; x: number; top: number; height: number }) {
  const yAt = (u: number) => top + (1 - u) * height;
  return (
    <g className="pc-scale" aria-label={`Colour scale: ${label}`} role="img">
      <text x={x} y={top - 22} className="pc-label target">
        <title>{label}</title>
        {label.length > 14 ? `${label.slice(0, 13)}…` : label}
      </text>
      <text x={x} y={top - 9} className="pc-kind">
        colour{scale.kind === "log" ? " · log" : ""}
      </text>
      {scale.kind === "category" ? (
        scale.ticks.map((t) => (
          <g key={t.label} transform={`translate(${x},${yAt(t.at)})`}>
            <rect x={0} y={-5} width={10} height={10} rx={2} fill={rampColor(t.at)} />
            <text x={16} dy="0.32em" className="pc-tick">
              {t.label.length > 12 ? `${t.label.slice(0, 11)}…` : t.label}
            </text>
          </g>
        ))
      ) : (
        <>
          <defs>
            <linearGradient id="pc-ramp" x1="0" y1="1" x2="0" y2="0">
              {BAR_STOPS.map((u) => (
                <stop key={u} offset={u} stopColor={rampColor(u)} />
              ))}
            </linearGradient>
          </defs>
          <rect x={x} y={top} width={12} height={height} rx={3} fill="url(#pc-ramp)" className="pc-scale-bar" />
          {scale.ticks.map((t) => (
            <g key={`${t.at}-${t.label}`} transform={`translate(${x + 12},${yAt(t.at)})`}>
              <line x1={0} x2={4} />
              <text x={7} dy="0.32em" className="pc-tick">
                {t.label}
              </text>
            </g>
          ))}
        </>
      )}
    </g>
  );
}
const shortKey = (id: string) => id.slice(id.indexOf(".") + 1);

export function ParallelCoordinates({ runs, axes, height = 420 }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(900);
  const [hover, setHover] = useState<{ run: CompareRun; x: number; y: number }>();
  const [brushes, setBrushes] = useState<Record<string, [number, number]>>({});
  const drag = useRef<{ axis: string; from: number } | null>(null);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(Math.max(320, el.clientWidth)));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  useEffect(() => setBrushes({}), [axes.join("\u0000")]);

  const scales: AxisScale[] = useMemo(() => axes.map((a) => makeScale(runs.map((r) => valueOf(r.run, a)), scaleOptions(a))), [axes, runs]);
  const innerH = height - M.top - M.bottom;
  const innerW = width - M.left - M.right;
  const xAt = (i: number) => M.left + (axes.length === 1 ? innerW / 2 : (i * innerW) / (axes.length - 1));
  const yAt = (u: number) => M.top + (1 - u) * innerH;
  const target = scales[scales.length - 1];

  const lines = useMemo(
    () =>
      runs.map((r) => {
        const units = axes.map((a, i) => scales[i].toUnit(valueOf(r.run, a)));
        // Segments between consecutive axes where the run has both values (a missing value breaks the line).
        let d = "";
        units.forEach((u, i) => {
          if (u === undefined) return;
          d += `${i > 0 && units[i - 1] !== undefined ? "L" : "M"}${xAt(i).toFixed(1)},${yAt(u).toFixed(1)}`;
        });
        const inBrush = Object.entries(brushes).every(([axis, [lo, hi]]) => {
          const i = axes.indexOf(axis);
          const u = i < 0 ? undefined : units[i];
          return u !== undefined && u >= lo && u <= hi;
        });
        return { run: r, d, color: rampColor(target?.toUnit(valueOf(r.run, axes[axes.length - 1]))), inBrush };
      }),
    // xAt/yAt depend on width/height only
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [runs, axes, scales, brushes, width, height],
  );

  const unitAt = (e: PointerEvent<SVGRectElement>) => {
    const rect = (e.currentTarget.ownerSVGElement as SVGSVGElement).getBoundingClientRect();
    return Math.min(1, Math.max(0, 1 - (e.clientY - rect.top - M.top) / innerH));
  };
  const onDown = (axis: string) => (e: PointerEvent<SVGRectElement>) => {
    e.currentTarget.setPointerCapture(e.pointerId);
    drag.current = { axis, from: unitAt(e) };
  };
  const onMove = (e: PointerEvent<SVGRectElement>) => {
    const d = drag.current;
    if (!d) return;
    const to = unitAt(e);
    if (Math.abs(to - d.from) > 0.01) setBrushes((b) => ({ ...b, [d.axis]: [Math.min(d.from, to), Math.max(d.from, to)] }));
  };
  const onUp = (e: PointerEvent<SVGRectElement>) => {
    const d = drag.current;
    drag.current = null;
    if (d && Math.abs(unitAt(e) - d.from) <= 0.01) setBrushes(({ [d.axis]: _gone, ...rest }) => rest);
  };
  const brushed = Object.keys(brushes).length > 0;
  const matching = lines.filter((l) => l.inBrush).length;

  return (
    <div className="pc" ref={box}>
      <svg width={width} height={height} role="img" aria-label={`Parallel coordinates of ${runs.length} runs over ${axes.map(shortKey).join(", ")}`} data-lines={lines.filter((l) => l.d).length}>
        <g className="pc-lines">
          {lines.map((l) =>
            l.d ? (
              <path
                key={l.run.id}
                d={l.d}
                className={`pc-line${brushed && !l.inBrush ? " dim" : ""}${hover?.run.id === l.run.id ? " hot" : ""}`}
                stroke={l.color}
                onPointerEnter={(e) => {
                  const r = box.current!.getBoundingClientRect();
                  setHover({ run: l.run, x: e.clientX - r.left, y: e.clientY - r.top });
                }}
                onPointerLeave={() => setHover(undefined)}
                onClick={() => navigate(`/runs/${encodeURIComponent(l.run.id)}`)}
              />
            ) : null,
          )}
        </g>
        {axes.map((a, i) => {
          const x = xAt(i);
          const b = brushes[a];
          return (
            <g key={a} className="pc-axis" data-key={a}>
              <line x1={x} x2={x} y1={M.top} y2={M.top + innerH} />
              {scales[i].ticks.map((t) => (
                <g key={`${t.at}-${t.label}`} transform={`translate(${x},${yAt(t.at)})`}>
                  <line x1={-4} x2={0} />
                  <text x={-7} dy="0.32em" textAnchor="end" className="pc-tick">
                    {t.label.length > 12 ? `${t.label.slice(0, 11)}…` : t.label}
                  </text>
                </g>
              ))}
              <text x={x} y={M.top - 22} textAnchor="middle" className={`pc-label${i === axes.length - 1 ? " target" : ""}`}>
                <title>{a}</title>
                {shortKey(a).length > 18 ? `${shortKey(a).slice(0, 17)}…` : shortKey(a)}
              </text>
              <text x={x} y={M.top - 9} textAnchor="middle" className="pc-kind">
                {a.split(".")[0]}
                {scales[i].kind === "log" ? " · log" : ""}
              </text>
              {b && <rect className="pc-brush" x={x - 7} width={14} y={yAt(b[1])} height={Math.max(2, yAt(b[0]) - yAt(b[1]))} />}
              <rect className="pc-hit" x={x - 12} width={24} y={M.top} height={innerH} aria-label={`Brush ${a}`} onPointerDown={onDown(a)} onPointerMove={onMove} onPointerUp={onUp} />
            </g>
          );
        })}
        {target && <ColourScale scale={target} label={shortKey(axes[axes.length - 1])} x={width - M.right + 52} top={M.top} height={innerH} />}
      </svg>
      {hover && (
        <div className="chart-tip" style={{ left: hover.x + 12, top: hover.y }} role="tooltip">
          <strong className="truncate">{hover.run.name}</strong>
          <span className="mono">
            {shortKey(axes[axes.length - 1])} {formatNumber(valueOf(hover.run.run, axes[axes.length - 1]))}
          </span>
        </div>
      )}
      <div className="pc-foot small muted">
        {brushed ? `${matching} of ${lines.length} runs in the brushed ranges · click an axis to clear its brush` : "Drag along an axis to filter runs; click a line to open its run."}
      </div>
    </div>
  );
}
