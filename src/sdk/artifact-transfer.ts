/**
 * Byte transfers for artifacts: a streamed PUT of a file (or a slice of one),
 * a streamed GET into a file, each retried like the JSON transport (network
 * errors, 429, 5xx; backoff with jitter) — but a streamed body cannot be sent
 * twice, so every attempt reopens its source. The timeout is an idle timeout
 * (no byte moved for `timeoutMs`), not a total one: a 10 GB upload is fine
 * as long as it keeps moving. Downloads land in a hidden temp file beside the
 * target and are renamed over it once complete, so an interrupted download
 * never leaves a half file under the real name; a retried download resumes
 * with a `Range` request when the server honours it.
 * @module
 */
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { mkdir, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { MlflowError } from "../shared/errors.js";
import { errorFromResponse, isTransientError, TrackingConnectionError, type HttpClient } from "./http-client.js";

/** What one attempt gets: its abort signal and a hook to call whenever bytes move. */
interface AttemptContext {
  signal: AbortSignal;
  touch(): void;
  attempt: number;
}

class IdleTimeout extends Error {
  constructor(ms: number) {
    super(`no data moved for ${ms} ms`);
    this.name = "TimeoutError";
  }
}

const NETWORK_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "ECONNABORTED", "EPIPE", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_SOCKET"]);

/** A request that failed on the network (fetch's `TypeError: fetch failed`, a socket error) or was cut by the idle timer. */
function isNetworkError(err: unknown): boolean {
  if (err instanceof IdleTimeout) return true;
  const e = err as { name?: string; message?: string; code?: string; cause?: { syscall?: string; code?: string } };
  // A body stream that failed to read its file is a local error, not a network one.
  if (e?.cause?.syscall === "open" || e?.cause?.syscall === "read") return false;
  if (e?.code && NETWORK_CODES.has(e.code)) return true;
  return (e?.name === "TypeError" && /fetch failed|terminated/i.test(e.message ?? "")) || e?.cause instanceof IdleTimeout || e?.name === "SocketError";
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `fn` until it succeeds, retrying what could succeed later. Local
 * errors (a missing source file, a full disk) and 4xx answers are thrown at once.
 */
async function withTransferRetries<T>(http: HttpClient, what: string, fn: (ctx: AttemptContext) => Promise<T>, signal?: AbortSignal): Promise<T> {
  const s = http.transferSettings;
  let lastError: unknown;
  let attempt = 1;
  for (; ; attempt++) {
    const ac = new AbortController();
    const onAbort = () => ac.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(() => ac.abort(new IdleTimeout(s.timeoutMs)), s.timeoutMs);
    try {
      return await fn({ signal: ac.signal, touch: () => timer.refresh(), attempt });
    } catch (err) {
      if (signal?.aborted) throw err;
      const cause = ac.signal.aborted ? ac.signal.reason : err;
      if (err instanceof MlflowError ? !isTransientError(err) : !isNetworkError(cause)) throw err;
      lastError = cause;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
    if (attempt >= s.maxAttempts) break;
    const bound = Math.min(s.maxDelayMs, s.initialDelayMs * 2 ** (attempt - 1));
    await sleep(Math.round(bound / 2 + Math.random() * (bound / 2)));
  }
  if (lastError instanceof MlflowError) throw lastError;
  const e = lastError as Error & { cause?: { code?: string; message?: string } };
  const detail = e?.cause?.code ?? e?.cause?.message ?? e?.message;
  throw new TrackingConnectionError(`Could not transfer ${what} (${attempt} attempt${attempt > 1 ? "s" : ""}): ${detail}`, { cause: lastError });
}

/** A pass-through that reports every chunk (the idle timer) and counts bytes. */
function progress(touch: () => void, onBytes?: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      touch();
      onBytes?.(chunk.length);
      done(null, chunk);
    },
  });
}

export interface PutOptions {
  headers?: Record<string, string>;
  /** Called with each chunk's size as it is sent (progress bars). */
  onBytes?: (n: number) => void;
  signal?: AbortSignal;
}

