/** A run's artifacts: listing, download URLs, and partial reads for previews (the server honours `Range`). */
import { getJson, MLFLOW, queryString, request } from "./http";

export interface FileInfo {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

export async function listArtifacts(runId: string, path: string | undefined, signal?: AbortSignal): Promise<FileInfo[]> {
  const res = await getJson<{ files?: FileInfo[] }>(`${MLFLOW}/artifacts/list`, { run_id: runId, path: path || undefined }, signal);
  return (res.files ?? []).sort((a, b) => Number(b.is_dir) - Number(a.is_dir) || a.path.localeCompare(b.path));
}

export function artifactUrl(runId: string, path: string): string {
  return `/get-artifact${queryString({ run_uuid: runId, path })}`;
}

/** The first `maxBytes` of a file, and whether that was all of it. */
export async function readArtifactHead(runId: string, path: string, maxBytes: number, signal?: AbortSignal): Promise<{ bytes: ArrayBuffer; complete: boolean }> {
  const res = await request(artifactUrl(runId, path), { signal, headers: { range: `bytes=0-${maxBytes - 1}` } });
  const bytes = await res.arrayBuffer();
  if (res.status === 206) {
    const total = Number(res.headers.get("content-range")?.split("/")[1]);
    return { bytes, complete: Number.isFinite(total) && total <= bytes.byteLength };
  }
  return { bytes: bytes.byteLength > maxBytes ? bytes.slice(0, maxBytes) : bytes, complete: bytes.byteLength <= maxBytes };
}

export async function readArtifactBlob(runId: string, path: string, signal?: AbortSignal): Promise<Blob> {
  return (await request(artifactUrl(runId, path), { signal })).blob();
}

/** Bytes `[start, end)` of a file (Parquet readers fetch the footer first, then only the columns they need). */
export async function readArtifactRange(runId: string, path: string, start: number, end: number, signal?: AbortSignal): Promise<ArrayBuffer> {
  const res = await request(artifactUrl(runId, path), { signal, headers: { range: `bytes=${start}-${end - 1}` } });
  const buf = await res.arrayBuffer();
  // A server that ignores Range sends the whole file: cut the slice out of it.
  return res.status === 206 ? buf : buf.slice(start, end);
}
