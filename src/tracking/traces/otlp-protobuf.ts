/**
 * Decodes OTLP/HTTP's binary encoding (`application/x-protobuf`): an
 * ExportTraceServiceRequest (opentelemetry/proto/collector/trace/v1) into
 * {@link OtlpSpan}s. The wire format is read by @bufbuild/protobuf's
 * BinaryReader (bounds-checked varints, strict UTF-8, unknown fields
 * skipped); this file only maps field numbers to what ciclo keeps. Resource
 * and scope attributes are skipped, as MLflow skips them.
 * @module
 */
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { InvalidParameterValueError } from "../../shared/errors.js";
import { OTLP_LIMITS, type OtlpEvent, type OtlpSpan, type OtlpStatusCode, type OtlpValue } from "./otlp-types.js";
import { checkSpan, int64Value } from "./otlp-values.js";

const LEN = WireType.LengthDelimited;

/** Reads the fields of the message in [r.pos, end), calling `field` for each; unknown ones are skipped by it. */
function fields(r: BinaryReader, end: number, field: (no: number, wt: WireType) => void): void {
  while (r.pos < end) {
    const [no, wt] = r.tag();
    field(no, wt);
    if (r.pos > end) throw new Error("a field runs past its message");
  }
}

/** The end of a length-delimited field that starts here. */
function sub(r: BinaryReader, wt: WireType): number {
  if (wt !== LEN) throw new Error(`wire type ${wt} where a message was expected`);
  const len = r.uint32();
  const end = r.pos + len;
  if (end > r.len) throw new Error("a message runs past the end of the body");
  return end;
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");

function anyValue(r: BinaryReader, end: number, depth: number): OtlpValue {
  if (depth > OTLP_LIMITS.valueDepth) throw new Error(`attribute values nest deeper than ${OTLP_LIMITS.valueDepth}`);
  let v: OtlpValue = null;
  fields(r, end, (no, wt) => {
    if (no === 1 && wt === LEN) v = r.string(true);
    else if (no === 2 && wt === WireType.Varint) v = r.bool();
    else if (no === 3 && wt === WireType.Varint) v = int64Value(r.int64());
    else if (no === 4 && wt === WireType.Bit64) v = r.double();
    else if (no === 5 && wt === LEN) {
      const list: OtlpValue[] = [];
      fields(r, sub(r, wt), (n, w) => (n === 1 ? list.push(anyValue(r, sub(r, w), depth + 1)) : r.skip(w, n)));
      v = list;
    } else if (no === 6 && wt === LEN) v = keyValues(r, sub(r, wt), depth + 1, {});
    else if (no === 7 && wt === LEN) v = Buffer.from(r.bytes()).toString("base64");
    else r.skip(wt, no);
  });
  return v;
}

/** KeyValueList.values (or any repeated KeyValue at field 1) into `into`. */
function keyValues(r: BinaryReader, end: number, depth: number, into: Record<string, OtlpValue>): Record<string, OtlpValue> {
  fields(r, end, (no, wt) => (no === 1 ? keyValue(r, sub(r, wt), depth, into) : r.skip(wt, no)));
  return into;
}

function keyValue(r: BinaryReader, end: number, depth: number, into: Record<string, OtlpValue>): void {
  let key = "";
  let value: OtlpValue = null;
  fields(r, end, (no, wt) => {
    if (no === 1 && wt === LEN) key = r.string(true);
    else if (no === 2 && wt === LEN) value = anyValue(r, sub(r, wt), depth);
    else r.skip(wt, no);
  });
  into[key] = value;
}

function event(r: BinaryReader, end: number): OtlpEvent {
  const e: OtlpEvent = { name: "", timeUnixNano: 0n, attributes: {} };
  fields(r, end, (no, wt) => {
    if (no === 1 && wt === WireType.Bit64) e.timeUnixNano = BigInt(r.fixed64());
    else if (no === 2 && wt === LEN) e.name = r.string(true);
    else if (no === 3 && wt === LEN) keyValue(r, sub(r, wt), 0, e.attributes);
    else r.skip(wt, no);
  });
  return e;
}

function span(r: BinaryReader, end: number): OtlpSpan {
  let traceId: Uint8Array = new Uint8Array();
  let spanId: Uint8Array = new Uint8Array();
  let parent: Uint8Array = new Uint8Array();
  const s: OtlpSpan = { traceId: "", spanId: "", parentSpanId: null, traceState: "", name: "", startTimeUnixNano: 0n, endTimeUnixNano: null, attributes: {}, events: [], status: { code: 0, message: "" } };
  fields(r, end, (no, wt) => {
    if (no === 1 && wt === LEN) traceId = r.bytes();
    else if (no === 2 && wt === LEN) spanId = r.bytes();
    else if (no === 3 && wt === LEN) s.traceState = r.string(true);
    else if (no === 4 && wt === LEN) parent = r.bytes();
    else if (no === 5 && wt === LEN) s.name = r.string(true);
    else if (no === 7 && wt === WireType.Bit64) s.startTimeUnixNano = BigInt(r.fixed64());
    else if (no === 8 && wt === WireType.Bit64) s.endTimeUnixNano = BigInt(r.fixed64());
    else if (no === 9 && wt === LEN) keyValue(r, sub(r, wt), 0, s.attributes);
    else if (no === 11 && wt === LEN) s.events.push(event(r, sub(r, wt)));
    else if (no === 15 && wt === LEN) {
      fields(r, sub(r, wt), (n, w) => {
        if (n === 2 && w === LEN) s.status.message = r.string(true);
        else if (n === 3 && w === WireType.Varint) s.status.code = statusCode(r.int32());
        else r.skip(w, n);
      });
    } else r.skip(wt, no);
  });
  return checkSpan({ ...s, traceId: hex(traceId), spanId: hex(spanId), parentSpanId: parent.length > 0 ? hex(parent) : null, endTimeUnixNano: s.endTimeUnixNano || null });
}

/** Status codes past ERROR are unknown enum values: treated as unset, as protobuf's open enums read them. */
function statusCode(n: number): OtlpStatusCode {
  return n === 1 || n === 2 ? n : 0;
}

/** The spans of an ExportTraceServiceRequest; INVALID_PARAMETER_VALUE when the bytes are not one. */
export function decodeOtlpProtobuf(body: Uint8Array): OtlpSpan[] {
  const spans: OtlpSpan[] = [];
  const r = new BinaryReader(body);
  const add = (s: OtlpSpan) => {
    if (spans.length >= OTLP_LIMITS.spans) throw new InvalidParameterValueError(`An export request may carry at most ${OTLP_LIMITS.spans} spans.`);
    spans.push(s);
  };
  try {
    // ExportTraceServiceRequest.resource_spans (1) → ResourceSpans.scope_spans (2) → ScopeSpans.spans (2).
    fields(r, r.len, (no, wt) => {
      if (no !== 1) return void r.skip(wt, no);
      fields(r, sub(r, wt), (n, w) => {
        if (n !== 2) return void r.skip(w, n);
        fields(r, sub(r, w), (m, x) => (m === 2 ? add(span(r, sub(r, x))) : void r.skip(x, m)));
      });
    });
  } catch (err) {
    if (err instanceof InvalidParameterValueError) throw err;
    throw new InvalidParameterValueError(`Invalid OpenTelemetry protobuf format: ${(err as Error).message}.`);
  }
  return spans;
}
