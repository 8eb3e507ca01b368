/**
 * A monitor's page as one static HTML file (no script, inline SVG): what
 * `GET /api/ciclo/v1/monitoring/monitors/{name}/report` serves and
 * `ciclo monitor report` writes for CI artifacts. Drift over time per column
 * as a heatmap (score relative to its threshold; drifted cells marked),
 * reference vs current distributions of the latest window, the prediction's
 * distribution, performance (measured and CBPE-estimated) and operations over
 * time, and the alert history.
 * @module
 */
import type { AlertRecord, MonitorPoint, MonitorRecord } from "../core/monitoring-store.js";
import type { DatasetProfile } from "../profiles/profile-types.js";
import { distributionBars, type Bars } from "./distribution-bars.js";

/** An alert's action job: its state, and the pipeline run it started when it did. */
export interface ActionOutcome {
  state: string;
  pipelineRunId?: string;
}

export interface MonitorReportInput {
  monitor: MonitorRecord;
  points: MonitorPoint[];
  alerts: AlertRecord[];
  /** By action job id: what the alert's action (retraining) job became. */
  actions?: ReadonlyMap<string, ActionOutcome>;
  reference?: DatasetProfile;
  /** The latest window's profile. */
  current?: DatasetProfile;
  generatedAt: number;
  /** Inside the UI's monitor page, which has the title already: no heading, no margin of its own. */
  embedded?: boolean;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

const iso = (t: number) => new Date(t).toISOString().replace("T", " ").slice(0, 16);
const num = (v: number | null) => (v === null ? "n/a" : String(Number(v.toPrecision(4))));

function heatColor(p: MonitorPoint): string {
  if (p.value === null) return "#eee";
  const d = p.detail ? (JSON.parse(p.detail) as { test?: string; threshold?: number }) : {};
  const pValue = d.test === "ks" || d.test === "chisquare" || d.test === "z";
  // 0 = far from drifting, 1 = at the threshold.
  const t = d.threshold ?? 0.1;
  const r = pValue ? (p.value <= 0 ? 1 : Math.min(1, Math.log(p.value) / Math.log(Math.max(t, 1e-12)))) : Math.min(1, p.value / (t || 1));
  if (p.flagged) return "#c62828";
  const g = Math.round(230 - 130 * r);
  return `rgb(255,${g},${Math.round(200 - 170 * r)})`;
}

function heatmap(points: MonitorPoint[]): string {
  const drift = points.filter((p) => p.metric.startsWith("drift."));
  if (drift.length === 0) return "<p>No drift results yet (the monitor needs a reference profile).</p>";
  const windows = [...new Set(drift.map((p) => p.windowEnd))].sort((a, b) => a - b).slice(-48);
  const columns = [...new Set(drift.map((p) => p.metric.slice(6)))].sort();
  const at = new Map(drift.map((p) => [`${p.metric.slice(6)}@${p.windowEnd}`, p]));
  const head = windows.map((w) => `<th class="w" title="${iso(w)}">${iso(w).slice(5)}</th>`).join("");
  const rows = columns
    .map((c) => {
      const cells = windows
        .map((w) => {
          const p = at.get(`${c}@${w}`);
          if (!p) return "<td></td>";
          const d = p.detail ? (JSON.parse(p.detail) as { test?: string; threshold?: number }) : {};
          return `<td style="background:${heatColor(p)}" title="${esc(`${c} ${iso(w)}: ${d.test} = ${num(p.value)} (threshold ${d.threshold})${p.flagged ? " DRIFT" : ""}`)}">${p.flagged ? "●" : ""}</td>`;
        })
        .join("");
      return `<tr><th>${esc(c)}</th>${cells}</tr>`;
    })
    .join("");
  return `<table class="heat"><tr><th>column \\ window end</th>${head}</tr>${rows}</table>`;
}

function barsSvg(title: string, b: Bars): string {
  const W = 420;
  const H = 120;
  const n = b.labels.length;
  const max = Math.max(...b.reference, ...b.current, 1e-9);
  const bw = W / n;
  const bars = b.labels
    .map((l, i) => {
      const hr = (b.reference[i] / max) * (H - 10);
      const hc = (b.current[i] / max) * (H - 10);
      return `<rect x="${i * bw + 1}" y="${H - hr}" width="${bw / 2 - 1}" height="${hr}" fill="#90a4ae"><title>${esc(`${l}: reference ${(b.reference[i] * 100).toFixed(1)}%`)}</title></rect>` +
        `<rect x="${i * bw + bw / 2}" y="${H - hc}" width="${bw / 2 - 1}" height="${hc}" fill="#1e88e5"><title>${esc(`${l}: current ${(b.current[i] * 100).toFixed(1)}%`)}</title></rect>`;
    })
    .join("");
  return `<figure><figcaption>${esc(title)} <span class="lg ref">reference</span> <span class="lg cur">current</span></figcaption><svg width="${W}" height="${H + 16}" viewBox="0 0 ${W} ${H + 16}">${bars}<text x="0" y="${H + 13}" font-size="10">${esc(b.labels[0])}</text><text x="${W}" y="${H + 13}" font-size="10" text-anchor="end">${esc(b.labels[n - 1])}</text></svg></figure>`;
}

function distributions(input: MonitorReportInput, only?: (name: string) => boolean): string {
  const { reference, current } = input;
  if (!reference || !current) return "<p>No window profile yet.</p>";
  const figs = reference.columns
    .map((r, i) => {
      if (only && !only(r.name)) return "";
      const b = distributionBars(r, current.columns[i]);
      return b ? barsSvg(r.name, b) : "";
    })
    .filter(Boolean);
  return figs.length ? `<div class="figs">${figs.join("")}</div>` : "<p>None.</p>";
}

function lineSvg(metric: string, pts: MonitorPoint[]): string {
  const W = 420;
  const H = 90;
  const vals = pts.filter((p) => p.value !== null);
  if (vals.length === 0) return "";
  const xs = vals.map((p) => p.windowEnd);
  const ys = vals.map((p) => p.value as number);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const sx = (x: number) => (x1 === x0 ? W / 2 : ((x - x0) / (x1 - x0)) * (W - 10) + 5);
  const sy = (y: number) => (y1 === y0 ? H / 2 : H - 5 - ((y - y0) / (y1 - y0)) * (H - 10));
  const path = vals.map((p, i) => `${i ? "L" : "M"}${sx(p.windowEnd).toFixed(1)},${sy(p.value as number).toFixed(1)}`).join(" ");
  const dots = vals.map((p) => `<circle cx="${sx(p.windowEnd).toFixed(1)}" cy="${sy(p.value as number).toFixed(1)}" r="3" fill="${p.flagged ? "#c62828" : "#1e88e5"}"><title>${esc(`${iso(p.windowEnd)}: ${num(p.value)}`)}</title></circle>`).join("");
  return `<figure><figcaption>${esc(metric)}: latest ${num(ys[ys.length - 1])} (range ${num(y0)} – ${num(y1)})</figcaption><svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}"><path d="${path}" fill="none" stroke="#1e88e5"/>${dots}</svg></figure>`;
}

function series(points: MonitorPoint[], prefixes: string[]): string {
  const byMetric = new Map<string, MonitorPoint[]>();
  for (const p of points) {
    if (!prefixes.some((x) => p.metric.startsWith(x))) continue;
    let l = byMetric.get(p.metric);
    if (!l) byMetric.set(p.metric, (l = []));
    l.push(p);
  }
  const figs = [...byMetric.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([m, ps]) => lineSvg(m, ps.sort((a, b) => a.windowEnd - b.windowEnd)));
  return figs.length ? `<div class="figs">${figs.join("")}</div>` : "<p>No values yet.</p>";
}

function actionCell(jobId: string | null, actions: ReadonlyMap<string, ActionOutcome> | undefined): string {
  if (!jobId) return "";
  const a = actions?.get(jobId);
  if (!a) return esc(jobId);
  const run = a.pipelineRunId ? `pipeline run <span class="pipeline-run">${esc(a.pipelineRunId)}</span>` : "";
  return `${esc(jobId)} (${esc(a.state)})${run ? `<br>${run}` : ""}`;
}

function alertsTable(alerts: AlertRecord[], actions?: ReadonlyMap<string, ActionOutcome>): string {
  if (alerts.length === 0) return "<p>No alerts.</p>";
  const rows = alerts
    .map((a) => `<tr><td>${esc(a.rule)}</td><td class="${a.state}">${a.state}</td><td>${iso(a.openedAt)}</td><td>${a.closedAt ? iso(a.closedAt) : ""}</td><td>${iso(a.windowStart)} – ${iso(a.windowEnd)}</td><td>${esc(a.message)}</td><td>${esc(a.delivery ?? "")}</td><td>${actionCell(a.actionJobId, actions)}</td></tr>`)
    .join("");
  return `<table class="alerts"><tr><th>rule</th><th>state</th><th>opened</th><th>resolved</th><th>window</th><th>message</th><th>delivery</th><th>action job (retraining)</th></tr>${rows}</table>`;
}

export function renderMonitorReport(input: MonitorReportInput): string {
  const m = input.monitor;
  const t = m.spec.target;
  const target = [t.model_name ? `model <b>${esc(t.model_name)}</b>` : "", t.model_version ? `version ${esc(t.model_version)}` : "", t.model_alias ? `alias @${esc(t.model_alias)}` : "", t.endpoint ? `endpoint ${esc(t.endpoint)}` : "", t.deployment ? `deployment ${esc(t.deployment)}` : "", t.dataset ? `dataset ${esc(t.dataset)}` : ""].filter(Boolean).join(", ");
  const isPrediction = (n: string) => n === "prediction" || n.startsWith("prediction.");
  // The page follows the reader's colour scheme: in the UI's dark theme, Chromium painted the embedded report (a
  // document without color-scheme) as a white block, and the downloaded file should read well in a dark browser too.
  // Embedded, the body has no margin and is its own formatting context: its children's margins stay inside its box,
  // which is what the UI's frame measures.
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ciclo monitor ${esc(m.name)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:${input.embedded ? "0;display:flow-root" : "24px"};color:#222}h1{font-size:20px}h2{font-size:16px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:3px 6px;font-size:12px}table.heat td{width:18px;height:18px;text-align:center;color:#fff}
th.w{writing-mode:vertical-rl;font-weight:normal}.figs{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0}figcaption{font-size:12px}
.lg{display:inline-block;padding:0 4px;color:#fff;font-size:11px}.ref{background:#90a4ae}.cur{background:#1e88e5}.firing{color:#c62828;font-weight:bold}
:root{color-scheme:light dark}svg text{fill:currentColor}
@media (prefers-color-scheme:dark){body{color:#e5e7eb}h2,td,th{border-color:#374151}.firing{color:#ef5350}}
</style></head><body>
${input.embedded ? "" : `<h1>Monitor ${esc(m.name)}</h1>\n`}<p>${target}. Window ${m.spec.window_seconds} s, every ${m.spec.every_seconds} s. Last window ends ${m.lastWindowEnd ? iso(m.lastWindowEnd) : "—"}. Generated ${iso(input.generatedAt)} UTC.</p>
<h2>Drift over time</h2>${heatmap(input.points)}
<h2>Reference vs current (latest window)</h2>${distributions(input, (n) => !isPrediction(n))}
<h2>Predictions</h2>${distributions(input, isPrediction)}
<h2>Performance</h2>${series(input.points, ["perf.", "cbpe."])}
<h2>Latency, errors, throughput</h2>${series(input.points.filter((p) => !p.metric.includes("@")), ["ops."])}
<h2>Alert history</h2>${alertsTable(input.alerts, input.actions)}
</body></html>
`;
}
