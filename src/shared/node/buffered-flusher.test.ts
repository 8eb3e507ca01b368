/**
 * The buffer both inference logs share: bounded (past it records are dropped
 * and counted), written by its timer one batch at a time, and a write that
 * throws or rejects is counted and reported, never thrown. The timer is
 * node:test's mock and each write stays in flight until the test releases it,
 * so what happens during a write is made to happen, not waited for.
 */
import assert from "node:assert/strict";
import { setImmediate as turn } from "node:timers/promises";
import { test } from "node:test";
import { BufferedFlusher } from "./buffered-flusher.js";

/** Writes that stay in flight until `release()`; `next()` resolves with the batch of the next write to start. */
function deferredWrites<T>() {
  const started: T[][] = [];
  const releases: Array<() => void> = [];
  const waiters: Array<(batch: T[]) => void> = [];
  return {
    started,
    get inFlight() {
      return releases.length;
    },
    write(batch: T[]): Promise<void> {
      started.push(batch);
      waiters.shift()?.(batch);
      return new Promise<void>((resolve) => releases.push(resolve));
    },
    next(): Promise<T[]> {
      return new Promise((resolve) => waiters.push(resolve));
    },
    /** Completes the oldest write in flight. */
    release(): void {
      const done = releases.shift();
      assert.ok(done, "no write in flight");
      done();
    },
  };
}

test("bounded; the timer writes a batch each interval, one write at a time; records pushed during a write go in the next batch; close() stops the timer", async (t) => {
  t.mock.timers.enable({ apis: ["setInterval"] });
  const w = deferredWrites<number>();
  const f = new BufferedFlusher<number>({ flushIntervalMs: 10, maxBuffered: 3, write: (batch) => w.write(batch) });
  assert.deepEqual([1, 2, 3, 4].map((n) => f.push(n)), [true, true, true, false]);
  assert.equal(f.dropped, 1);
  t.mock.timers.tick(9);
  assert.deepEqual(w.started, []);
  t.mock.timers.tick(1);
  assert.deepEqual(w.started, [[1, 2, 3]]);
  assert.deepEqual([5, 6].map((n) => f.push(n)), [true, true]); // the batch in flight no longer counts against the bound
  t.mock.timers.tick(10); // the timer fires while the first write is in flight: it waits for it
  t.mock.timers.tick(10);
  await turn();
  assert.deepEqual(w.started, [[1, 2, 3]]);
  const second = w.next();
  w.release();
  assert.deepEqual(await second, [5, 6]);
  assert.equal(w.inFlight, 1);
  w.release();
  await f.close();
  assert.deepEqual(w.started, [[1, 2, 3], [5, 6]]);
  f.push(7);
  t.mock.timers.tick(100);
  await turn();
  assert.deepEqual(w.started, [[1, 2, 3], [5, 6]]);
  assert.equal(f.dropped, 1);
});

test("close() waits for the write in flight, then writes what was pushed meanwhile", async () => {
  const w = deferredWrites<string>();
  const f = new BufferedFlusher<string>({ flushIntervalMs: 60_000, maxBuffered: 10, write: (batch) => w.write(batch) });
  f.push("a");
  void f.flush();
  f.push("b");
  let closed = false;
  const closing = f.close().then(() => void (closed = true));
  const rest = w.next();
  await turn();
  assert.equal(closed, false);
  assert.deepEqual(w.started, [["a"]]);
  w.release();
  assert.deepEqual(await rest, ["b"]);
  await turn();
  assert.equal(closed, false);
  w.release();
  await closing;
  assert.deepEqual(w.started, [["a"], ["b"]]);
  assert.equal(f.dropped, 0);
});

test("a write that throws or rejects: its records are counted as dropped and reported; the next batch goes", async () => {
  const errors: Array<[string, number]> = [];
  const written: string[][] = [];
  const f = new BufferedFlusher<string>({
    flushIntervalMs: 60_000,
    maxBuffered: 10,
    write(batch) {
      if (batch[0] === "throw") throw new Error("cannot encode");
      if (batch[0] === "reject") return Promise.reject(new Error("refused"));
      written.push(batch);
      return Promise.resolve();
    },
    onError: (err, n) => void errors.push([(err as Error).message, n]),
  });
  f.push("throw");
  f.push("x");
  await f.flush();
  f.push("reject");
  await f.flush();
  f.push("ok");
  await f.close();
  assert.deepEqual(errors, [["cannot encode", 2], ["refused", 1]]);
  assert.equal(f.dropped, 3);
  assert.deepEqual(written, [["ok"]]);
});
