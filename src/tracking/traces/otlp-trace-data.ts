/**
 * Spans as MLflow keeps them in a trace's `traces.json` (`{"spans": [...]}`,
 * each span as MLflow's `Span.to_dict`: base64 ids, nanosecond times as JSON
 * integers, attribute values as JSON text, status codes by name), made from
 * OTLP spans and merged into the spans already stored. A stored span is kept
 * as the exact text it was written in: nanosecond times pass 2^53, which a
 * parse into numbers would round.
 * @module
 */
import type { OtlpSpan, OtlpValue } from "./otlp-types.js";

/** One span of a trace's data: its text in traces.json, and what the trace's info is computed from. */
export interface StoredSpan {
  spanId: string;
  text: string;
  parentSpanId: string | null;
  name: string;
  startMs: number;
  endMs: number | null;
  statusCode: string;
  /** `mlflow.spanInputs` / `mlflow.spanOutputs` as stored (JSON text), when the span has them. */
  inputs?: string;
  outputs?: string;
}

const STATUS = ["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"] as const;
const b64 = (hex: string) => Buffer.from(hex, "hex").toString("base64");
const fromB64 = (s: unknown) => (typeof s === "string" && s !== "" ? Buffer.from(s, "base64").toString("hex") : null);
const ms = (ns: bigint) => Number(ns / 1_000_000n);

/**
 * Whole milliseconds of a nanosecond time already parsed to a double (a stored traces.json read with JSON.parse):
 * above 2^53 the double is the integer give or take 128 ns, so a time on a millisecond boundary (OpenTelemetry's
 * JavaScript SDK starts spans on whole milliseconds) may read as a hair below it and floor one millisecond early.
 * Within about 300 ns of a boundary the boundary is taken (a span ending that close below one reads a millisecond late).
 */
export function msOfNanos(ns: number): number {
  const q = ns / 1e6;
  const r = Math.round(q);
  return Math.abs(q - r) <= 0.000256 ? r : Math.floor(q);
}

/** JSON as Python's `json.dumps` writes it (`", "` and `": "` between items), as MLflow's client serializes attributes. */
export function pythonJson(v: OtlpValue): string {
  if (Array.isArray(v)) return `[${v.map(pythonJson).join(", ")}]`;
  if (v !== null && typeof v === "object") return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${pythonJson(x)}`).join(", ")}}`;
  return JSON.stringify(v);
}

/**
 * MLflow's span attributes are JSON text; a string attribute stays as sent (MLflow reads it back as is when it is
 * not JSON). MLflow's own sender (`Span._to_otel_proto`) sends its attributes decoded — `mlflow.spanInputs` as a
 * key-value list — so they are written back as its client would have written them.
 */
function attributeText(v: OtlpValue): string {
  return typeof v === "string" ? v : pythonJson(v);
}

/** MLflow's trace id for an OpenTelemetry trace id. */
export function mlflowTraceId(otelTraceId: string): string {
  return `tr-${otelTraceId}`;
}

/** An OTLP span as MLflow's span dict, in text (the times exact). */
export function toStoredSpan(s: OtlpSpan): StoredSpan {
  const attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.attributes)) attributes[k] = attributeText(v);
  // MLflow compat: every span names its MLflow trace (`Span._from_otel_proto` sets it over any sent value).
  attributes["mlflow.traceRequestId"] = JSON.stringify(mlflowTraceId(s.traceId));
  const j = JSON.stringify;
  const events = s.events.map((e) => `{"time_unix_nano":${e.timeUnixNano},"name":${j(e.name)},"attributes":${j(e.attributes)}}`);
  const text =
    `{"trace_id":${j(b64(s.traceId))},"span_id":${j(b64(s.spanId))},"trace_state":${j(s.traceState)},` +
    `"parent_span_id":${j(s.parentSpanId ? b64(s.parentSpanId) : "")},"name":${j(s.name)},` +
    `"start_time_unix_nano":${s.startTimeUnixNano},"end_time_unix_nano":${s.endTimeUnixNano ?? "null"},` +
    `"attributes":${j(attributes)},${events.length > 0 ? `"events":[${events.join(",")}],` : ""}` +
    `"status":{"message":${j(s.status.message)},"code":${j(STATUS[s.status.code])}}}`;
  return {
    spanId: s.spanId,
    text,
    parentSpanId: s.parentSpanId,
    name: s.name,
    startMs: ms(s.startTimeUnixNano),
    endMs: s.endTimeUnixNano === null ? null : ms(s.endTimeUnixNano),
    statusCode: STATUS[s.status.code],
    inputs: attributes["mlflow.spanInputs"],
    outputs: attributes["mlflow.spanOutputs"],
  };
}

