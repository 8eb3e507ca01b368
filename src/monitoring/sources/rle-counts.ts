/**
 * Counting a Parquet page's dictionary indices straight from their encoded
 * bytes (the RLE / bit-packed hybrid of the format's spec): a run of one
 * index adds its length at once, a bit-packed group adds one per value, and
 * no array of indices is ever built. This is how dictionary-encoded columns
 * (text, and numbers with few distinct values) are profiled: by index, the
 * dictionary's values looked at once per page.
 * @module
 */

/** Widths up to this many bits are counted here (a dictionary of 16M entries); wider ones are refused. */
export const MAX_COUNT_WIDTH = 24;

/**
 * Adds `n` indices encoded at `bytes[pos..end)` with `width` bits each to
 * `counts` (one slot per dictionary entry). Throws on an index outside the
 * dictionary or a page that ends early. Returns the position after the last
 * run read.
 */
export function countRleBitPacked(bytes: Uint8Array, pos: number, end: number, width: number, n: number, counts: Float64Array): number {
  if (width > MAX_COUNT_WIDTH) throw new Error(`dictionary index width ${width} is over ${MAX_COUNT_WIDTH} bits`);
  const size = counts.length;
  if (width === 0) {
    if (n > 0 && size === 0) throw new Error("dictionary index 0 outside an empty dictionary");
    if (n > 0) counts[0] += n;
    return pos;
  }
  const mask = (1 << width) - 1;
  const valueBytes = (width + 7) >> 3;
  let seen = 0;
  while (seen < n) {
    if (pos >= end) throw new Error(`page ended after ${seen} of ${n} dictionary indices`);
    // The run's header: a ULEB128 varint.
    let header = 0;
    let shift = 0;
    let b: number;
    do {
      if (pos >= end) throw new Error("page ended inside a run header");
      b = bytes[pos++];
      header += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    if (header % 2 === 0) {
      // A run: one value repeated header/2 times.
      const run = Math.min(header / 2, n - seen);
      if (pos + valueBytes > end) throw new Error("page ended inside a run value");
      let v = 0;
      for (let k = 0; k < valueBytes; k++) v |= bytes[pos++] << (8 * k);
      v >>>= 0;
      if (v >= size) throw new Error(`dictionary index ${v} outside a dictionary of ${size}`);
      counts[v] += run;
      seen += run;
    } else {
      // Bit-packed groups of 8 values, least significant bits first.
      const values = ((header - 1) / 2) * 8;
      const groupEnd = pos + (values / 8) * width;
      if (groupEnd > end) throw new Error("page ended inside a bit-packed run");
      const take = Math.min(values, n - seen);
      let acc = 0;
      let bits = 0;
      for (let i = 0; i < take; i++) {
        while (bits < width) {
          acc |= bytes[pos++] << bits;
          bits += 8;
        }
        const v = acc & mask;
        if (v >= size) throw new Error(`dictionary index ${v} outside a dictionary of ${size}`);
        counts[v]++;
        acc >>>= width;
        bits -= width;
      }
      seen += take;
      pos = groupEnd;
    }
  }
  return pos;
}