/**
 * One PUT over node:http(s), the body piped with the socket's backpressure.
 * (fetch is not used for uploads: Node 20's fetch kept every chunk of a
 * streamed body alive until the request ended — a 256 MiB upload held ≈256 MiB.)
 */
function httpPut(url: string, headers: Record<string, string>, body: Readable | Uint8Array, signal: AbortSignal): Promise<{ status: number; etag?: string; text: string }> {
  const u = new URL(url);
  const request = u.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(u, { method: "PUT", headers, signal }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => void (text.length < 65_536 && (text += d)));
      res.on("error", reject);
      res.on("end", () => resolve({ status: res.statusCode ?? 0, etag: res.headers.etag, text }));
    });
    req.on("error", reject);
    if (body instanceof Uint8Array) req.end(body);
    else pipeline(body, req).catch(reject);
  });
}

/**
 * PUTs a body to `url`: `open()` gives a fresh stream (or buffer) per attempt;
 * `size` is sent as Content-Length (S3 presigned URLs refuse chunked bodies).
 * Resolves with the answer's status and ETag (multipart parts need it).
 */
export function putBytes(http: HttpClient, url: string, what: string, size: number, open: () => Readable | Uint8Array, opts: PutOptions = {}): Promise<{ status: number; etag?: string }> {
  return withTransferRetries(
    http,
    what,
    async ({ signal, touch }) => {
      const src = open();
      const body = src instanceof Uint8Array ? src : src.pipe(progress(touch, opts.onBytes));
      if (!(src instanceof Uint8Array)) src.on("error", (err) => (body as Transform).destroy(err));
      try {
        const res = await httpPut(url, { ...opts.headers, "content-length": String(size) }, body, signal);
        if (res.status < 200 || res.status >= 300) throw errorFromResponse(res.status, res.text);
        if (src instanceof Uint8Array) opts.onBytes?.(size);
        return { status: res.status, etag: res.etag };
      } finally {
        if (!(src instanceof Uint8Array)) src.destroy();
      }
    },
    opts.signal,
  );
}

/** A hidden sibling of `dest` to download into (same folder, so the final rename is atomic). */
function tempSibling(dest: string): string {
  return join(dirname(dest), `.${basename(dest)}.ciclo-part-${randomBytes(6).toString("hex")}`);
}

export interface GetOptions {
  headers?: Record<string, string>;
  onBytes?: (n: number) => void;
  signal?: AbortSignal;
}

/**
 * GETs `url` into `dest`, streamed, through a temp file renamed over `dest`
 * once complete. A retry after a partial transfer asks for the rest (`Range`);
 * a server that answers 200 instead gets the file again from the start.
 */
export async function getToFile(http: HttpClient, url: string, what: string, dest: string, opts: GetOptions = {}): Promise<void> {
  await mkdir(dirname(dest), { recursive: true });
  const temp = tempSibling(dest);
  try {
    await withTransferRetries(
      http,
      what,
      async ({ signal, touch }) => {
        const have = await stat(temp).then((s) => s.size, () => 0);
        const headers = have > 0 ? { ...opts.headers, range: `bytes=${have}-` } : opts.headers;
        const res = await fetch(url, { headers, signal });
        if (!res.ok) throw errorFromResponse(res.status, await res.text());
        const append = have > 0 && res.status === 206;
        await pipeline(
          Readable.fromWeb(res.body as import("node:stream/web").ReadableStream),
          progress(touch, opts.onBytes),
          createWriteStream(temp, { flags: append ? "a" : "w" }),
          { signal },
        );
      },
      opts.signal,
    );
    await rename(temp, dest);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}

/** Streams `body` into `dest` through a temp sibling (for repositories read directly: file:, s3:). */
export async function streamToFile(body: Readable, dest: string): Promise<void> {
  await mkdir(dirname(dest), { recursive: true });
  const temp = tempSibling(dest);
  try {
    await pipeline(body, createWriteStream(temp));
    await rename(temp, dest);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}

/** Runs `fn` over `items` with at most `limit` at a time; the first failure stops new work and is thrown once the running ones settle. */
export async function runPool<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const i = next++;
      try {
        await fn(items[i], i);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.err;
}
