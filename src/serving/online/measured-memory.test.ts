/**
 * The guard on measured memory: readings above the baseline, taken at most
 * once per sample period; refusals while past the ceiling, never of a lone
 * request (so a server whose memory does not fall still scores); the
 * collect-now hook rate-limited. A fake clock and fake readings: no timing.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { AdmissionControl } from "./admission-control.js";
import { MEASURED_CEILING_FLOOR_BYTES, measuredCeiling, MeasuredMemory, residentBytesOf } from "./measured-memory.js";

const MB = 1024 * 1024;

function fake(opts: { ceilingMb: number; sampleMs?: number; collectMs?: number }) {
  let rss = 200 * MB;
  let t = 0;
  let reads = 0;
  let collects = 0;
  const m = new MeasuredMemory({
    ceilingBytes: opts.ceilingMb * MB,
    read: () => {
      reads++;
      return rss;
    },
    sampleMs: opts.sampleMs ?? 10,
    collectMs: opts.collectMs ?? 100,
    onOver: () => collects++,
    now: () => t,
  });
  m.setBaseline();
  return {
    m,
    set: (mb: number) => (rss = mb * MB),
    advance: (ms: number) => (t += ms),
    get reads() {
      return reads;
    },
    get collects() {
      return collects;
    },
  };
}

test("readings count from the baseline, are taken at most once per sample period, and the peak is kept", () => {
  const f = fake({ ceilingMb: 100 });
  assert.equal(f.m.stats().baselineBytes, 200 * MB);
  f.set(250);
  assert.equal(f.m.above(), 0, "the reading at the baseline still stands");
  f.advance(10);
  assert.equal(f.m.above(), 50 * MB);
  const reads = f.reads;
  f.set(350);
  f.advance(5);
  assert.equal(f.m.above(), 50 * MB, "not read again within 10 ms");
  assert.equal(f.reads, reads);
  f.advance(5);
  assert.equal(f.m.isOver(), true);
  f.set(150);
  f.advance(10);
  assert.equal(f.m.above(), 0, "below the baseline counts as 0");
  assert.equal(f.m.stats().peakAboveBytes, 150 * MB);
  assert.equal(f.m.stats().overReadings, 1);
});

test("over the ceiling, the collect-now hook runs at most once per collect period", () => {
  const f = fake({ ceilingMb: 100, collectMs: 100 });
  f.set(400);
  for (let i = 0; i < 25; i++) {
    f.advance(10);
    assert.equal(f.m.isOver(), true);
  }
  assert.equal(f.collects, 3, "at 10, 110 and 210 ms of 250");
});

test("admission: past the measured ceiling new requests are refused, but never the only one", () => {
  const f = fake({ ceilingMb: 100 });
  const a = new AdmissionControl({ maxInflightBytes: 1000 * MB, retryAfterSeconds: 1 }, f.m);
  a.setRuntimeBytesPerBodyByte(0);
  const first = a.tryReserve(1000)!;
  assert.ok(first);
  f.set(400); // 200 MB above idle: over
  f.advance(10);
  assert.equal(a.tryReserve(1000), undefined, "refused while the memory is over and a request is in flight");
  assert.equal(a.stats().refused, 1);
  assert.equal(a.stats().refusedMeasured, 1);
  first.release();
  // The memory has not fallen, but nothing is in flight: admitted (no lockout).
  const lone = a.tryReserve(1000)!;
  assert.ok(lone, "a lone request is admitted whatever the memory says");
  assert.equal(a.tryReserve(1000), undefined);
  lone.release();
  f.set(250);
  f.advance(10);
  const r1 = a.tryReserve(1000)!;
  const r2 = a.tryReserve(1000)!;
  assert.ok(r1 && r2, "under the ceiling again: the estimate alone decides");
  assert.equal(a.stats().refusedMeasured, 2);
  r1.release();
  r2.release();
});

test("residentBytesOf reads a live process and gives 0 for one that is not there", (t) => {
  if (process.platform !== "linux") return t.skip("reads /proc");
  const own = residentBytesOf(process.pid);
  assert.ok(own > 10 * MB && own < 4096 * MB, `own RSS ${own}`);
  assert.equal(residentBytesOf(2 ** 22 + 12345), 0);
});

test("the ceiling is a share of the budget, never below what ordinary traffic grows a server by", () => {
  assert.equal(measuredCeiling(512 * MB), Math.round(512 * MB * 0.6));
  assert.equal(measuredCeiling(64 * MB), MEASURED_CEILING_FLOOR_BYTES);
});
