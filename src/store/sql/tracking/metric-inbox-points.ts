/**
 * The bytes of a metric inbox row (migration 27; metric-inbox.ts): a group commit's plain metric points, whatever
 * runs and series they name, in one value.
 *
 * `points`: the keys the points name (a count, then each key's UTF-8 length and bytes, lengths as uint32
 * big-endian), the point count, each point's run (its place in the row's `runs`, from 0) and key (its place in
 * the keys), all uint32 big-endian, then the points' step, timestamp and value as a chunk packs them
 * (metric-chunks.ts: encodePoints, 24 bytes a point). `runs`: one int32 big-endian run id per place, 0 for a
 * run whose points must not be kept (PostgreSQL's group statement writes it for the runs it found active).
 * @module
 */
import type { Metric } from "../../../shared/tracking-types.js";
import { decodePoints, encodePoints } from "./metric-chunks.js";

/** One write's points of one run, the run named by its place in the row's `runs`. */
export interface PlacedPoints {
  place: number;
  metrics: readonly Metric[];
}

/** Packs points for an inbox row's `points`; `cnt` counts them. */
export function packInboxPoints(groups: readonly PlacedPoints[]): { points: Buffer; cnt: number } {
  const keys = new Map<string, number>();
  const keyBytes: Buffer[] = [];
  let cnt = 0;
  for (const g of groups) cnt += g.metrics.length;
  const refs = Buffer.allocUnsafe(cnt * 8);
  const all: Metric[] = new Array(cnt);
  let i = 0;
  for (const g of groups) {
    for (const m of g.metrics) {
      let k = keys.get(m.key);
      if (k === undefined) {
        keys.set(m.key, (k = keyBytes.length));
        keyBytes.push(Buffer.from(m.key, "utf8"));
      }
      refs.writeUInt32BE(g.place, i * 4);
      refs.writeUInt32BE(k, (cnt + i) * 4);
      all[i++] = m;
    }
  }
  let headerLength = 4;
  for (const b of keyBytes) headerLength += 4 + b.length;
  const header = Buffer.allocUnsafe(headerLength + 4);
  header.writeUInt32BE(keyBytes.length, 0);
  let at = 4;
  for (const b of keyBytes) {
    header.writeUInt32BE(b.length, at);
    b.copy(header, at + 4);
    at += 4 + b.length;
  }
  header.writeUInt32BE(cnt, at);
  return { points: Buffer.concat([header, refs, encodePoints(all)]), cnt };
}

/** An inbox row's `runs` for run ids known up front (SQLite's writer). */
export function packInboxRuns(runIds: readonly number[]): Buffer {
  const out = Buffer.allocUnsafe(runIds.length * 4);
  runIds.forEach((id, i) => out.writeInt32BE(id, i * 4));
  return out;
}

/** Adds an inbox row's points to `byRun` (by run id), skipping those of run 0 (refused). */
export function unpackInboxRow(runs: Uint8Array, points: Uint8Array, byRun: Map<number, Metric[]>): void {
  const r = Buffer.from(runs.buffer, runs.byteOffset, runs.byteLength);
  const b = Buffer.from(points.buffer, points.byteOffset, points.byteLength);
  const nKeys = b.readUInt32BE(0);
  const keys: string[] = new Array(nKeys);
  let at = 4;
  for (let k = 0; k < nKeys; k++) {
    const len = b.readUInt32BE(at);
    keys[k] = b.toString("utf8", at + 4, at + 4 + len);
    at += 4 + len;
  }
  const cnt = b.readUInt32BE(at);
  at += 4;
  const values = decodePoints(b.subarray(at + cnt * 8));
  if (values.length !== cnt) throw new Error(`a metric inbox row says ${cnt} points and holds ${values.length}`);
  for (let i = 0; i < cnt; i++) {
    const runId = r.readInt32BE(b.readUInt32BE(at + i * 4) * 4);
    if (runId === 0) continue;
    const p = values[i];
    const m: Metric = { key: keys[b.readUInt32BE(at + (cnt + i) * 4)], value: p.value, timestamp: p.timestamp, step: p.step };
    const list = byRun.get(runId);
    if (list) list.push(m);
    else byRun.set(runId, [m]);
  }
}
