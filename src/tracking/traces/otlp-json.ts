/**
 * Decodes OTLP/HTTP's JSON encoding (`application/json`): protobuf's JSON
 * mapping with OTLP's exceptions — trace and span ids as hex, not base64;
 * enums as integers (their names are accepted too); 64-bit integers as
 * decimal strings or numbers. Keys are lowerCamelCase, as OTLP requires.
 * @module
 */
import { InvalidParameterValueError } from "../../shared/errors.js";
import { OTLP_LIMITS, type OtlpEvent, type OtlpSpan, type OtlpStatusCode, type OtlpValue } from "./otlp-types.js";
import { checkSpan, int64Value } from "./otlp-values.js";

type Obj = Record<string, unknown>;

const obj = (v: unknown, what: string): Obj => {
  if (v === undefined || v === null) return {};
  if (typeof v !== "object" || Array.isArray(v)) throw new Error(`${what} must be an object`);
  return v as Obj;
};
const arr = (v: unknown, what: string): unknown[] => {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new Error(`${what} must be an array`);
  return v;
};
const text = (v: unknown, what: string): string => {
  if (v === undefined || v === null) return "";
  if (typeof v !== "string") throw new Error(`${what} must be a string`);
  return v;
};

function int64(v: unknown, what: string): bigint {
  if (v === undefined || v === null || v === "") return 0n;
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  if (typeof v === "string" && /^-?\d{1,20}$/.test(v)) return BigInt(v);
  throw new Error(`${what} must be an integer (a decimal string or a number)`);
}

function hexId(v: unknown, what: string): string {
  return text(v, what).toLowerCase();
}

function anyValue(v: unknown, depth: number): OtlpValue {
  if (depth > OTLP_LIMITS.valueDepth) throw new Error(`attribute values nest deeper than ${OTLP_LIMITS.valueDepth}`);
  const o = obj(v, "an attribute value");
  if ("stringValue" in o) return text(o.stringValue, "stringValue");
  if ("boolValue" in o) {
    if (typeof o.boolValue !== "boolean") throw new Error("boolValue must be true or false");
    return o.boolValue;
  }
  if ("intValue" in o) return int64Value(int64(o.intValue, "intValue"));
  if ("doubleValue" in o) {
    const d = o.doubleValue;
    if (typeof d === "number") return d;
    if (d === "NaN" || d === "Infinity" || d === "-Infinity") return Number(d);
    throw new Error("doubleValue must be a number");
  }
  if ("arrayValue" in o) return arr(obj(o.arrayValue, "arrayValue").values, "arrayValue.values").map((x) => anyValue(x, depth + 1));
  if ("kvlistValue" in o) return keyValues(obj(o.kvlistValue, "kvlistValue").values, depth + 1);
  if ("bytesValue" in o) return text(o.bytesValue, "bytesValue");
  return null;
}

function keyValues(v: unknown, depth: number): Record<string, OtlpValue> {
  const out: Record<string, OtlpValue> = {};
  for (const kv of arr(v, "attributes")) {
    const o = obj(kv, "an attribute");
    out[text(o.key, "an attribute's key")] = anyValue(o.value, depth);
  }
  return out;
}

function statusCode(v: unknown): OtlpStatusCode {
  if (v === 1 || v === "STATUS_CODE_OK") return 1;
  if (v === 2 || v === "STATUS_CODE_ERROR") return 2;
  if (v === undefined || v === null || typeof v === "number" || v === "STATUS_CODE_UNSET") return 0;
  throw new Error(`status.code '${String(v).slice(0, 40)}' is not a status code`);
}

function span(v: unknown): OtlpSpan {
  const o = obj(v, "a span");
  const status = obj(o.status, "status");
  const end = int64(o.endTimeUnixNano, "endTimeUnixNano");
  const parent = hexId(o.parentSpanId, "parentSpanId");
  return checkSpan({
    traceId: hexId(o.traceId, "traceId"),
    spanId: hexId(o.spanId, "spanId"),
    parentSpanId: parent === "" ? null : parent,
    traceState: text(o.traceState, "traceState"),
    name: text(o.name, "name"),
    startTimeUnixNano: int64(o.startTimeUnixNano, "startTimeUnixNano"),
    endTimeUnixNano: end === 0n ? null : end,
    attributes: keyValues(o.attributes, 0),
    events: arr(o.events, "events").map((e): OtlpEvent => {
      const eo = obj(e, "an event");
      return { name: text(eo.name, "an event's name"), timeUnixNano: int64(eo.timeUnixNano, "timeUnixNano"), attributes: keyValues(eo.attributes, 0) };
    }),
    status: { code: statusCode(status.code), message: text(status.message, "status.message") },
  });
}

/** The spans of an ExportTraceServiceRequest in JSON; INVALID_PARAMETER_VALUE when the text is not one. */
export function decodeOtlpJson(body: string): OtlpSpan[] {
  const spans: OtlpSpan[] = [];
  try {
    const root = obj(JSON.parse(body), "the request");
    for (const rs of arr(root.resourceSpans, "resourceSpans")) {
      for (const ss of arr(obj(rs, "resourceSpans[]").scopeSpans, "scopeSpans")) {
        for (const s of arr(obj(ss, "scopeSpans[]").spans, "spans")) {
          if (spans.length >= OTLP_LIMITS.spans) throw new InvalidParameterValueError(`An export request may carry at most ${OTLP_LIMITS.spans} spans.`);
          spans.push(span(s));
        }
      }
    }
  } catch (err) {
    if (err instanceof InvalidParameterValueError) throw err;
    throw new InvalidParameterValueError(`Invalid OpenTelemetry JSON: ${(err as Error).message}.`);
  }
  return spans;
}
