/**
 * The buffer both inference logs share: bounded (past it records are dropped
 * and counted), written by its timer one batch at a time, and a write that
 * throws or rejects is counted and reported, never thrown.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { BufferedFlusher } from "./buffered-flusher.js";

test("bounded; the timer writes batches in order, one at a time; close() drains and stops the timer", async () => {
  const written: number[][] = [];
  let inFlight = 0;
  const f = new BufferedFlusher<number>({
    flushIntervalMs: 10,
    maxBuffered: 3,
    async write(batch) {
      assert.equal(inFlight++, 0, "two writes at once");
      written.push(batch);
      await new Promise((r) => setTimeout(r, 30));
      inFlight--;
    },
  });
  assert.deepEqual([1, 2, 3, 4].map((n) => f.push(n)), [true, true, true, false]);
  assert.equal(f.dropped, 1);
  for (let i = 0; i < 200 && written.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
  f.push(5);
  f.push(6);
  await new Promise((r) => setTimeout(r, 25));
  await f.close();
  assert.deepEqual(written, [[1, 2, 3], [5, 6]]);
  f.push(7);
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(written, [[1, 2, 3], [5, 6]]);
  assert.equal(f.dropped, 1);
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
