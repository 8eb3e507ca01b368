/**
 * What both OTLP encodings' decoders share: int64 values, and the checks
 * every decoded span passes (ids of the right length, a start time).
 * @module
 */
import { InvalidParameterValueError } from "../../shared/errors.js";
import type { OtlpSpan } from "./otlp-types.js";

/** An int64 attribute value: a number when exact, else its decimal text. */
export function int64Value(v: bigint | string): number | string {
  const b = BigInt(v);
  return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b.toString();
}

const ALL_ZERO = /^0+$/;

/** A span MLflow can keep: a 16-byte trace id and 8-byte span ids (not all zero, as OTLP requires), a start time. */
export function checkSpan(s: OtlpSpan): OtlpSpan {
  const where = `span '${s.name.slice(0, 100)}'`;
  if (!/^[0-9a-f]{32}$/.test(s.traceId) || ALL_ZERO.test(s.traceId)) {
    throw new InvalidParameterValueError(`The ${where} has trace_id '${s.traceId.slice(0, 64)}': a trace id is 16 bytes, not all zero.`);
  }
  if (!/^[0-9a-f]{16}$/.test(s.spanId) || ALL_ZERO.test(s.spanId)) {
    throw new InvalidParameterValueError(`The ${where} has span_id '${s.spanId.slice(0, 64)}': a span id is 8 bytes, not all zero.`);
  }
  if (s.parentSpanId !== null && (!/^[0-9a-f]{16}$/.test(s.parentSpanId) || ALL_ZERO.test(s.parentSpanId))) {
    throw new InvalidParameterValueError(`The ${where} has parent_span_id '${s.parentSpanId.slice(0, 64)}': a span id is 8 bytes, not all zero.`);
  }
  if (s.startTimeUnixNano <= 0n) throw new InvalidParameterValueError(`The ${where} has no start_time_unix_nano.`);
  if (s.endTimeUnixNano !== null && s.endTimeUnixNano < s.startTimeUnixNano) {
    throw new InvalidParameterValueError(`The ${where} ends (${s.endTimeUnixNano}) before it starts (${s.startTimeUnixNano}).`);
  }
  return s;
}
