/**
 * traces.json's flat span list as a tree on one time axis: nesting by parent
 * span id (a span whose parent is missing becomes a root), children by start
 * time, times in milliseconds from the trace's first span, and the
 * attributes MLflow stores as JSON text decoded.
 */
import type { WireSpan } from "../../api/traces-api";

export interface SpanNode {
  id: string;
  name: string;
  type: string;
  depth: number;
  /** Milliseconds from the earliest span's start. */
  offsetMs: number;
  durationMs: number | undefined;
  status: "OK" | "ERROR" | "UNSET";
  statusMessage: string;
  inputs: unknown;
  outputs: unknown;
  /** The other attributes, decoded. */
  attributes: Record<string, unknown>;
  events: Array<{ name: string; offsetMs: number | undefined; attributes: Record<string, unknown> }>;
}

/** Nanoseconds as a bigint: epoch nanoseconds are past 2^53, so differences are taken exactly when the text allows. */
function nanos(v: number | string | null | undefined): bigint | undefined {
  if (v === null || v === undefined || v === "") return undefined;
  try {
    return typeof v === "number" ? BigInt(Math.round(v)) : BigInt(v);
  } catch {
    return undefined;
  }
}
const msBetween = (from: bigint, to: bigint) => Number(to - from) / 1e6;

/** MLflow writes attribute values as JSON text; anything that is not JSON stays as it is. */
function decode(v: unknown): unknown {
  if (typeof v !== "string") return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

/** traces.json holds the OTLP enum's name (`STATUS_CODE_ERROR`); its number and MLflow's short names are read too. */
function statusOf(raw: string | number | undefined): SpanNode["status"] {
  const code = String(raw ?? "");
  if (code === "STATUS_CODE_ERROR" || code === "ERROR" || code === "2") return "ERROR";
  if (code === "STATUS_CODE_OK" || code === "OK" || code === "1") return "OK";
  return "UNSET";
}

/** The spans in display order (depth first), with the total time the axis spans. */
export function buildSpanTree(spans: WireSpan[]): { nodes: SpanNode[]; totalMs: number } {
  const starts = spans.map((s) => nanos(s.start_time_unix_nano)).filter((n): n is bigint => n !== undefined);
  const t0 = starts.reduce((a, b) => (b < a ? b : a), starts[0] ?? 0n);
  let t1 = t0;
  const ids = new Set(spans.map((s) => s.span_id));
  const children = new Map<string, WireSpan[]>();
  for (const s of spans) {
    const parent = s.parent_span_id && ids.has(s.parent_span_id) && s.parent_span_id !== s.span_id ? s.parent_span_id : "";
    const list = children.get(parent) ?? [];
    list.push(s);
    children.set(parent, list);
    const end = nanos(s.end_time_unix_nano);
    if (end !== undefined && end > t1) t1 = end;
  }
  for (const list of children.values()) list.sort((a, b) => Number((nanos(a.start_time_unix_nano) ?? 0n) - (nanos(b.start_time_unix_nano) ?? 0n)));

  const nodes: SpanNode[] = [];
  const seen = new Set<string>();
  const visit = (s: WireSpan, depth: number) => {
    if (seen.has(s.span_id)) return; // a parent loop in hostile data: show each span once
    seen.add(s.span_id);
    const attrs: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(s.attributes ?? {})) attrs[k] = decode(v);
    const { "mlflow.spanType": type, "mlflow.spanInputs": inputs, "mlflow.spanOutputs": outputs, ...rest } = attrs;
    const start = nanos(s.start_time_unix_nano) ?? t0;
    const end = nanos(s.end_time_unix_nano);
    nodes.push({
      id: s.span_id,
      name: String(s.name ?? ""),
      type: typeof type === "string" && type ? type : "UNKNOWN",
      depth,
      offsetMs: msBetween(t0, start),
      durationMs: end === undefined ? undefined : msBetween(start, end),
      status: statusOf(s.status?.code),
      statusMessage: String(s.status?.message ?? ""),
      inputs,
      outputs,
      attributes: rest,
      events: (s.events ?? []).map((e) => {
        const ea: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(e.attributes ?? {})) ea[k] = decode(v);
        const t = nanos(e.time_unix_nano);
        return { name: String(e.name ?? ""), offsetMs: t === undefined ? undefined : msBetween(t0, t), attributes: ea };
      }),
    });
    for (const c of children.get(s.span_id) ?? []) visit(c, depth + 1);
  };
  for (const root of children.get("") ?? []) visit(root, 0);
  // Spans only reachable through a loop were never visited: list them as roots.
  for (const s of spans) visit(s, 0);
  return { nodes, totalMs: msBetween(t0, t1) };
}