/**
 * The texts of the elements of the top-level `spans` array of a JSON document (already known to parse), in
 * order: a scan that tracks strings and nesting, so each span's text is kept byte for byte. Strings, most of a
 * span's bytes, are skipped with indexOf.
 */
function spanTexts(doc: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let key = "";
  let inSpans = false;
  let elementStart = -1;
  const QUOTE = 34, BACKSLASH = 92, COMMA = 44;
  const isOpen = (c: number) => c === 123 || c === 91; // { [
  const isClose = (c: number) => c === 125 || c === 93; // } ]
  for (let i = 0; i < doc.length; i++) {
    const c = doc.charCodeAt(i);
    if (c === QUOTE) {
      if (inSpans && depth === 2 && elementStart < 0) elementStart = i;
      let j = i + 1;
      for (;;) {
        j = doc.indexOf('"', j);
        let backslashes = 0;
        while (doc.charCodeAt(j - 1 - backslashes) === BACKSLASH) backslashes++;
        if (backslashes % 2 === 0) break;
        j++;
      }
      if (depth === 1) key = doc.slice(i + 1, j);
      i = j;
    } else if (isOpen(c)) {
      if (depth === 1 && c === 91 && key === "spans") inSpans = true;
      else if (inSpans && depth === 2 && elementStart < 0) elementStart = i;
      depth++;
    } else if (isClose(c)) {
      depth--;
      if (inSpans && depth === 1) {
        if (elementStart >= 0) out.push(doc.slice(elementStart, i).trim());
        inSpans = false;
        elementStart = -1;
      }
    } else if (c === COMMA) {
      if (inSpans && depth === 2) {
        out.push(doc.slice(elementStart, i).trim());
        elementStart = -1;
      } else if (depth === 1) key = "";
    } else if (inSpans && depth === 2 && elementStart < 0 && c > 32) elementStart = i;
  }
  return out;
}

/** The spans of a stored traces.json; undefined when it is not MLflow's trace data (it is then replaced, not merged). */
export function parseTraceData(doc: string): StoredSpan[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(doc);
  } catch {
    return undefined;
  }
  const spans = (parsed as { spans?: unknown } | null)?.spans;
  if (!Array.isArray(spans)) return undefined;
  const texts = spanTexts(doc);
  if (texts.length !== spans.length) return undefined;
  const out: StoredSpan[] = [];
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i] as Record<string, unknown>;
    const spanId = fromB64(s.span_id);
    const start = Number(s.start_time_unix_nano);
    if (!spanId || !Number.isFinite(start)) return undefined;
    const end = s.end_time_unix_nano === null || s.end_time_unix_nano === undefined ? null : Number(s.end_time_unix_nano);
    const attrs = (s.attributes ?? {}) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === "string" ? v : undefined);
    out.push({
      spanId,
      text: texts[i],
      parentSpanId: fromB64(s.parent_span_id),
      name: typeof s.name === "string" ? s.name : "",
      startMs: msOfNanos(start),
      endMs: end === null || !Number.isFinite(end) ? null : msOfNanos(end),
      statusCode: String((s.status as Record<string, unknown> | undefined)?.code ?? "STATUS_CODE_UNSET"),
      inputs: str(attrs["mlflow.spanInputs"]),
      outputs: str(attrs["mlflow.spanOutputs"]),
    });
  }
  return out;
}

/** The stored spans with the new ones: a span sent again replaces its earlier version; order by start time. */
export function mergeSpans(stored: StoredSpan[], incoming: StoredSpan[]): StoredSpan[] {
  const byId = new Map(stored.map((s) => [s.spanId, s]));
  for (const s of incoming) byId.set(s.spanId, s);
  return [...byId.values()].sort((a, b) => a.startMs - b.startMs);
}

export function traceDataText(spans: StoredSpan[]): string {
  return `{"spans":[${spans.map((s) => s.text).join(",")}]}`;
}
