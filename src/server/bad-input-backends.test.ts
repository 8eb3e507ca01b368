/**
 * Search input whose fate depends on the SQL engine, run against SQLite and
 * (when reachable) PostgreSQL: odd numeric bounds, NUL characters, LIKE
 * escapes. Each must give MLflow's answer or a 400 — never a 500.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createTestDatabase, postgresUnavailable } from "../testing/postgres-fixture.js";
import { assertError, openTestApp, type TestApp } from "../testing/test-app.js";

const backends: Array<{ name: string; open: () => Promise<TestApp | undefined> }> = [
  { name: "sqlite", open: () => openTestApp() },
  {
    name: "postgresql",
    open: async () => {
      if (await postgresUnavailable()) return undefined;
      const db = await createTestDatabase();
      return openTestApp({ backend: db.uri, onClose: () => db.drop() });
    },
  },
];

for (const backend of backends) {
  describe(`backend-sensitive search input: ${backend.name}`, () => {
    let fx: TestApp | undefined;
    let exp: string;
    before(async () => {
      fx = await backend.open();
      if (!fx) return;
      exp = await fx.createExperiment("edge");
      for (const t of [1000, 1001, 1002]) await fx.createRun(exp, { run_name: `t${t}`, start_time: t });
    });
    after(async () => {
      await fx?.close();
    });
    const it = (name: string, fn: (fx: TestApp) => Promise<void>) =>
      test(name, async (t) => {
        if (!fx) return t.skip("PostgreSQL unavailable");
        await fn(fx);
      });
    const runNames = async (app: TestApp, filter: string) => {
      const r = await app.post("/runs/search", { experiment_ids: [exp], filter, order_by: ["attributes.start_time ASC"] });
      assert.equal(r.status, 200, `${filter}: ${r.text}`);
      return (r.json.runs ?? []).map((run: { info: { run_name: string } }) => run.info.run_name);
    };

    it("fractional and out-of-range bounds on integer attributes compare numerically, as in MLflow", async (app) => {
      const cases: Array<[string, string[]]> = [
        ["attributes.start_time > 1000.5", ["t1001", "t1002"]],
        ["attributes.start_time >= 1000.5", ["t1001", "t1002"]],
        ["attributes.start_time < 1001.5", ["t1000", "t1001"]],
        ["attributes.start_time <= 1001.5", ["t1000", "t1001"]],
        ["attributes.start_time = 1001.5", []],
        ["attributes.start_time != 1001.5", ["t1000", "t1001", "t1002"]],
        ["attributes.start_time > 1e30", []],
        ["attributes.start_time < 1e30", ["t1000", "t1001", "t1002"]],
        ["attributes.start_time >= -1e30", ["t1000", "t1001", "t1002"]],
        ["attributes.start_time = 99999999999999999999", []],
        ["attributes.start_time > 1e999", []],
        ["attributes.end_time != 0.5", []], // running runs have no end_time
        ["attributes.start_time > 1000.5 AND attributes.start_time < 1002", ["t1001"]],
      ];
      for (const [filter, expected] of cases) assert.deepEqual(await runNames(app, filter), expected, filter);
    });

    it("experiment time attributes take the same bounds", async (app) => {
      const ids = async (filter: string) => {
        const r = await app.post("/experiments/search", { filter });
        assert.equal(r.status, 200, `${filter}: ${r.text}`);
        return (r.json.experiments ?? []).map((e: { experiment_id: string }) => e.experiment_id);
      };
      assert.deepEqual(await ids("creation_time > 99999999999999999999"), []);
      assert.ok((await ids("creation_time < 1e30 AND name = 'edge'")).includes(exp));
      assert.deepEqual(await ids("last_update_time = 0.5"), []);
      assert.ok((await ids("last_update_time != 0.5 AND name = 'edge'")).includes(exp));
    });

    it("a NUL character in a filter or order_by is a 400", async (app) => {
      assertError(await app.post("/runs/search", { experiment_ids: [exp], filter: "params.p = 'a\u0000b'" }), 400, "INVALID_PARAMETER_VALUE", /NUL/);
      assertError(await app.post("/runs/search", { experiment_ids: [exp], order_by: ["params.`a\u0000` DESC"] }), 400, "INVALID_PARAMETER_VALUE", /NUL/);
      assertError(await app.get("/experiments/search", { filter: "name = '\u0000'" }), 400, "INVALID_PARAMETER_VALUE", /NUL/);
    });

    it("a LIKE pattern ending in a lone escape character is a 400; an escaped backslash is data", async (app) => {
      for (const filter of ["tags.`mlflow.runName` LIKE 't1000\\'", "tags.`mlflow.runName` ILIKE '\\'", "params.p LIKE 'a\\\\\\'"]) {
        assertError(await app.post("/runs/search", { experiment_ids: [exp], filter }), 400, "INVALID_PARAMETER_VALUE", /escape character/);
      }
      assertError(await app.post("/experiments/search", { filter: "name LIKE 'edge\\'" }), 400, "INVALID_PARAMETER_VALUE", /escape character/);
      const escaped = await app.post("/runs/search", { experiment_ids: [exp], filter: "tags.`mlflow.runName` LIKE 't1000\\\\'" });
      assert.equal(escaped.status, 200, escaped.text);
      assert.deepEqual(escaped.json, {});
      assert.deepEqual(await runNames(app, "tags.`mlflow.runName` LIKE 't100\\_'"), []);
      assert.deepEqual(await runNames(app, "tags.`mlflow.runName` LIKE 't100_'"), ["t1000", "t1001", "t1002"]);
    });

    it("values longer than their varchar columns are a 400 before reaching SQL; at the limit they fit", async (app) => {
      const limitsExp = await app.createExperiment(app.uniq("limits"));
      assertError(await app.post("/runs/create", { experiment_id: limitsExp, user_id: "u".repeat(257) }), 400, "INVALID_PARAMETER_VALUE", /^User id 'u+' had length 257, which exceeded length limit of 256$/);
      assertError(await app.post("/runs/create", { experiment_id: limitsExp, tags: [{ key: "mlflow.user", value: "u".repeat(257) }] }), 400, "INVALID_PARAMETER_VALUE", /limit of 256$/);
      const none = await app.post("/runs/search", { experiment_ids: [limitsExp], run_view_type: "ALL" });
      assert.deepEqual(none.json, {}, "no run was created");
      const run = await app.createRun(limitsExp, { user_id: "u".repeat(256) });
      assert.equal((await app.getRun(run)).info.user_id.length, 256);

      const dataset = (sourceType: string) => ({ name: "d", digest: "x", source_type: sourceType, source: "s" });
      assertError(await app.post("/runs/log-inputs", { run_id: run, datasets: [{ dataset: dataset("s".repeat(37)) }] }), 400, "INVALID_PARAMETER_VALUE", "Dataset source_type exceeds the maximum length of 36");
      assert.deepEqual((await app.getRun(run)).inputs, {});
      assert.equal((await app.post("/runs/log-inputs", { run_id: run, datasets: [{ dataset: dataset("s".repeat(36)) }] })).status, 200);

      // MLflow 3.x metric links.
      for (const [field, limit] of [["model_id", 64], ["dataset_name", 500], ["dataset_digest", 36]] as const) {
        const message = `'${field}' exceeds the maximum length of ${limit} characters`;
        const point = (n: number) => ({ key: "m", value: 1, timestamp: n, [field]: "x".repeat(n) });
        assertError(await app.post("/runs/log-metric", { run_id: run, ...point(limit + 1) }), 400, "INVALID_PARAMETER_VALUE", message);
        assertError(await app.post("/runs/log-batch", { run_id: run, metrics: [point(limit + 1)] }), 400, "INVALID_PARAMETER_VALUE", message);
        assert.equal((await app.post("/runs/log-metric", { run_id: run, ...point(limit) })).status, 200);
      }
      const history = (await app.get("/metrics/get-history", { run_id: run, metric_key: "m" })).json.metrics;
      assert.deepEqual(history.map((m: { timestamp: number }) => m.timestamp), [36, 64, 500]);
    });

    it(
      "an experiment id past 32 bits is unknown, not a server error",
      async (app) => {
        // experimentIdNumber() accepts up to 15 digits; PostgreSQL's int4 experiment_id overflows past 2^31-1.
        assertError(await app.get("/experiments/get", { experiment_id: "2147483648" }), 404, "RESOURCE_DOES_NOT_EXIST");
        assertError(await app.post("/runs/create", { experiment_id: "2147483648" }), 404, "RESOURCE_DOES_NOT_EXIST");
        const r = await app.post("/runs/search", { experiment_ids: ["99999999999"] });
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(r.json, {});
      },
    );

    it(
      "a NUL character in an id, name or value is a 4xx, not a server error",
      async (app) => {
        // PostgreSQL text cannot hold NUL; the driver error escapes as a 500.
        const run = await app.createRun(exp);
        const nul = "a\u0000b";
        for (const [label, r] of [
          ["runs/get", await app.get("/runs/get", { run_id: nul })],
          ["experiments/get-by-name", await app.get("/experiments/get-by-name", { experiment_name: nul })],
          ["log-parameter", await app.post("/runs/log-parameter", { run_id: run, key: "p", value: nul })],
          ["set-tag", await app.post("/runs/set-tag", { run_id: run, key: "t", value: nul })],
          ["experiments/create", await app.post("/experiments/create", { name: nul })],
        ] as const) {
          assert.ok(r.status < 500, `${label}: ${r.status} ${r.text}`);
        }
      },
    );

    it(
      "order_by on a metric puts values first, then NaN, then runs without the metric (MLflow's order)",
      async (app) => {
        // run-search.ts stores NaN as NULL in latest_metrics, so NaN and missing tie and fall back to start_time.
        const orderExp = await app.createExperiment(app.uniq("nan-order"));
        const log = (id: string, value: number | string) => app.post("/runs/log-metric", { run_id: id, key: "m", value, timestamp: 1 });
        await log(await app.createRun(orderExp, { run_name: "one", start_time: 1 }), 1);
        await log(await app.createRun(orderExp, { run_name: "nan", start_time: 2 }), "NaN");
        await app.createRun(orderExp, { run_name: "missing", start_time: 3 });
        for (const dir of ["ASC", "DESC"]) {
          const r = await app.post("/runs/search", { experiment_ids: [orderExp], order_by: [`metrics.m ${dir}`] });
          assert.deepEqual(r.json.runs.map((x: { info: { run_name: string } }) => x.info.run_name), ["one", "nan", "missing"], dir);
        }
      },
    );
  });
}
