/** What the traces pages show of a wire trace info: its time, duration, name, status and source run. */
import type { WireTraceInfo } from "../../api/traces-api";

export const traceTime = (t: WireTraceInfo): number => Date.parse(t.request_time);

/** "1.250s" → 1250 (milliseconds); undefined while unknown. */
export function traceDurationMs(t: WireTraceInfo): number | undefined {
  const m = /^(\d+(?:\.\d+)?)s$/.exec(t.execution_duration ?? "");
  return m ? Math.round(Number(m[1]) * 1000) : undefined;
}

export const traceName = (t: WireTraceInfo): string => t.tags?.["mlflow.traceName"] ?? "";
export const traceRun = (t: WireTraceInfo): string | undefined => t.trace_metadata?.["mlflow.sourceRun"] || undefined;

/** The badge class of a state: OK reads as finished, ERROR as failed. */
export function stateBadge(state: string): { cls: string; label: string } {
  if (state === "OK") return { cls: "badge-finished", label: "OK" };
  if (state === "ERROR") return { cls: "badge-failed", label: "ERROR" };
  if (state === "IN_PROGRESS") return { cls: "badge-running", label: "IN PROGRESS" };
  return { cls: "badge-deleted", label: state.replace(/^STATE_/, "") };
}

/** The user's tags (not MLflow's own `mlflow.*`). */
export const userTags = (t: WireTraceInfo): Array<[string, string]> => Object.entries(t.tags ?? {}).filter(([k]) => !k.startsWith("mlflow."));

export function truncate(text: string | undefined, max = 80): string {
  const s = (text ?? "").replace(/\s+/g, " ");
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
