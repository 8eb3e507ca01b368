/**
 * HTTP tests of metric logging and `/mlflow/metrics/*`: non-finite values on
 * the wire, history paging, the downsampled bulk-interval view and the UI's
 * older get-history-bulk.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { AJAX, assertEmptyOk, assertError, openTestApp, PREFIXES, type Query, type TestApp } from "../../testing/test-app.js";

type Point = { key: string; value: number | string; timestamp: number; step: number; run_id?: string };

describe("metrics routes", () => {
  let fx: TestApp;
  let exp: string;
  before(async () => {
    fx = await openTestApp();
    exp = await fx.createExperiment("metrics-tests");
  });
  after(async () => {
    await fx.close();
  });

  const logSeries = async (runId: string, key: string, values: number[], firstStep = 0) => {
    const metrics = values.map((value, i) => ({ key, value, timestamp: 1000 + i, step: firstStep + i }));
    for (let i = 0; i < metrics.length; i += 1000) {
      assertEmptyOk(await fx.post("/runs/log-batch", { run_id: runId, metrics: metrics.slice(i, i + 1000) }));
    }
  };

  describe("non-finite values", () => {
    test('"NaN", "Infinity", "-Infinity" strings are stored and returned as those strings', async () => {
      const id = await fx.createRun(exp);
      for (const [key, value] of [["nan", "NaN"], ["inf", "Infinity"], ["ninf", "-Infinity"]] as const) {
        assertEmptyOk(await fx.post("/runs/log-metric", { run_id: id, key, value, timestamp: 5, step: 1 }));
      }
      const metrics = (await fx.getRun(id)).data.metrics;
      assert.deepEqual(metrics, [
        { key: "inf", value: "Infinity", timestamp: 5, step: 1 },
        { key: "nan", value: "NaN", timestamp: 5, step: 1 },
        { key: "ninf", value: "-Infinity", timestamp: 5, step: 1 },
      ]);
      const history = await fx.get("/metrics/get-history", { run_id: id, metric_key: "nan" });
      assert.deepEqual(history.json, { metrics: [{ key: "nan", value: "NaN", timestamp: 5, step: 1 }] });
    });

    test("bare NaN / Infinity / -Infinity tokens (Python's json.dumps) are accepted, in log-metric and log-batch", async () => {
      const id = await fx.createRun(exp);
      assertEmptyOk(await fx.post("/runs/log-metric", `{"run_id": "${id}", "key": "a", "value": NaN, "timestamp": 1, "step": 0}`));
      assertEmptyOk(
        await fx.post(
          "/runs/log-batch",
          `{"run_id": "${id}", "metrics": [{"key": "b", "value": Infinity, "timestamp": 1, "step": 0},` +
            ` {"key": "c", "value": -Infinity, "timestamp": 1, "step": 0}, {"key": "d NaN Infinity", "value": 1, "timestamp": 1}]}`,
        ),
      );
      const values = Object.fromEntries((await fx.getRun(id)).data.metrics.map((m: Point) => [m.key, m.value]));
      // A token inside a string stays text.
      assert.deepEqual(values, { a: "NaN", b: "Infinity", c: "-Infinity", "d NaN Infinity": 1 });
      const bulk = await fx.get("/metrics/get-history-bulk-interval", { run_ids: id, metric_key: "c" });
      assert.deepEqual(bulk.json.metrics, [{ key: "c", value: "-Infinity", timestamp: 1, step: 0, run_id: id }]);
    });
  });

  test("numeric strings for value, timestamp and step are accepted (proto JSON); step defaults to 0", async () => {
    const id = await fx.createRun(exp);
    assertEmptyOk(await fx.post("/runs/log-metric", { run_id: id, key: "s", value: "2.5", timestamp: "1700000000000", step: "3" }));
    assertEmptyOk(await fx.post("/runs/log-metric", { run_id: id, key: "d", value: 1, timestamp: 7 }));
    const metrics = (await fx.getRun(id)).data.metrics;
    assert.deepEqual(metrics, [
      { key: "d", value: 1, timestamp: 7, step: 0 },
      { key: "s", value: 2.5, timestamp: 1_700_000_000_000, step: 3 },
    ]);
  });

  test("runs/get reports the latest point by (step, timestamp, value); identical points are kept once", async () => {
    const id = await fx.createRun(exp);
    const log = (value: number, timestamp: number, step: number) =>
      fx.post("/runs/log-metric", { run_id: id, run_uuid: id, key: "m", value, timestamp, step });
    assertEmptyOk(await log(1, 100, 5));
    assertEmptyOk(await log(2, 999, 4)); // a later timestamp at an earlier step is not the latest
    assertEmptyOk(await log(3, 50, 5)); // same step, earlier timestamp
    assertEmptyOk(await log(1, 100, 5)); // identical: deduplicated
    assert.deepEqual((await fx.getRun(id)).data.metrics, [{ key: "m", value: 1, timestamp: 100, step: 5 }]);
    const history = (await fx.get("/metrics/get-history", { run_id: id, metric_key: "m" })).json.metrics;
    assert.deepEqual(history, [
      { key: "m", value: 2, timestamp: 999, step: 4 },
      { key: "m", value: 3, timestamp: 50, step: 5 },
      { key: "m", value: 1, timestamp: 100, step: 5 },
    ]);
  });

  describe("get-history", () => {
    let id: string;
    before(async () => {
      id = await fx.createRun(exp);
      await logSeries(id, "loss", [9, 8, 7, 6, 5, 4, 3]);
    });

    for (const prefix of PREFIXES) {
      test(`returns the whole history without max_results, with no token (${prefix})`, async () => {
        const r = await fx.get("/metrics/get-history", `run_uuid=${id}&run_id=${id}&metric_key=loss`, { prefix });
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(Object.keys(r.json), ["metrics"]);
        assert.deepEqual(
          r.json.metrics.map((m: Point) => m.value),
          [9, 8, 7, 6, 5, 4, 3],
        );
        assert.deepEqual(r.json.metrics[0], { key: "loss", value: 9, timestamp: 1000, step: 0 });
      });
    }

    test("pages with max_results and page_token", async () => {
      const steps: number[] = [];
      const sizes: number[] = [];
      let token: string | undefined;
      do {
        const r = await fx.get("/metrics/get-history", { run_id: id, metric_key: "loss", max_results: 3, ...(token ? { page_token: token } : {}) });
        assert.equal(r.status, 200, r.text);
        sizes.push(r.json.metrics.length);
        steps.push(...r.json.metrics.map((m: Point) => m.step));
        token = r.json.next_page_token;
      } while (token && sizes.length < 10);
      assert.deepEqual(sizes, [3, 3, 1]);
      assert.deepEqual(steps, [0, 1, 2, 3, 4, 5, 6]);
    });

    test("an exactly full last page carries no token", async () => {
      const first = await fx.get("/metrics/get-history", { run_id: id, metric_key: "loss", max_results: 7 });
      assert.equal(first.json.metrics.length, 7);
      assert.equal(first.json.next_page_token, undefined);
    });

    test("the Python client's max_results=25000 returns everything", async () => {
      const r = await fx.get("/metrics/get-history", { run_uuid: id, run_id: id, metric_key: "loss", max_results: 25000 });
      assert.equal(r.json.metrics.length, 7);
    });

    test("an unknown metric key gives {}", async () => {
      const r = await fx.get("/metrics/get-history", { run_id: id, metric_key: "nope" });
      assert.equal(r.status, 200);
      assert.deepEqual(r.json, {});
    });

    test("a page token cannot be reused for another metric key", async () => {
      const r = await fx.get("/metrics/get-history", { run_id: id, metric_key: "loss", max_results: 2 });
      const other = await fx.get("/metrics/get-history", { run_id: id, metric_key: "nope", page_token: r.json.next_page_token });
      assertError(other, 400, "INVALID_PARAMETER_VALUE", /page token/);
    });
  });

  describe("get-history-bulk-interval", () => {
    let a: string;
    let b: string;
    before(async () => {
      a = await fx.createRun(exp);
      b = await fx.createRun(exp);
      await logSeries(a, "acc", [0.1, 0.2, 0.3]);
      await logSeries(b, "acc", [0.5, 0.6], 10);
    });

    test("returns points of every run in the order of run_ids, each with its run_id", async () => {
      const r = await fx.get("/metrics/get-history-bulk-interval", `run_ids=${b}&run_ids=${a}&metric_key=acc`);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json, {
        metrics: [
          { key: "acc", value: 0.5, timestamp: 1000, step: 10, run_id: b },
          { key: "acc", value: 0.6, timestamp: 1001, step: 11, run_id: b },
          { key: "acc", value: 0.1, timestamp: 1000, step: 0, run_id: a },
          { key: "acc", value: 0.2, timestamp: 1001, step: 1, run_id: a },
          { key: "acc", value: 0.3, timestamp: 1002, step: 2, run_id: a },
        ],
      });
    });

    test("start_step and end_step bound the steps, inclusive", async () => {
      const r = await fx.get("/metrics/get-history-bulk-interval", { run_ids: [a, b], metric_key: "acc", start_step: 1, end_step: 10 });
      assert.deepEqual(
        r.json.metrics.map((m: Point) => [m.run_id, m.step]),
        [[a, 1], [a, 2], [b, 10]],
      );
    });

    test("downsamples to about max_results per run, keeping first, last, minimum and maximum", async () => {
      const id = await fx.createRun(exp);
      const values = Array.from({ length: 3000 }, (_, i) => Math.sin(i / 50));
      values[1234] = 99; // a spike
      values[2345] = -99; // a dip
      await logSeries(id, "wave", values);
      const r = await fx.get("/metrics/get-history-bulk-interval", { run_ids: id, metric_key: "wave", max_results: 100 });
      assert.equal(r.status, 200, r.text);
      const points: Point[] = r.json.metrics;
      assert.ok(points.length <= 100 && points.length >= 50, `got ${points.length} points`);
      const steps = points.map((p) => p.step);
      assert.deepEqual([...steps].sort((x, y) => x - y), steps, "ordered by step");
      assert.equal(steps[0], 0);
      assert.equal(steps[steps.length - 1], 2999);
      assert.ok(points.some((p) => p.step === 1234 && p.value === 99), "spike kept");
      assert.ok(points.some((p) => p.step === 2345 && p.value === -99), "dip kept");
    });

    test("without max_results, up to 2500 points per run come back", async () => {
      const id = await fx.createRun(exp);
      await logSeries(id, "n", Array.from({ length: 2500 }, (_, i) => i));
      const r = await fx.get("/metrics/get-history-bulk-interval", { run_ids: id, metric_key: "n" });
      assert.equal(r.json.metrics.length, 2500);
    });

    test("validates with MLflow's messages", async () => {
      const ids = Array.from({ length: 101 }, (_, i) => `run${i}`);
      assertError(
        await fx.get("/metrics/get-history-bulk-interval", { run_ids: ids, metric_key: "acc" }),
        400,
        "INVALID_PARAMETER_VALUE",
        "GetMetricHistoryBulkInterval request must specify at most 100 run_ids. Received 101 run_ids.",
      );
      for (const max of [0, 2501]) {
        assertError(
          await fx.get("/metrics/get-history-bulk-interval", { run_ids: a, metric_key: "acc", max_results: max }),
          400,
          "INVALID_PARAMETER_VALUE",
          "max_results must be between 1 and 2500.",
        );
      }
      for (const only of [{ start_step: 1 }, { end_step: 1 }] as Query[]) {
        assertError(
          await fx.get("/metrics/get-history-bulk-interval", { run_ids: a, metric_key: "acc", ...only }),
          400,
          "INVALID_PARAMETER_VALUE",
          "If either start step or end step are specified, both must be specified.",
        );
      }
      assertError(
        await fx.get("/metrics/get-history-bulk-interval", { run_ids: a, metric_key: "acc", start_step: 5, end_step: 2 }),
        400,
        "INVALID_PARAMETER_VALUE",
        "end_step must be greater than start_step. Found start_step=5 and end_step=2.",
      );
      assertError(
        await fx.get("/metrics/get-history-bulk-interval", { metric_key: "acc" }),
        400,
        "INVALID_PARAMETER_VALUE",
        /^Missing value for required parameter 'run_ids'\./,
      );
      assertError(
        await fx.get("/metrics/get-history-bulk-interval", { run_ids: a }),
        400,
        "INVALID_PARAMETER_VALUE",
        /^Missing value for required parameter 'metric_key'\./,
      );
    });
  });

  describe("bulk-interval over long histories on SQLite", () => {
    const longRuns = async (n: number) => {
      const ids: string[] = [];
      for (let r = 0; r < n; r++) {
        const id = await fx.createRun(exp);
        await logSeries(id, "long", Array.from({ length: 3000 }, (_, i) => Math.sin(i + r)));
        ids.push(id);
      }
      return ids;
    };

    test("other work gets turns between runs (SQLite answers synchronously)", async () => {
      const ids = await longRuns(3);
      const order: string[] = [];
      const bulk = fx.tracking.getMetricHistoryBulkInterval({ runIds: ids, metricKey: "long", maxResults: 100 }).then((points) => {
        order.push("bulk");
        return points;
      });
      setImmediate(() => order.push("a macrotask queued after the request"));
      const points = await bulk;
      assert.equal(new Set(points.map((p) => p.runId)).size, 3);
      assert.deepEqual(order, ["a macrotask queued after the request", "bulk"]);
    });

    test("an aborted request stops before its next run and rejects with the signal's reason", async () => {
      const ids = await longRuns(2);
      const gone = new AbortController();
      gone.abort();
      await assert.rejects(
        fx.tracking.getMetricHistoryBulkInterval({ runIds: ids, metricKey: "long", maxResults: 100, signal: gone.signal }),
        (err: Error) => err.name === "AbortError",
      );
      const all = await fx.tracking.getMetricHistoryBulkInterval({ runIds: ids, metricKey: "long", maxResults: 100 });
      assert.equal(new Set(all.map((p) => p.runId)).size, 2);
    });
  });

  describe("ajax get-history-bulk (the UI's older call)", () => {
    test("returns the full history of each run (repeated run_id) with run_id on every point", async () => {
      const a = await fx.createRun(exp);
      const b = await fx.createRun(exp);
      await logSeries(a, "f1", [1, 2]);
      await logSeries(b, "f1", [3]);
      const r = await fx.get("/metrics/get-history-bulk", `run_id=${a}&run_id=${b}&metric_key=f1`, { prefix: AJAX });
      assert.equal(r.status, 200, r.text);
      // MLflow compat (SqlAlchemyStore.get_metric_history_bulk): runs in run-id order.
      const ofA = [{ key: "f1", value: 1, timestamp: 1000, step: 0, run_id: a }, { key: "f1", value: 2, timestamp: 1001, step: 1, run_id: a }];
      const ofB = [{ key: "f1", value: 3, timestamp: 1000, step: 0, run_id: b }];
      assert.deepEqual(r.json.metrics, a < b ? [...ofA, ...ofB] : [...ofB, ...ofA]);
      const unknown = await fx.get("/metrics/get-history-bulk", { run_id: ["0123456789abcdef0123456789abcdef"], metric_key: "f1" }, { prefix: AJAX });
      assert.equal(unknown.status, 200, unknown.text);
      assertError(await fx.get("/metrics/get-history-bulk", { metric_key: "f1" }, { prefix: AJAX }), 400, "INVALID_PARAMETER_VALUE", "GetMetricHistoryBulk request must specify at least one run_id.");
      assertError(await fx.get("/metrics/get-history-bulk", { run_id: [a] }, { prefix: AJAX }), 400, "INVALID_PARAMETER_VALUE", "GetMetricHistoryBulk request must specify a metric_key.");
      const capped = await fx.get("/metrics/get-history-bulk", { run_id: [a, b], metric_key: "f1", max_results: 2 }, { prefix: AJAX });
      assert.equal(capped.json.metrics.length, 2);
    });

    test("rejects more than 100 run ids with MLflow's message", async () => {
      const ids = Array.from({ length: 101 }, (_, i) => `run${i}`);
      assertError(
        await fx.get("/metrics/get-history-bulk", { run_id: ids, metric_key: "f1" }, { prefix: AJAX }),
        400,
        "INVALID_PARAMETER_VALUE",
        "GetMetricHistoryBulk request cannot specify more than 100 run_ids. Received 101 run_ids.",
      );
    });
  });
});
