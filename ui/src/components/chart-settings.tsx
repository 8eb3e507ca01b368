/**
 * The chart settings a metric chart page keeps in its URL — x axis (`x`), log
 * y scale (`log`), smoothing (`smooth`) — read from the query and edited by
 * one set of toolbar controls (the run page's charts and Compare share them).
 */
import { setSearch } from "../router/router";
import type { XAxisMode } from "./metric-chart";

export interface ChartSettings {
  xMode: XAxisMode;
  logY: boolean;
  smoothing: number;
}

export function chartSettings(search: URLSearchParams): ChartSettings {
  const x = search.get("x") ?? "";
  return {
    xMode: (["step", "time", "relative"].includes(x) ? x : "step") as XAxisMode,
    logY: search.get("log") === "1",
    smoothing: Math.min(0.99, Math.max(0, Number(search.get("smooth") ?? 0) || 0)),
  };
}

export function ChartSettingsControls({ xMode, logY, smoothing }: ChartSettings) {
  return (
    <>
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
    </>
  );
}
