/**
 * The recorder against a migrated SQLite index and a local artifact folder:
 * events of several sources arriving interleaved are filed into one segment
 * per source, in arrival order; a full buffer drops and counts; an event
 * whose bodies cannot be read is still filed, as one row without features.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { LocalArtifactRepository } from "../../artifacts/local-artifact-repository.js";
import { serverModules } from "../../modules.js";
import { migrationSequence } from "../../store/migrations/migrator.js";
import { openStores, type OpenedStores } from "../../store/open-stores.js";
import { SqlMonitoringStore } from "../../store/sql/monitoring/sql-monitoring-store.js";
import type { InferenceEvent } from "./inference-event.js";
import { InferenceRecorder } from "./inference-recorder.js";
import { decodeSegment } from "./segment-codec.js";

let dir: string;
let stores: OpenedStores;
let store: SqlMonitoringStore;
let repo: LocalArtifactRepository;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "ciclo-recorder-"));
  stores = await openStores(`sqlite:///${join(dir, "ciclo.db")}`, { defaultArtifactRoot: "mlflow-artifacts:/", migrations: migrationSequence(serverModules()) });
  store = new SqlMonitoringStore(stores.connection);
  repo = new LocalArtifactRepository(join(dir, "artifacts"));
});
after(async () => {
  await stores.tracking.close();
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
function ev(deployment: string, x: number, extra: Partial<InferenceEvent> = {}): InferenceEvent {
  n++;
  return {
    modelName: "m",
    modelVersion: "1",
    endpoint: "e",
    deployment,
    requestId: `${deployment}-${n}`,
    time: 1_000 + n,
    status: 200,
    latencyMs: 1,
    request: JSON.stringify({ dataframe_records: [{ x }] }),
    response: JSON.stringify({ predictions: [x * 2] }),
    ...extra,
  };
}

const rowsOf = async (path: string) => decodeSegment(new Uint8Array(readFileSync(join(dir, "artifacts", path))));

test("interleaved sources become one segment each, rows in arrival order", async () => {
  const rec = new InferenceRecorder(store, repo, { flushIntervalMs: 3_600_000 });
  const sent = [ev("blue", 1), ev("green", 2), ev("blue", 3), ev("blue", 4, { sampleRate: 0.5 }), ev("green", 5), ev("blue", 6)];
  for (const e of sent) rec.record(e);
  const segs = await rec.flush();
  await rec.close();
  const key = (s: { deployment: string | null; sampleRate: number }) => `${s.deployment}@${s.sampleRate}`;
  assert.deepEqual(segs.map((s) => [key(s), s.requests, s.rows, s.errors]).sort(), [["blue@0.5", 1, 1, 0], ["blue@1", 3, 3, 0], ["green@1", 2, 2, 0]]);
  for (const s of segs) {
    const want = sent.filter((e) => e.deployment === s.deployment && (e.sampleRate ?? 1) === s.sampleRate);
    const rows = await rowsOf(s.path);
    const x = (e: InferenceEvent) => (JSON.parse(e.request) as { dataframe_records: Array<{ x: number }> }).dataframe_records[0].x;
    assert.deepEqual(rows.map((r) => [r.__request_id, r.x, r.prediction]), want.map((e) => [e.requestId, x(e), x(e) * 2]));
    assert.equal(s.startTime, want[0].time);
    assert.equal(s.endTime, want.at(-1)!.time);
  }
});

test("a full buffer drops and counts; unreadable bodies still file the request", async () => {
  const rec = new InferenceRecorder(store, repo, { flushIntervalMs: 3_600_000, maxBuffered: 3 });
  const sent = [ev("blue", 1), ev("blue", 7, { request: undefined as unknown as string, response: "not json" }), ev("blue", 2), ev("blue", 3)];
  for (const e of sent) rec.record(e);
  assert.equal(rec.dropped, 1);
  const [seg] = await rec.flush();
  await rec.close();
  assert.equal(seg.requests, 3);
  const rows = await rowsOf(seg.path);
  assert.deepEqual(rows.map((r) => [r.__request_id, r.x, r.prediction]), [[sent[0].requestId, 1, 2], [sent[1].requestId, null, null], [sent[2].requestId, 2, 4]]);
});
