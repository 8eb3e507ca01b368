/**
 * Byte ranges of a local file, each read with one positioned read into a
 * buffer of its own, through one open file handle (hyparquet's
 * `asyncBufferFromFile` opens a read stream per range and joins its 64 KiB
 * pieces: for a profile reading hundreds of column chunks, that was an open,
 * a dozen reads and two copies each). Close it when done.
 * @module
 */
import { open, type FileHandle } from "node:fs/promises";

export interface FileSlices {
  readonly byteLength: number;
  /** Bytes [start, end) in a new ArrayBuffer. */
  slice(start: number, end?: number): Promise<ArrayBuffer>;
  close(): Promise<void>;
}

export async function openFileSlices(path: string): Promise<FileSlices> {
  const handle: FileHandle = await open(path, "r");
  let size: number;
  try {
    size = (await handle.stat()).size;
  } catch (err) {
    await handle.close();
    throw err;
  }
  return {
    byteLength: size,
    async slice(start: number, end = size): Promise<ArrayBuffer> {
      const from = Math.max(0, start);
      const to = Math.min(size, end);
      const bytes = new Uint8Array(Math.max(0, to - from));
      let done = 0;
      while (done < bytes.length) {
        const { bytesRead } = await handle.read(bytes, done, bytes.length - done, from + done);
        if (bytesRead === 0) throw new Error(`${path}: ended at byte ${from + done}, ${to} expected`);
        done += bytesRead;
      }
      return bytes.buffer;
    },
    close: () => handle.close(),
  };
}
