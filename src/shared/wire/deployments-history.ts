/**
 * One line saying what an endpoint history entry changed, for the CLI's `endpoints history` table and the endpoint
 * page's history list (browser-safe). The entry's `detail` is the server's free-form record of the change.
 * @module
 */
import type { WireHistoryEntry } from "./deployments-wire.js";

function percentMap(m: Record<string, number>): string {
  const parts = Object.entries(m).filter(([, v]) => v > 0).map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(" ") : "-";
}

const isPercents = (v: unknown): v is Record<string, number> =>
  typeof v === "object" && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === "number");

/**
 * What a history entry changed, in one cell: the traffic split it set (and what it was), a rollout step's split
 * and the analysis that moved it, a deployment's model. The table showed `traffic.set` rows with no weights at all.
 */
export function historyChange(x: WireHistoryEntry): string {
  const d = (typeof x.detail === "object" && x.detail !== null ? x.detail : {}) as Record<string, unknown>;
  const parts: string[] = [];
  if (isPercents(d.traffic)) {
    const from = (typeof d.from === "object" && d.from !== null ? d.from : {}) as Record<string, unknown>;
    const was = isPercents(from.traffic) ? percentMap(from.traffic) : undefined;
    parts.push(was !== undefined && was !== percentMap(d.traffic) ? `${was} → ${percentMap(d.traffic)}` : percentMap(d.traffic));
    const mirror = isPercents(d.mirror_traffic) ? d.mirror_traffic : isPercents(d.mirror) ? d.mirror : {};
    const fromMirror = isPercents(from.mirror_traffic) ? from.mirror_traffic : {};
    const now = percentMap(mirror);
    const wasMirror = percentMap(fromMirror);
    if (now !== "-" || wasMirror !== "-") parts.push(isPercents(from.mirror_traffic) && wasMirror !== now ? `mirror ${wasMirror} → ${now}` : `mirror ${now}`);
  }
  // The analysis is of the step just judged (the one before the split this entry set).
  const a = d.analysis as { window?: { requests?: unknown; errors?: unknown; p99Ms?: unknown }; candidate_percent?: unknown } | undefined;
  if (a?.window && typeof a.window.requests === "number") {
    const p99 = typeof a.window.p99Ms === "number" ? `, p99 ${a.window.p99Ms.toFixed(1)} ms` : "";
    const at = typeof a.candidate_percent === "number" ? `judged at ${a.candidate_percent} %: ` : "";
    parts.push(`${at}${a.window.requests} requests, ${typeof a.window.errors === "number" ? a.window.errors : 0} errors${p99}`);
  }
  if (typeof d.model_uri === "string") parts.push(`${d.model_uri}${typeof d.replicas === "number" ? ` × ${d.replicas}` : ""}`);
  if (x.action === "rollout.started" && typeof d.stable === "string" && typeof d.candidate === "string") parts.push(`${d.stable} → ${d.candidate}`);
  return parts.join("; ");
}
