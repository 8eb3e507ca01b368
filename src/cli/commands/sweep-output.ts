/**
 * What `ciclo sweep` shows: a progress line while trials run (trials done,
 * best so far, running and pruned counts), one line per finished trial, and
 * the summary — best trial, importances, and links to the trials in the UI
 * (Compare's parallel coordinates, and the runs table filtered to the sweep).
 * @module
 */
import type { ProgressBar } from "../output/progress-bar.js";
import type { Colors } from "../output/colors.js";
import { formatDuration, formatMetric } from "../output/format.js";
import { formatValue, type ParamValues } from "../../pipelines/sweeps/search-space.js";
import type { SweepEvent } from "../../pipelines/sweeps/sweep-runner.js";
import type { SweepSummary } from "../../pipelines/sweeps/sweep-summary.js";
import { PARENT_RUN_ID_TAG } from "../../shared/system-tags.js";

const shortParams = (params: ParamValues, max = 120) => {
  const text = Object.entries(params)
    .map(([k, v]) => `${k}=${typeof v === "number" ? formatMetric(v) : formatValue(v)}`)
    .join(" ");
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
};

/** Turns sweep events into the progress bar and per-trial lines. */
export function sweepProgress(bar: ProgressBar, total: number, metric: string, colors: Colors): (e: SweepEvent) => void {
  let running = 0;
  let pruned = 0;
  let done = 0;
  let bestText = "no result yet";
  const redraw = () => bar.update(done, total, `${bestText} · ${running} running${pruned ? ` · ${pruned} pruned` : ""}`);
  return (e) => {
    if (e.type === "trial-started") running++;
    else if (e.type === "trial-stopping") bar.log(colors.dim(`  trial ${e.trial.number}: stopping — ${e.reason}`));
    else {
      running--;
      done = e.done;
      if (e.trial.state === "pruned") pruned++;
      if (e.best) bestText = `best ${metric}=${formatMetric(e.best.value)} (trial ${e.best.number})`;
      const t = e.trial;
      const what =
        t.state === "complete"
          ? `${metric}=${formatMetric(t.value)}`
          : t.state === "pruned"
            ? colors.yellow(`pruned at step ${t.lastStep ?? "?"}`)
            : t.state === "interrupted"
              ? colors.yellow("interrupted")
              : colors.red(`failed: ${e.reason ?? "?"}`);
      bar.log(`trial ${t.number} ${what}  ${colors.dim(shortParams(t.params))}`);
    }
    redraw();
  };
}

export interface SweepLinks {
  compare?: string;
  runs: string;
}

/** Links into the web UI served by the tracking server. */
export function sweepLinks(trackingUri: string, experimentId: string, sweepRunId: string, metric: string, bestFirstRunIds: string[]): SweepLinks {
  const base = trackingUri.replace(/\/+$/, "");
  const runs = `${base}/experiments/${encodeURIComponent(experimentId)}?filter=${encodeURIComponent(`tags.\`${PARENT_RUN_ID_TAG}\` = '${sweepRunId}'`)}`;
  // Compare takes run ids in its URL; 100 keeps the link a reasonable length and the chart readable.
  const ids = bestFirstRunIds.slice(0, 100);
  if (ids.length < 2) return { runs };
  const q = new URLSearchParams({ runs: ids.join(","), tab: "parallel", pm: `metrics.${metric}` });
  return { compare: `${base}/compare?${q.toString().replace(/%2C/g, ",")}`, runs };
}

export function printSummary(out: (line: string) => void, s: SweepSummary, info: { sweepRunId: string; status: string; elapsedMs: number; links: SweepLinks }, colors: Colors): void {
  const t = s.trials;
  out(`${colors.bold(`Sweep ${info.sweepRunId}`)} ${info.status}: ${t.total} trials (${t.complete} complete, ${t.pruned} pruned, ${t.failed} failed${t.interrupted ? `, ${t.interrupted} interrupted` : ""}) in ${formatDuration(info.elapsedMs)}`);
  if (s.best) {
    out(`Best: trial ${s.best.number}${s.best.runId ? ` (run ${s.best.runId})` : ""}  ${s.metric} = ${colors.green(formatMetric(s.best.value))}  (${s.direction === "min" ? "lower" : "higher"} is better)`);
    const width = Math.max(...Object.keys(s.best.params).map((k) => k.length));
    for (const [k, v] of Object.entries(s.best.params)) out(`  ${k.padEnd(width)}  ${v}`);
  } else {
    out(colors.red(`No trial completed with a value of '${s.metric}'.`));
  }
  if (s.importances.length > 0) {
    out(`Parameter importance (fANOVA, share of the objective's variance):`);
    const width = Math.max(...s.importances.map((i) => i.param.length));
    for (const i of s.importances) {
      const n = Math.round(i.importance * 20);
      out(`  ${i.param.padEnd(width)}  ${"█".repeat(n)}${colors.dim("░".repeat(20 - n))} ${i.importance.toFixed(2)}`);
    }
  }
  if (s.importanceNote) out(colors.dim(`  (importance: ${s.importanceNote})`));
  if (info.links.compare) out(`Parallel coordinates of the trials: ${info.links.compare}`);
  out(`All trials in the runs table: ${info.links.runs}`);
}
