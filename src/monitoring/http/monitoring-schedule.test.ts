/**
 * A monitor's schedule: running it by hand (`ciclo monitor run`, the API's run with wait) evaluates the window
 * ending now and leaves the next scheduled window where it was; the scheduled run of that window moves it on
 * by one period.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { openTestApp, type TestApp } from "../../testing/test-app.js";

const CICLO = "/api/ciclo/v1";
let fx: TestApp;

before(async () => {
  fx = await openTestApp();
});
after(async () => {
  await fx?.close();
});

async function call(method: "GET" | "POST", path: string, body?: unknown) {
  const r = await fx.call(method, path, body, { prefix: CICLO });
  assert.equal(r.status, 200, r.text);
  return r.json;
}

test("runs by hand leave the schedule alone; the scheduled run moves it one period on", async () => {
  const { monitor } = await call("POST", "/monitoring/monitors", {
    name: "hourly",
    spec: { target: { model_name: "churn" }, window_seconds: 3600, every_seconds: 3600, operations: { max_error_rate: 0.5 } },
  });
  const scheduled: number = monitor.next_run_at;
  assert.ok(scheduled > Date.now(), "the first window ends in the future");

  for (let i = 0; i < 3; i++) await call("POST", "/monitoring/monitors/hourly/run", { wait: true });
  const afterManual = (await call("GET", "/monitoring/monitors/hourly")).monitor;
  assert.equal(afterManual.next_run_at, scheduled, "three runs by hand did not push the scheduled window back");
  assert.ok(afterManual.last_window_end < scheduled);

  // The run the tick enqueues for that window (its window_end is the scheduled time).
  await call("POST", "/monitoring/monitors/hourly/run", { window_end: scheduled, wait: true });
  assert.equal((await call("GET", "/monitoring/monitors/hourly")).monitor.next_run_at, scheduled + 3_600_000);
});
