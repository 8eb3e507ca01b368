/**
 * Scatter of two keys across runs (any param, metric or attribute on either
 * axis; numbers on linear or log axes, strings as categories), one dot per
 * run in its colour. Hover for the run and both values; click to open it.
 * SVG: a comparison has hundreds of runs at most, not millions of points.
 */
import { useEffect, useMemo, useRef, useState } from "react";
import { formatNumber } from "../../format";
import { navigate } from "../../router/router";
import { valueOf, type CompareRun } from "./compare-data";
import { makeScale, scaleOptions } from "./plot-scales";

interface Props {
  runs: CompareRun[];
  xKey: string;
  yKey: string;
  height?: number;
}

const M = { top: 16, right: 24, bottom: 48, left: 72 };
const PAD = 18;
const shortKey = (id: string) => id.slice(id.indexOf(".") + 1);
const show = (v: string | number | undefined) => (v === undefined ? "—" : typeof v === "number" ? formatNumber(v) : v);

export function ScatterPlot({ runs, xKey, yKey, height = 420 }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(800);
  const [hover, setHover] = useState<string>();
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(Math.max(320, el.clientWidth)));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const xs = useMemo(() => makeScale(runs.map((r) => valueOf(r.run, xKey)), scaleOptions(xKey)), [runs, xKey]);
  const ys = useMemo(() => makeScale(runs.map((r) => valueOf(r.run, yKey)), scaleOptions(yKey)), [runs, yKey]);
  const innerW = width - M.left - M.right;
  const innerH = height - M.top - M.bottom;
  // Points keep clear of the frame (category axes put values at both ends).
  const px = (u: number) => M.left + PAD + u * (innerW - 2 * PAD);
  const py = (u: number) => M.top + PAD + (1 - u) * (innerH - 2 * PAD);
  const points = runs.flatMap((r) => {
    const ux = xs.toUnit(valueOf(r.run, xKey));
    const uy = ys.toUnit(valueOf(r.run, yKey));
    return ux === undefined || uy === undefined ? [] : [{ r, x: px(ux), y: py(uy) }];
  });
  const hot = points.find((p) => p.r.id === hover);

  return (
    <div className="scatter" ref={box}>
      <svg width={width} height={height} role="img" aria-label={`Scatter of ${shortKey(yKey)} against ${shortKey(xKey)}`} data-points={points.length}>
        {xs.ticks.map((t) => (
          <g key={`x${t.at}`} className="sc-tick">
            <line x1={px(t.at)} x2={px(t.at)} y1={M.top} y2={M.top + innerH} className="sc-grid" />
            <text x={px(t.at)} y={M.top + innerH + 16} textAnchor="middle">
              {t.label.length > 14 ? `${t.label.slice(0, 13)}…` : t.label}
            </text>
          </g>
        ))}
        {ys.ticks.map((t) => (
          <g key={`y${t.at}`} className="sc-tick">
            <line x1={M.left} x2={M.left + innerW} y1={py(t.at)} y2={py(t.at)} className="sc-grid" />
            <text x={M.left - 8} y={py(t.at)} dy="0.32em" textAnchor="end">
              {t.label.length > 10 ? `${t.label.slice(0, 9)}…` : t.label}
            </text>
          </g>
        ))}
        <rect x={M.left} y={M.top} width={innerW} height={innerH} className="sc-frame" />
        <text x={M.left + innerW / 2} y={height - 8} textAnchor="middle" className="sc-label">
          {shortKey(xKey)}
          {xs.kind === "log" ? " (log)" : ""}
        </text>
        <text transform={`translate(16,${M.top + innerH / 2}) rotate(-90)`} textAnchor="middle" className="sc-label">
          {shortKey(yKey)}
          {ys.kind === "log" ? " (log)" : ""}
        </text>
        {points.map((p) => (
          <circle
            key={p.r.id}
            cx={p.x}
            cy={p.y}
            r={hover === p.r.id ? 7 : 5}
            fill={p.r.color}
            className="sc-dot"
            onPointerEnter={() => setHover(p.r.id)}
            onPointerLeave={() => setHover(undefined)}
            onClick={() => navigate(`/runs/${encodeURIComponent(p.r.id)}`)}
          >
            <title>{p.r.name}</title>
          </circle>
        ))}
      </svg>
      {hot && (
        <div className={`chart-tip${hot.x > width * 0.6 ? " chart-tip-left" : ""}`} style={{ left: hot.x, top: hot.y }} role="tooltip">
          <span className="swatch" style={{ background: hot.r.color }} />
          <strong className="truncate">{hot.r.name}</strong>
          <span className="small">
            {shortKey(xKey)} <span className="mono">{show(valueOf(hot.r.run, xKey))}</span>
          </span>
          <span className="small">
            {shortKey(yKey)} <span className="mono">{show(valueOf(hot.r.run, yKey))}</span>
          </span>
        </div>
      )}
      <div className="pc-foot small muted">
        {points.length} of {runs.length} runs have both values{points.length < runs.length ? "; the others are not drawn" : ""}.
      </div>
    </div>
  );
}
