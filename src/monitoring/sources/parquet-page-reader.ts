/**
 * Reads a flat Parquet column page by page for profiling, without assembling
 * rows: a page's definition levels give its null count and its values come
 * dense (no nulls), which is all a profile needs. hyparquet's `parquetRead`
 * turns every optional column into a JavaScript array with nulls (over a
 * third of the time for a million rows); this uses hyparquet's own page
 * decoders (pinned version) and skips that step. Dictionary-encoded text
 * pages are counted by dictionary index, each distinct string looked up once
 * per page.
 * @module
 */
import type { ColumnChunk, FileMetaData, SchemaElement } from "hyparquet";
import { parquetHeader } from "hyparquet/src/column.js";
import { convert, DEFAULT_PARSERS } from "hyparquet/src/convert.js";
import { decompressPage, readDataPage, readDataPageV2 } from "hyparquet/src/datapage.js";
import { parquetSchema } from "hyparquet/src/metadata.js";
import { readPlain } from "hyparquet/src/plain.js";
import { getTreePath } from "hyparquet/src/schema.js";
import { readRleBitPackedHybrid } from "hyparquet/src/encoding.js";
import type { ColumnDecoder, Compressors, DecodedArray, PageHeader } from "hyparquet/src/types.js";
import { countRleBitPacked, MAX_COUNT_WIDTH } from "./rle-counts.js";

/** One page's cells: `rows` of them, `nulls` missing. */
export type PageValues = { rows: number; nulls: number } & (
  /** The non-null numbers. */
  | { kind: "num"; values: Float64Array; invalid: number }
  /** The dictionary's numbers with how often the page holds each (dictionary-encoded pages, when counts are asked for). */
  | { kind: "num-counts"; values: Float64Array; counts: Float64Array }
  /** Distinct strings with their counts (dictionary-encoded pages). */
  | { kind: "cat"; keys: string[]; counts: Float64Array }
  /** The non-null strings (other pages). */
  | { kind: "cat-values"; values: Array<string | null> }
);

export interface ReadPagesOptions {
  /**
   * A dictionary-encoded numeric page may come as counts per dictionary value
   * (`num-counts`) instead of its values in row order: right for profiling a
   * whole window, not where rows are cut into chunks.
   */
  counted?: boolean;
}

interface File {
  slice(start: number, end?: number): ArrayBuffer | Promise<ArrayBuffer>;
}

const decoder = new TextDecoder();

function toFloat64(data: DecodedArray): { values: Float64Array; invalid: number } {
  if (data instanceof Float64Array) return { values: data, invalid: 0 };
  const values = new Float64Array(data.length);
  let invalid = 0;
  for (let i = 0; i < data.length; i++) {
    const v = (data as ArrayLike<unknown>)[i];
    if (typeof v === "number") values[i] = v;
    else if (typeof v === "bigint") values[i] = Number(v);
    else {
      values[i] = Number.NaN;
      invalid++;
    }
  }
  return { values, invalid };
}

function text(v: unknown): string {
  if (v instanceof Uint8Array) return decoder.decode(v);
  if (typeof v === "boolean") return v ? "True" : "False";
  return String(v);
}

/**
 * A v2 data page of a flat column, PLAIN or dictionary-encoded, without
 * decoding its definition levels: the header's null count is all a profile
 * needs from them. Undefined for other encodings (hyparquet reads those).
 */
function fastPageV2(bytes: Uint8Array, header: PageHeader, decoder: ColumnDecoder, compressors: Compressors): DecodedArray | undefined {
  const h = header.data_page_header_v2!;
  const plain = h.encoding === "PLAIN";
  if (!plain && h.encoding !== "RLE_DICTIONARY" && h.encoding !== "PLAIN_DICTIONARY") return undefined;
  if (decoder.type === "BOOLEAN" || h.repetition_levels_byte_length) return undefined;
  const levels = h.repetition_levels_byte_length + h.definition_levels_byte_length;
  let page = bytes.subarray(levels);
  if (h.is_compressed !== false) page = decompressPage(page, header.uncompressed_page_size - levels, decoder.codec, compressors);
  const reader = { view: new DataView(page.buffer, page.byteOffset, page.byteLength), offset: 0 };
  const n = h.num_values - h.num_nulls;
  if (plain) return readPlain(reader, decoder.type, n, decoder.element.type_length);
  const bitWidth = reader.view.getUint8(reader.offset++);
  const indices = new Array<number>(n);
  if (bitWidth) readRleBitPackedHybrid(reader, bitWidth, indices, page.byteLength - 1);
  else indices.fill(0);
  return indices;
}

/**
 * Counts a v2 dictionary-encoded page of a flat column by index, from its
 * bytes (definition levels skipped: the header has the null count).
 * Undefined when the page is not one of those.
 */
function countPageV2(bytes: Uint8Array, header: PageHeader, decoder: ColumnDecoder, compressors: Compressors, dictionarySize: number): Float64Array | undefined {
  const h = header.data_page_header_v2!;
  if ((h.encoding !== "RLE_DICTIONARY" && h.encoding !== "PLAIN_DICTIONARY") || h.repetition_levels_byte_length) return undefined;
  const levels = h.repetition_levels_byte_length + h.definition_levels_byte_length;
  let page = bytes.subarray(levels);
  if (h.is_compressed !== false) page = decompressPage(page, header.uncompressed_page_size - levels, decoder.codec, compressors);
  const n = h.num_values - h.num_nulls;
  const counts = new Float64Array(dictionarySize);
  if (n === 0) return counts;
  const width = page[0];
  if (width > MAX_COUNT_WIDTH) return undefined;
  countRleBitPacked(page, 1, page.byteLength, width, n, counts);
  return counts;
}

