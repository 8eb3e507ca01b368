/**
 * Reproducible image layers: the same files give the same bytes, so the same
 * model on the same base gives the same image digest. Entries are sorted by
 * path, parent folders are added, and every header carries fixed values —
 * mtime (SOURCE_DATE_EPOCH, else 1970-01-01T00:00:01Z as Jib does), uid/gid
 * 0 unless set, no user or group names, modes 0644/0755 by the host's execute
 * bit — and gzip (Node's zlib: no name, mtime 0) adds nothing variable.
 *
 * One pass writes the blob and computes both digests: the diff ID (sha256 of
 * the tar, for the image config) and the blob digest (sha256 of the gzip).
 * @module
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { lstat, mkdir, readdir, readlink, rename, rm } from "node:fs/promises";
import { join, posix, relative, resolve, sep } from "node:path";
import { PassThrough, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import tar from "tar-stream";
import { InvalidParameterValueError } from "../../shared/errors.js";

export interface LayerEntry {
  /** Absolute path in the image, e.g. `/opt/ml/model/MLmodel`. */
  path: string;
  type: "file" | "directory" | "symlink";
  mode: number;
  uid?: number;
  gid?: number;
  /** File content from the host … */
  source?: string;
  size?: number;
  /** … or given here. */
  content?: Buffer;
  linkname?: string;
}

export interface LayerBlob {
  digest: string;
  diffId: string;
  size: number;
  /** The gzip file, named by its digest. */
  path: string;
  entries: number;
  comment: string;
}

/** 1970-01-01T00:00:01Z, or SOURCE_DATE_EPOCH (reproducible-builds.org) when set. */
export function layerTime(env: NodeJS.ProcessEnv = process.env): Date {
  const s = env.SOURCE_DATE_EPOCH;
  if (s && /^\d{1,12}$/.test(s)) return new Date(Number(s) * 1000);
  return new Date(1000);
}

/** `/a/./b/` → `/a/b`; refuses relative paths and `..`. */
export function imagePath(p: string): string {
  if (!p.startsWith("/") || p.includes("\0")) throw new InvalidParameterValueError(`Image path '${p}' must be absolute.`);
  const parts = p.split("/").filter((x) => x !== "" && x !== ".");
  if (parts.includes("..")) throw new InvalidParameterValueError(`Image path '${p}' must not contain '..'.`);
  return `/${parts.join("/")}`;
}

/** The files of one layer, collected before it is written. */
export class LayerSpec {
  readonly comment: string;
  readonly #entries = new Map<string, LayerEntry>();

  constructor(comment: string) {
    this.comment = comment;
  }

  get size(): number {
    return this.#entries.size;
  }

  add(entry: LayerEntry): this {
    const path = imagePath(entry.path);
    this.#entries.set(path, { ...entry, path });
    return this;
  }

  file(path: string, content: Buffer | string, mode = 0o644, owner?: { uid: number; gid: number }): this {
    const buf = Buffer.isBuffer(content) ? content : Buffer.from(content);
    return this.add({ path, type: "file", mode, content: buf, size: buf.length, ...owner });
  }

  dir(path: string, mode = 0o755, owner?: { uid: number; gid: number }): this {
    return this.add({ path, type: "directory", mode, ...owner });
  }

  /**
   * Adds a host folder's files under `at`. Symbolic links stay links when
   * they point inside the folder; one pointing outside is refused (it would
   * copy a host path's meaning into the image).
   */
  async addTree(hostDir: string, at: string, opts: { exclude?: (rel: string) => boolean } = {}): Promise<this> {
    const root = resolve(hostDir);
    const walk = async (dir: string): Promise<void> => {
      const names = (await readdir(dir)).sort();
      for (const name of names) {
        const abs = join(dir, name);
        const rel = relative(root, abs).split(sep).join("/");
        if (opts.exclude?.(rel)) continue;
        const st = await lstat(abs);
        const path = posix.join(at, rel);
        if (st.isDirectory()) {
          this.add({ path, type: "directory", mode: 0o755 });
          await walk(abs);
        } else if (st.isFile()) {
          this.add({ path, type: "file", mode: st.mode & 0o111 ? 0o755 : 0o644, source: abs, size: st.size });
        } else if (st.isSymbolicLink()) {
          const target = await readlink(abs);
          const lands = resolve(dir, target);
          if (target.startsWith("/") || (lands !== root && !lands.startsWith(root + sep))) {
            throw new InvalidParameterValueError(`'${rel}' is a symbolic link out of '${hostDir}' (to '${target}'): refused.`);
          }
          this.add({ path, type: "symlink", mode: 0o777, linkname: target });
        } else {
          throw new InvalidParameterValueError(`'${rel}' in '${hostDir}' is not a file, folder or link: refused.`);
        }
      }
    };
    await walk(root);
    return this;
  }

  /** Entries sorted by path, with every parent folder present. */
  sorted(): LayerEntry[] {
    const all = new Map(this.#entries);
    for (const p of this.#entries.keys()) {
      for (let d = posix.dirname(p); d !== "/"; d = posix.dirname(d)) if (!all.has(d)) all.set(d, { path: d, type: "directory", mode: 0o755 });
    }
    return [...all.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
}

function hashing(hash: ReturnType<typeof createHash>, counter?: { n: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _e, cb) {
      hash.update(chunk);
      if (counter) counter.n += chunk.length;
      cb(null, chunk);
    },
  });
}

/** Writes the layer as `<blobsDir>/<hex>` and returns its digests. */
export async function writeLayer(spec: LayerSpec, blobsDir: string, mtime = layerTime()): Promise<LayerBlob> {
  await mkdir(blobsDir, { recursive: true });
  const tmp = join(blobsDir, `.layer-${process.pid}-${Math.random().toString(36).slice(2)}.partial`);
  const entries = spec.sorted();
  const pack = tar.pack();
  const diff = createHash("sha256");
  const blob = createHash("sha256");
  const size = { n: 0 };
  const written = pipeline(pack, hashing(diff), createGzip({ level: 6 }), hashing(blob, size), createWriteStream(tmp));
  try {
    for (const e of entries) {
      const header = {
        name: e.path.slice(1),
        mode: e.mode,
        uid: e.uid ?? 0,
        gid: e.gid ?? 0,
        uname: "",
        gname: "",
        mtime,
        type: e.type,
        ...(e.type === "file" ? { size: e.size ?? e.content?.length ?? 0 } : {}),
        ...(e.type === "symlink" ? { linkname: e.linkname } : {}),
      };
      await new Promise<void>((res, rej) => {
        const sink = pack.entry(header, (err) => (err ? rej(err) : res()));
        if (e.type !== "file") return;
        if (e.content) sink.end(e.content);
        else {
          // A file that changed size since it was listed would corrupt the tar: tar-stream fails the entry.
          const src = createReadStream(e.source!);
          src.on("error", rej);
          src.pipe(sink as unknown as PassThrough);
        }
      });
    }
    pack.finalize();
    await written;
  } catch (err) {
    pack.destroy(err as Error);
    await written.catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
  const hex = blob.digest("hex");
  const path = join(blobsDir, hex);
  await rename(tmp, path);
  return { digest: `sha256:${hex}`, diffId: `sha256:${diff.digest("hex")}`, size: size.n, path, entries: entries.length, comment: spec.comment };
}
