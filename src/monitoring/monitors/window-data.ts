/**
 * The inference rows of one monitor window: the segments the index says
 * overlap it, read from the artifact store, kept to the rows whose request
 * arrived inside [start, end). Reads at most `maxRows` rows (the rest of a
 * busy window is a sample anyway).
 * @module
 */
import { Readable } from "node:stream";
import type { ArtifactRepository } from "../../artifacts/index.js";
import { decodeSegment } from "../inference/segment-codec.js";
import type { MonitoringStore, SegmentRecord } from "../core/monitoring-store.js";
import type { MonitorTarget } from "../core/monitor-spec.js";

export type WindowRow = Record<string, unknown>;

export interface WindowData {
  start: number;
  end: number;
  rows: WindowRow[];
  segments: SegmentRecord[];
  /** Model version each row was scored by, aligned with `rows`. */
  versions: string[];
  truncated: boolean;
}

export async function readArtifactBytes(repo: ArtifactRepository, path: string): Promise<Uint8Array> {
  const obj = await repo.get(path);
  const chunks: Buffer[] = [];
  for await (const c of obj.body as Readable) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array));
  return new Uint8Array(Buffer.concat(chunks));
}

export async function loadWindow(
  store: MonitoringStore,
  repo: ArtifactRepository,
  target: MonitorTarget & { model_version?: string },
  start: number,
  end: number,
  maxRows = 2_000_000,
): Promise<WindowData> {
  const segments = await store.listSegments({
    modelName: target.model_name,
    modelVersion: target.model_version,
    endpoint: target.endpoint,
    deployment: target.deployment,
    dataset: target.dataset,
    from: start,
    to: end,
  });
  const rows: WindowRow[] = [];
  const versions: string[] = [];
  let truncated = false;
  for (const s of segments) {
    if (rows.length >= maxRows) {
      truncated = true;
      break;
    }
    for (const r of await decodeSegment(await readArtifactBytes(repo, s.path))) {
      const t = r.__time as number;
      if (t < start || t >= end) continue;
      if (rows.length >= maxRows) {
        truncated = true;
        break;
      }
      rows.push(r);
      versions.push(s.modelVersion);
    }
  }
  return { start, end, rows, segments, versions, truncated };
}
