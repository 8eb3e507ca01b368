/** Retry delays (exponential, capped, jittered within [d/2, d]) and cron ticks (croner, time zones, bad input). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { nextTick, validateCron } from "./cron-schedule.js";
import { retryDelay } from "./retry-backoff.js";

test("retry delay doubles per attempt, is capped, and its jitter stays in the upper half", () => {
  const p = { baseMs: 1000, maxMs: 10_000 };
  assert.deepEqual([1, 2, 3, 4, 5, 60].map((a) => retryDelay(a, p, () => 0.999999)), [1000, 2000, 4000, 8000, 10_000, 10_000]);
  assert.deepEqual([1, 2, 3, 4, 5].map((a) => retryDelay(a, p, () => 0)), [500, 1000, 2000, 4000, 5000]);
  for (let i = 0; i < 100; i++) {
    const d = retryDelay(3, p, Math.random);
    assert.ok(d >= 2000 && d <= 4000, String(d));
  }
});

test("cron ticks: strictly after the given time, in the schedule's zone; bad patterns and zones are refused", () => {
  const t = Date.UTC(2026, 0, 1, 0, 2, 0);
  assert.equal(nextTick({ cron: "*/5 * * * *", timezone: "UTC" }, t), Date.UTC(2026, 0, 1, 0, 5, 0));
  assert.equal(nextTick({ cron: "*/5 * * * *", timezone: "UTC" }, Date.UTC(2026, 0, 1, 0, 5, 0)), Date.UTC(2026, 0, 1, 0, 10, 0));
  // 03:00 in Madrid (UTC+1 in January) is 02:00 UTC.
  assert.equal(nextTick({ cron: "0 3 * * *", timezone: "Europe/Madrid" }, t), Date.UTC(2026, 0, 1, 2, 0, 0));
  assert.equal(nextTick({ cron: "*/10 * * * * *", timezone: "UTC" }, t + 1000), t + 10_000, "six fields: seconds first");
  assert.throws(() => validateCron({ cron: "every night", timezone: "UTC" }), /Invalid cron schedule 'every night'/);
  assert.throws(() => validateCron({ cron: "0 3 * * *", timezone: "Mars/Olympus" }), /Invalid cron schedule/);
  assert.throws(() => validateCron({ cron: "0 0 30 2 *", timezone: "UTC" }), /never fires/);
});
