/**
 * One-dimensional int2/int4/int8/float8 arrays in PostgreSQL's binary array format, for the write path's numeric
 * array parameters (`unnest($3::int8[], …)`). node-postgres sends a Buffer parameter in binary format, so
 * PostgreSQL reads the elements with `array_recv` (a fixed-width copy each) instead of parsing a text literal with
 * `array_in`, and this process writes eight bytes per element instead of a decimal string.
 *
 * The layout (PostgreSQL's `array_send`): dimensions (1, or 0 for an empty array), a has-nulls flag, the element
 * type's oid, then per dimension its length and lower bound (1), then each element as its byte length and its
 * big-endian value, or length -1 for NULL.
 *
 * An element this cannot write exactly as the text literal would have spelled it (a string, a fraction or a
 * number past 2^53 in an integer array, a value out of the type's range) makes the encoder answer undefined: the
 * caller sends the text literal then, and PostgreSQL stores or rejects it as before.
 * @module
 */

/** The numeric array types sent in binary: element oid, element width in bytes. */
const TYPES = {
  int2: { oid: 21, width: 2 },
  int4: { oid: 23, width: 4 },
  int8: { oid: 20, width: 8 },
  float8: { oid: 701, width: 8 },
} as const;

export type BinaryArrayType = keyof typeof TYPES;

export function isBinaryArrayType(type: string): type is BinaryArrayType {
  return Object.hasOwn(TYPES, type);
}

const TWO_32 = 2 ** 32;

/**
 * `values` as a binary `type[]`, or undefined when an element has no exact binary form (see the module's note).
 * Nulls (and undefined) are NULL elements. In float8, NaN and ±Infinity go as themselves; -0 goes as 0, as the
 * text literal (`String(-0)`) sent it.
 */
export function binaryArray(type: BinaryArrayType, values: readonly unknown[]): Buffer | undefined {
  const { oid, width } = TYPES[type];
  const n = values.length;
  // Room for every element present; a NULL takes less (the buffer is cut to what was written).
  const buf = Buffer.allocUnsafe(20 + n * (4 + width));
  // Small buffers are slices of one shared pool: its view is kept for the next array.
  if (buf.buffer !== viewed) {
    viewed = buf.buffer;
    poolView = new DataView(viewed);
  }
  const view = poolView;
  const base = buf.byteOffset;
  let at = base + 20;
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      view.setInt32(at, -1);
      at += 4;
      nulls++;
      continue;
    }
    if (typeof v !== "number") return undefined;
    view.setInt32(at, width);
    at += 4;
    if (type === "float8") {
      view.setFloat64(at, v === 0 ? 0 : v);
    } else {
      if (!Number.isSafeInteger(v)) return undefined;
      if (type === "int8") {
        // A safe integer split exactly: the high word floored (negative values borrow), the low word what remains.
        const hi = Math.floor(v / TWO_32);
        view.setInt32(at, hi);
        view.setUint32(at + 4, v - hi * TWO_32);
      } else if (type === "int4") {
        if (v < -2147483648 || v > 2147483647) return undefined;
        view.setInt32(at, v);
      } else {
        if (v < -32768 || v > 32767) return undefined;
        view.setInt16(at, v);
      }
    }
    at += width;
  }
  // The header: one dimension (none when empty, and then no dimension fields), the has-nulls flag, the element oid.
  if (n === 0) {
    view.setInt32(base, 0);
    view.setInt32(base + 4, 0);
    view.setInt32(base + 8, oid);
    return buf.subarray(0, 12);
  }
  view.setInt32(base, 1);
  view.setInt32(base + 4, nulls > 0 ? 1 : 0);
  view.setInt32(base + 8, oid);
  view.setInt32(base + 12, n);
  view.setInt32(base + 16, 1);
  return nulls > 0 ? buf.subarray(0, at - base) : buf;
}

/** The ArrayBuffer under the last buffer written (node's pool for small ones) and a view of it. */
let viewed: ArrayBufferLike | undefined;
let poolView: DataView;