/** Whether the file's column can be read this way: a top-level leaf, not repeated. */
export function isFlatLeaf(e: SchemaElement): boolean {
  return !e.num_children && e.repetition_type !== "REPEATED";
}

/** Counts of indices (a v1 page's decoded dictionary indices). */
function countIndices(data: DecodedArray, size: number): Float64Array {
  const counts = new Float64Array(size);
  const idx = data as ArrayLike<number>;
  for (let i = 0; i < idx.length; i++) {
    const k = idx[i];
    if (!(k < size)) throw new Error(`dictionary index ${k} outside a dictionary of ${size}`);
    counts[k]++;
  }
  return counts;
}

/**
 * Yields the pages of one column in one row group. `kind` is how the profile
 * reads the column; `rows` is the row group's row count.
 */
export async function* readColumnPages(
  file: File,
  metadata: FileMetaData,
  chunk: ColumnChunk,
  kind: "num" | "cat",
  rows: number,
  compressors: Compressors,
  opts: ReadPagesOptions = {},
): AsyncGenerator<PageValues> {
  const meta = chunk.meta_data!;
  const schemaPath = getTreePath(parquetSchema(metadata), meta.path_in_schema);
  const element = schemaPath[schemaPath.length - 1].element;
  const columnDecoder: ColumnDecoder = {
    pathInSchema: meta.path_in_schema,
    type: meta.type,
    element,
    schemaPath,
    codec: meta.codec,
    parsers: DEFAULT_PARSERS,
    compressors,
  };
  const dictOffset = meta.dictionary_page_offset !== undefined ? Number(meta.dictionary_page_offset) : undefined;
  const start = dictOffset !== undefined && dictOffset > 0 ? Math.min(dictOffset, Number(meta.data_page_offset)) : Number(meta.data_page_offset);
  const buffer = await file.slice(start, start + Number(meta.total_compressed_size));
  const reader = { view: new DataView(buffer), offset: 0 };
  let dictionary: DecodedArray | undefined;
  let dictText: string[] | undefined;
  let dictNumbers: { values: Float64Array; invalid: number } | undefined;
  let done = 0;
  while (done < rows && reader.offset < buffer.byteLength - 1) {
    const header = parquetHeader(reader);
    const bytes = new Uint8Array(buffer, reader.offset, header.compressed_page_size);
    reader.offset += header.compressed_page_size;
    if (header.type === "DICTIONARY_PAGE") {
      const page = decompressPage(bytes, Number(header.uncompressed_page_size), meta.codec, compressors);
      const plain = readPlain({ view: new DataView(page.buffer, page.byteOffset, page.byteLength), offset: 0 }, meta.type, header.dictionary_page_header!.num_values, element.type_length);
      dictionary = convert(plain, columnDecoder);
      dictText = undefined;
      dictNumbers = undefined;
      continue;
    }
    if (dictionary !== undefined) {
      if (kind === "num") dictNumbers ??= toFloat64(dictionary);
      else dictText ??= Array.from(dictionary as ArrayLike<unknown>, text);
    }
    // Pages counted by dictionary index, without a decoded array of indices: all text, and numbers when asked for.
    const countable = dictionary !== undefined && decoderCanCount(columnDecoder) && (kind === "cat" || (opts.counted === true && dictNumbers!.invalid === 0));
    if (countable && header.type === "DATA_PAGE_V2") {
      const counts = countPageV2(bytes, header, columnDecoder, compressors, dictionary!.length);
      if (counts) {
        const h = header.data_page_header_v2!;
        done += h.num_values;
        if (kind === "num") yield { kind: "num-counts", values: dictNumbers!.values, counts, rows: h.num_values, nulls: h.num_nulls };
        else yield { kind: "cat", keys: dictText!, counts, rows: h.num_values, nulls: h.num_nulls };
        continue;
      }
    }
    let data: DecodedArray;
    let count: number;
    let encoding: string;
    if (header.type === "DATA_PAGE") {
      const daph = header.data_page_header!;
      const page = decompressPage(bytes, Number(header.uncompressed_page_size), meta.codec, compressors);
      data = readDataPage(page, daph, columnDecoder).dataPage;
      count = daph.num_values;
      encoding = daph.encoding;
    } else if (header.type === "DATA_PAGE_V2") {
      const daph2 = header.data_page_header_v2!;
      data = fastPageV2(bytes, header, columnDecoder, compressors) ?? readDataPageV2(bytes, header, columnDecoder).dataPage;
      count = daph2.num_values;
      encoding = daph2.encoding;
    } else continue;
    done += count;
    const nulls = count - data.length;
    const indexed = dictionary !== undefined && encoding.endsWith("_DICTIONARY");
    if (kind === "num") {
      if (indexed && countable) {
        yield { kind: "num-counts", values: dictNumbers!.values, counts: countIndices(data, dictionary!.length), rows: count, nulls };
      } else if (indexed) {
        const dict = dictNumbers!.values;
        const values = new Float64Array(data.length);
        for (let i = 0; i < data.length; i++) values[i] = dict[(data as number[])[i]];
        yield { kind: "num", values, rows: count, nulls, invalid: 0 };
      } else {
        const { values, invalid } = toFloat64(convert(data, columnDecoder));
        yield { kind: "num", values, rows: count, nulls, invalid };
      }
    } else if (indexed) {
      yield { kind: "cat", keys: dictText!, counts: countIndices(data, dictText!.length), rows: count, nulls };
    } else {
      const conv = convert(data, columnDecoder) as ArrayLike<unknown>;
      yield { kind: "cat-values", values: Array.from(conv, text), rows: count, nulls };
    }
  }
}

/** Dictionary pages of booleans do not exist; everything else flat can be counted by index. */
function decoderCanCount(d: ColumnDecoder): boolean {
  return d.type !== "BOOLEAN";
}
