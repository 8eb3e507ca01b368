/**
 * Reading an MLflow file store (`mlruns/`) as hostile input: nothing is
 * followed out of the store's folder (symbolic links are skipped and
 * reported, never followed), every file is read with a size bound (a metadata
 * file of gigabytes is refused, a metric file streams a line at a time with a
 * bounded line), and YAML is parsed as plain data: tags (`!!python/object…`),
 * alias bombs and duplicate keys are refused instead of interpreted.
 * @module
 */
import { createReadStream } from "node:fs";
import { lstat, open, readdir } from "node:fs/promises";
import { join } from "node:path";
import { parseDocument } from "yaml";

/** meta.yaml, param and tag files: MLflow's largest values are 8,000 characters; 1 MiB is far past any real one. */
export const MAX_SMALL_FILE = 1024 * 1024;
/** A metric line is `timestamp value step [run_id] [dataset_name dataset_digest]`. */
export const MAX_METRIC_LINE = 4096;

export class FileStoreError extends Error {}

export interface DirEntries {
  dirs: string[];
  files: string[];
}

export class FileStoreReader {
  constructor(
    readonly root: string,
    private readonly warn: (message: string) => void,
  ) {}

  private rel(path: string): string {
    return path.startsWith(this.root) ? path.slice(this.root.length + 1) || "." : path;
  }

  /** The folders and regular files in `dir`, sorted; links and special files are left out, each reported. */
  async list(dir: string): Promise<DirEntries> {
    const out: DirEntries = { dirs: [], files: [] };
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return out;
      throw err;
    }
    for (const e of entries) {
      if (e.isSymbolicLink()) this.warn(`skipped symbolic link ${this.rel(join(dir, e.name))} (links are never followed)`);
      else if (e.isDirectory()) out.dirs.push(e.name);
      else if (e.isFile()) out.files.push(e.name);
      else this.warn(`skipped ${this.rel(join(dir, e.name))}: not a file or folder`);
    }
    out.dirs.sort();
    out.files.sort();
    return out;
  }

  async isDir(path: string): Promise<boolean> {
    const st = await lstat(path).catch(() => undefined);
    return st?.isDirectory() === true;
  }

  /** A regular file's text, at most `max` bytes; undefined when absent. */
  async readSmall(path: string, max = MAX_SMALL_FILE): Promise<string | undefined> {
    const st = await lstat(path).catch(() => undefined);
    if (!st) return undefined;
    if (!st.isFile()) throw new FileStoreError(`${this.rel(path)} is not a regular file (links are never followed).`);
    if (st.size > max) throw new FileStoreError(`${this.rel(path)} is ${st.size} bytes; files of this kind hold at most ${max} in an MLflow store.`);
    const handle = await open(path, "r");
    try {
      const buf = Buffer.alloc(st.size);
      const { bytesRead } = await handle.read(buf, 0, st.size, 0);
      return buf.subarray(0, bytesRead).toString("utf8");
    } finally {
      await handle.close();
    }
  }

  /** A meta.yaml as a plain map; undefined when absent. */
  async readYaml(path: string): Promise<Record<string, unknown> | undefined> {
    const text = await this.readSmall(path);
    if (text === undefined) return undefined;
    return parseMeta(text, this.rel(path));
  }

  /** Files under `dir`, recursively, as `/`-joined relative names (MLflow's keys may contain `/`). */
  async keyFiles(dir: string, prefix = ""): Promise<Array<{ key: string; path: string }>> {
    const { dirs, files } = await this.list(dir);
    const out = files.map((f) => ({ key: prefix + f, path: join(dir, f) }));
    for (const d of dirs) out.push(...(await this.keyFiles(join(dir, d), `${prefix}${d}/`)));
    return out;
  }

  /** The lines of a file, streamed, each at most MAX_METRIC_LINE bytes. */
  async *lines(path: string): AsyncGenerator<string> {
    const st = await lstat(path);
    if (!st.isFile()) throw new FileStoreError(`${this.rel(path)} is not a regular file (links are never followed).`);
    let rest = "";
    for await (const chunk of createReadStream(path, { encoding: "utf8", highWaterMark: 256 * 1024 })) {
      const text = rest + (chunk as string);
      let start = 0;
      for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
        if (nl - start > MAX_METRIC_LINE) throw new FileStoreError(`${this.rel(path)} has a line longer than ${MAX_METRIC_LINE} bytes.`);
        yield text.slice(start, nl);
        start = nl + 1;
      }
      rest = text.slice(start);
      if (rest.length > MAX_METRIC_LINE) throw new FileStoreError(`${this.rel(path)} has a line longer than ${MAX_METRIC_LINE} bytes.`);
    }
    if (rest.length > 0) yield rest;
  }
}

/** Parses YAML as data only: no tags, no more than a few aliases, no duplicate keys, a map at the top. */
export function parseMeta(text: string, name: string): Record<string, unknown> {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, strict: true });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) throw new FileStoreError(`${name}: not plain YAML data (${problem.message.split("\n")[0]}).`);
  let tagged = false;
  const visit = (node: unknown): void => {
    if (!node || typeof node !== "object") return;
    const n = node as { tag?: string; items?: unknown[]; key?: unknown; value?: unknown };
    // MLflow writes with yaml.safe_dump: only YAML's own types, never an application tag.
    if (n.tag && !/^tag:yaml\.org,2002:(str|int|float|bool|null|map|seq)$/.test(n.tag)) tagged = true;
    if (Array.isArray(n.items)) n.items.forEach(visit);
    if ("key" in n) visit(n.key);
    if ("value" in n) visit(n.value);
  };
  visit(doc.contents);
  if (tagged) throw new FileStoreError(`${name}: YAML tags are not accepted in an MLflow store's metadata.`);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 10 });
  } catch (err) {
    throw new FileStoreError(`${name}: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new FileStoreError(`${name}: expected a map of fields.`);
  return value as Record<string, unknown>;
}

/** Python's float() spellings as MLflow writes them: 1.0, nan, inf, -inf, 1e-05. */
export function parsePythonFloat(text: string): number | undefined {
  const t = text.toLowerCase();
  if (t === "nan" || t === "-nan") return NaN;
  if (t === "inf" || t === "infinity") return Infinity;
  if (t === "-inf" || t === "-infinity") return -Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/.test(t)) return undefined;
  return Number(t);
}
