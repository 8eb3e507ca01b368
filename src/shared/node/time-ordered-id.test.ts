import assert from "node:assert/strict";
import { test } from "node:test";
import { newTimeOrderedId } from "./time-ordered-id.js";

test("an id is 32 lowercase hex digits laid out as a UUIDv7: time, version 7, variant 10", () => {
  const now = Date.UTC(2026, 11, 7, 16, 0, 0, 123);
  const id = newTimeOrderedId(now);
  assert.match(id, /^[0-9a-f]{32}$/);
  assert.equal(parseInt(id.slice(0, 12), 16), now);
  assert.equal(id[12], "7");
  assert.match(id[16], /^[89ab]$/);
  // The default clock is now's.
  const before = Date.now();
  const made = parseInt(newTimeOrderedId().slice(0, 12), 16);
  assert.ok(made >= before && made <= Date.now());
});

test("ids made in later milliseconds sort after earlier ones, as text", () => {
  const t = 1_765_000_000_000;
  const ids = [t, t + 1, t + 2, t + 1_000, t + 86_400_000, 2 ** 40 * 4].map((ms) => newTimeOrderedId(ms));
  assert.deepEqual([...ids].sort(), ids);
});

test("ids in the same millisecond differ in every one of their 74 random bits", () => {
  const t = 1_765_000_000_000;
  const ids = Array.from({ length: 2_000 }, () => newTimeOrderedId(t));
  assert.equal(new Set(ids).size, ids.length);
  // The 80 bits after the time: each of the 74 random ones is seen both 0 and 1; the 6 fixed ones never vary.
  const bits = ids.map((id) => BigInt(`0x${id.slice(12)}`));
  const ones = (b: number) => bits.filter((v) => (v >> BigInt(b)) & 1n).length;
  const fixed = new Set([76, 77, 78, 79, 62, 63]); // version 0111, variant 10 (bits counted from the right)
  for (let b = 0; b < 80; b++) {
    const n = ones(b);
    if (fixed.has(b)) assert.ok(n === 0 || n === ids.length, `bit ${b} is fixed`);
    else assert.ok(n > 800 && n < 1_200, `bit ${b} is random: ${n} ones of ${ids.length}`);
  }
  assert.equal(ids.filter((id) => id[12] === "7").length, ids.length);
});
