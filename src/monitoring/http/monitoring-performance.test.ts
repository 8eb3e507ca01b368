/**
 * Performance over a window: labels arrive later by request id (JSON and a
 * CSV file), are joined to the logged predictions, and the measured metrics
 * equal a direct computation on the joined pairs; CBPE's estimate equals its
 * definition computed directly; operations count requests, errors and
 * latency per version. Bad label input is refused whole.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { moduleServices } from "../../server/app.js";
import { backendTests } from "../../testing/backend-tests.js";
import { testAppOn, type TestApp } from "../../testing/test-app.js";
import { cbpeBinary } from "../monitors/cbpe.js";

const CICLO = "/api/ciclo/v1";
let fx: TestApp;

async function call(method: "GET" | "POST", path: string, body?: unknown) {
  const r = await fx.call(method, path, body, { prefix: CICLO });
  assert.equal(r.status, 200, r.text);
  return r.json;
}

test("CBPE's expected confusion matrix, by hand", () => {
  const e = cbpeBinary([0.9, 0.6, 0.2, 0.4])!;
  // positives: 0.9 → tp .9 fp .1; 0.6 → tp .6 fp .4. negatives: 0.2 → fn .2 tn .8; 0.4 → fn .4 tn .6.
  assert.ok(Math.abs(e.tp - 1.5) < 1e-12 && Math.abs(e.fp - 0.5) < 1e-12 && Math.abs(e.fn - 0.6) < 1e-12 && Math.abs(e.tn - 1.4) < 1e-12);
  assert.ok(Math.abs(e.accuracy - 2.9 / 4) < 1e-12);
  assert.ok(Math.abs(e.precision - 1.5 / 2) < 1e-12);
  assert.ok(Math.abs(e.recall - 1.5 / 2.1) < 1e-12);
  assert.equal(cbpeBinary([Number.NaN]), undefined);
});

for (const backend of ["sqlite", "postgres"] as const) {
  describe(`on ${backend}`, () => {
    const it = backendTests({ ...testAppOn(backend), ready: (f) => void (fx = f) });
  it("labels joined to predictions give the window's metrics; CBPE estimates them without labels", async () => {
    const t0 = Date.UTC(2026, 0, 1);
    // 200 single-row requests with a probability p; the prediction is p ≥ 0.5.
    const probs = Array.from({ length: 200 }, (_, i) => ((i * 37) % 100) / 100 + 0.005);
    const truth = probs.map((p, i) => (i % 10 < 8 ? (p >= 0.5 ? 1 : 0) : p >= 0.5 ? 0 : 1)); // 80 % right
    const records = probs.map((p, i) => ({
      request_id: `r${i}`,
      time: t0 + i * 1000,
      model_name: "churn",
      model_version: i % 2 === 0 ? "4" : "5",
      status: 200,
      latency_ms: i % 2 === 0 ? 10 : 20,
      request: { dataframe_records: [{ tenure: i }] },
      response: { predictions: [{ label: p >= 0.5 ? 1 : 0, probabilities: [1 - p, p] }] },
    }));
    records.push({ request_id: "bad", time: t0 + 500, model_name: "churn", model_version: "5", status: 400, latency_ms: 1, request: "{", response: { error_code: "BAD_REQUEST" } } as never);
    await call("POST", "/monitoring/inference", { records });

    // Labels: the first 100 by JSON, the next 50 by CSV; the last 50 never arrive.
    await call("POST", "/monitoring/labels", { labels: truth.slice(0, 100).map((y, i) => ({ request_id: `r${i}`, label: y })) });
    const csv = `request_id,label\n${truth.slice(100, 150).map((y, i) => `r${i + 100},${y}`).join("\n")}\n`;
    const up = await fx.request("POST", `${CICLO}/monitoring/labels/upload`, csv, { "content-type": "text/csv" });
    assert.equal(up.status, 200, up.text);
    assert.equal(up.json.written, 50);

    // A file with one bad row writes nothing.
    const before = await fx.snapshotTables(["monitoring_labels"]);
    const bad = await fx.request("POST", `${CICLO}/monitoring/labels/upload`, "request_id,label\nr190,1\n,0\n", { "content-type": "text/csv" });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error_code, "INVALID_PARAMETER_VALUE");
    assert.deepEqual(await fx.snapshotTables(["monitoring_labels"]), before);
    const noCols = await fx.request("POST", `${CICLO}/monitoring/labels/upload`, "id,y\n1,2\n", { "content-type": "text/csv" });
    assert.equal(noCols.status, 400);
    assert.match(noCols.json.message, /request_id.*label/);

    const { monitor } = await call("POST", "/monitoring/monitors", {
      name: "churn-perf",
      spec: {
        target: { model_name: "churn" },
        window_seconds: 3600,
        every_seconds: 3600,
        performance: { task: "classification", prediction_column: "prediction.label", proba_column: "prediction.probabilities.1", positive_label: 1, thresholds: { accuracy_score: { min: 0.9 } } },
        operations: { max_error_rate: 0.5 },
        alerts: [{ name: "perf", when: "performance", action: { pipeline: "retrain-churn" } }],
      },
    });
    const r = await call("POST", `/monitoring/monitors/${monitor.name}/run`, { window_end: t0 + 3600_000, wait: true });
    const v = (m: string) => r.points.find((p: { metric: string }) => p.metric === m);

    // Measured: accuracy over the 150 labelled rows, computed here directly.
    const labelled = truth.slice(0, 150);
    const direct = labelled.filter((y, i) => y === (probs[i] >= 0.5 ? 1 : 0)).length / labelled.length;
    assert.equal(v("perf.labelled_rows").value, 150);
    assert.ok(Math.abs(v("perf.accuracy_score").value - direct) < 1e-12);
    assert.equal(v("perf.accuracy_score").flagged, true, "below its 0.9 minimum");

    // Estimated: CBPE's accuracy is the mean of max(p, 1 − p) over all 200 predictions.
    const expected = probs.reduce((s, p) => s + Math.max(p, 1 - p), 0) / probs.length;
    assert.ok(Math.abs(v("cbpe.accuracy").value - expected) < 1e-12);
    const est = cbpeBinary(probs)!;
    assert.ok(Math.abs(v("cbpe.f1").value - est.f1) < 1e-12);

    // Operations: 201 requests, one error; latency per version.
    assert.equal(v("ops.requests").value, 201);
    assert.ok(Math.abs(v("ops.error_rate").value - 1 / 201) < 1e-12);
    assert.equal(v("ops.latency_p50_ms@v4").value, 10);
    assert.equal(v("ops.latency_p50_ms@v5").value, 20);
    assert.equal(v("ops.error_rate").flagged, false);

    // The performance rule opens an incident; its action cannot run without a job runner and says so.
    const { alerts } = await call("GET", `/monitoring/monitors/${monitor.name}/alerts`);
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0].state, "firing");
    assert.match(alerts[0].delivery, /action failed: no job runner/);

    // Retention: segments past it go, files and index rows; labels too.
    const { segments } = await call("GET", "/monitoring/segments", { model_name: "churn" });
    assert.ok(segments.length >= 1);
    const files = segments.map((x: { path: string }) => join(fx.artifactsDir, x.path));
    assert.ok(files.every((f: string) => existsSync(f)));
    const gone = await moduleServices(fx.app).monitoring!.service.retention(60_000);
    // Labels age from when they arrived (just now), so they stay.
    assert.deepEqual(gone, { segments: segments.length, labels: 0, fileErrors: 0 });
    assert.ok(files.every((f: string) => !existsSync(f)));
    assert.equal((await call("GET", "/monitoring/segments", { model_name: "churn" })).segments.length, 0);
  });

  it("records of a named dataset are filed under it and listed by it", async () => {
    const now = Date.now();
    const records = [0, 1, 2].map((i) => ({ request_id: `d${i}`, time: now + i, model_name: "scorer", model_version: "2", dataset: "nightly", status: 200, latency_ms: 0, request: { inputs: { x: [i, i + 1] } }, response: { predictions: [i, i] } }));
    await call("POST", "/monitoring/inference", { records: [...records, { ...records[0], request_id: "plain", dataset: undefined }] });
    await call("POST", "/monitoring/inference/flush");
    const { segments } = await call("GET", "/monitoring/segments", { dataset: "nightly" });
    assert.equal(segments.length, 1);
    assert.deepEqual([segments[0].dataset, segments[0].model_name, segments[0].requests, segments[0].rows], ["nightly", "scorer", 3, 6]);
    assert.match(segments[0].path, /^monitoring\/inference\/datasets\/nightly\/2\//);
    const all = (await call("GET", "/monitoring/segments", { model_name: "scorer" })).segments;
    assert.deepEqual(all.map((x: { dataset?: string }) => x.dataset ?? null).sort(), ["nightly", null]);
  });

  it("monitor specs are checked whole: bad ones are refused with what to fix, nothing stored", async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ target: { model_name: "m" }, window_seconds: 0, every_seconds: 60 }, /window_seconds|must be >= 1/],
      [{ target: { model_name: "m" }, window_seconds: 60, every_seconds: 60, drift: { tests: { a: "nope" } } }, /Unknown drift test 'nope'/],
      [{ target: { model_name: "m" }, window_seconds: 60, every_seconds: 60, alerts: [{ name: "x", when: "any", webhook: { url: "file:///etc/passwd" } }] }, /http\(s\)/],
      [{ target: { model_name: "m" }, window_seconds: 60, every_seconds: 60, alerts: [{ name: "x", when: "any", webhook: { url: "http://u:p@example.com/" } }] }, /credentials/],
      [{ target: { model_name: "m" }, window_seconds: 60, every_seconds: 60, reference_profile: "../../etc/passwd" }, /relative path/],
      [{ target: { model_name: "m" }, window_seconds: 60, every_seconds: 60, reference_profile: "monitoring/references/none.json" }, /No reference profile/],
      [{ target: {}, window_seconds: 60, every_seconds: 60 }, /needs a model_name, an endpoint .* or a dataset/],
      [{ target: { deployment: "blue" }, window_seconds: 60, every_seconds: 60 }, /needs its endpoint/],
      [{ target: { endpoint: "api", model_version: "3" }, window_seconds: 60, every_seconds: 60 }, /need target.model_name/],
      [{ target: { endpoint: "api", dataset: "nightly" }, window_seconds: 60, every_seconds: 60 }, /an endpoint or a dataset, not both/],
    ];
    for (const [spec, re] of cases) {
      const r = await fx.call("POST", "/monitoring/monitors", { name: "bad", spec }, { prefix: CICLO });
      assert.equal(r.status, 400, JSON.stringify(spec));
      assert.equal(r.json.error_code, "INVALID_PARAMETER_VALUE");
      assert.match(r.json.message, re);
    }
    const { monitors } = await call("GET", "/monitoring/monitors");
    assert.ok(!monitors.some((m: { name: string }) => m.name === "bad"));
  });
  });
}
