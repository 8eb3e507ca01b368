/**
 * OpenTelemetry spans as an OTLP export request carries them (trace v1), after
 * decoding from either of OTLP/HTTP's encodings (otlp-protobuf.ts,
 * otlp-json.ts): ids as lowercase hex, times as exact nanoseconds.
 * @module
 */

/** An attribute value: AnyValue's one-of, with int64s beyond 2^53 as decimal strings and bytes as base64. */
export type OtlpValue = string | number | boolean | null | OtlpValue[] | { [key: string]: OtlpValue };

/** Status.StatusCode: 0 unset, 1 ok, 2 error. */
export type OtlpStatusCode = 0 | 1 | 2;

export interface OtlpEvent {
  name: string;
  timeUnixNano: bigint;
  attributes: Record<string, OtlpValue>;
}

export interface OtlpSpan {
  /** 32 hex digits. */
  traceId: string;
  /** 16 hex digits. */
  spanId: string;
  /** 16 hex digits, or null for a root span. */
  parentSpanId: string | null;
  traceState: string;
  name: string;
  startTimeUnixNano: bigint;
  /** Null while the span has not ended (0 on the wire). */
  endTimeUnixNano: bigint | null;
  attributes: Record<string, OtlpValue>;
  events: OtlpEvent[];
  status: { code: OtlpStatusCode; message: string };
}

/** Bounds on what one request may carry (the body's size bounds the rest). */
export const OTLP_LIMITS = {
  /** Spans in one export request. */
  spans: 10_000,
  /** Nesting of array and key-value-list attribute values. */
  valueDepth: 32,
} as const;
