/**
 * ciclo's tracking views over HTTP on SQLite and PostgreSQL: experiment
 * summaries, distinct keys, counts, group-by aggregates, the CSV export, and
 * the clear 400s a bad request gets.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { FastifyInstance } from "fastify";
import { backendTests } from "../../testing/backend-tests.js";
import { createTestDatabase, postgresUnavailable } from "../../testing/postgres-fixture.js";
import { openTestApp } from "../../testing/test-app.js";
import { trackingModule } from "./tracking-module.js";

const MLFLOW = "/api/2.0/mlflow";
const CICLO = "/api/ciclo/v1";

interface Fixture {
  app: FastifyInstance;
  call(method: "GET" | "POST", url: string, body?: unknown): Promise<{ status: number; json: any; text: string; headers: Record<string, unknown> }>;
  close(): Promise<void>;
}

async function openFixture(uri: string | undefined, cleanup: () => Promise<void>): Promise<Fixture> {
  const fx = await openTestApp({ modules: [trackingModule()], backend: uri, onClose: cleanup });
  const app = fx.app;
  return {
    app,
    async call(method, url, body) {
      const res = await app.inject({ method, url, payload: body === undefined ? undefined : JSON.stringify(body), headers: body === undefined ? {} : { "content-type": "application/json" } });
      let json: unknown;
      try {
        json = JSON.parse(res.body);
      } catch {
        json = undefined;
      }
      return { status: res.statusCode, json, text: res.body, headers: res.headers };
    },
    close: () => fx.close(),
  };
}

/** Two experiments: "alpha" with 5 runs (lr 0.1 ×3, 0.01 ×2; one without loss; one deleted), "beta" with 2. */
async function seed(fx: Fixture): Promise<{ alpha: string; beta: string; empty: string; runs: string[] }> {
  const exp = async (name: string) => (await fx.call("POST", `${MLFLOW}/experiments/create`, { name })).json.experiment_id as string;
  const alpha = await exp("alpha");
  const beta = await exp("beta");
  const empty = await exp("empty");
  const runs: string[] = [];
  const make = async (experiment: string, start: number, lr: string | undefined, loss: number | undefined, team: string) => {
    const r = await fx.call("POST", `${MLFLOW}/runs/create`, { experiment_id: experiment, start_time: start, run_name: `r${runs.length}` });
    assert.equal(r.status, 200, r.text);
    const id = r.json.run.info.run_id as string;
    runs.push(id);
    const batch = await fx.call("POST", `${MLFLOW}/runs/log-batch`, {
      run_id: id,
      params: lr === undefined ? [] : [{ key: "lr", value: lr }],
      metrics: loss === undefined ? [] : [{ key: "loss", value: loss, timestamp: start, step: 0 }],
      tags: [{ key: "team", value: team }],
    });
    assert.equal(batch.status, 200, batch.text);
    return id;
  };
  await make(alpha, 1000, "0.1", 1, "a");
  await make(alpha, 2000, "0.1", 3, "a");
  await make(alpha, 3000, "0.1", undefined, "b");
  await make(alpha, 4000, "0.01", 0.5, "b");
  const deleted = await make(alpha, 5000, "0.01", 9, "b");
  assert.equal((await fx.call("POST", `${MLFLOW}/runs/delete`, { run_id: deleted })).status, 200);
  await make(beta, 6000, undefined, 2, "c");
  const last = await make(beta, 7000, "0.5", 4, "c");
  assert.equal((await fx.call("POST", `${MLFLOW}/runs/update`, { run_id: last, status: "FINISHED", end_time: 9000 })).status, 200);
  return { alpha, beta, empty, runs };
}

function backendSuite(backend: string, open: () => Promise<Fixture | undefined>): void {
  describe(`ciclo tracking views (${backend})`, () => {
    let ids: Awaited<ReturnType<typeof seed>>;
    const it = backendTests({ open, close: (f) => f.close(), ready: async (f) => void (ids = await seed(f)) });

    it("experiments/summary counts active and deleted runs and the last activity, in SQL", async (f) => {
      const r = await f.call("GET", `${CICLO}/experiments/summary?experiment_ids=${ids.alpha}&experiment_ids=${ids.beta}&experiment_ids=${ids.empty}&experiment_ids=424242`);
      assert.equal(r.status, 200, r.text);
      const by = Object.fromEntries(r.json.experiments.map((e: any) => [e.experiment_id, e]));
      assert.deepEqual(Object.keys(by).sort(), [ids.alpha, ids.beta, ids.empty].sort());
      assert.equal(by[ids.alpha].active_run_count, 4);
      assert.equal(by[ids.alpha].deleted_run_count, 1);
      assert.equal(by[ids.beta].active_run_count, 2);
      assert.equal(by[ids.empty].active_run_count, 0);
      assert.equal(by[ids.empty].last_activity, undefined);
      // The run's updates touch the experiment's last_update_time? No: activity is the max of run times and that.
      assert.ok(by[ids.beta].last_activity >= 9000, r.text);
      const one = await f.call("GET", `${CICLO}/experiments/summary?experiment_ids=${ids.beta}`);
      assert.equal(one.json.experiments.length, 1);
    });

    it("runs/keys lists distinct keys of the chosen experiments only, sorted", async (f) => {
      const r = await f.call("POST", `${CICLO}/runs/keys`, { experiment_ids: [ids.alpha] });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json.params, ["lr"]);
      assert.deepEqual(r.json.metrics, ["loss"]);
      assert.ok(r.json.tags.includes("team"));
      assert.ok(r.json.tags.includes("mlflow.runName"));
      assert.equal(r.json.truncated, false);
      const empty = await f.call("POST", `${CICLO}/runs/keys`, { experiment_ids: [ids.empty] });
      assert.deepEqual([empty.json.params, empty.json.metrics, empty.json.tags], [[], [], []]);
      const cut = await f.call("POST", `${CICLO}/runs/keys`, { experiment_ids: [ids.alpha, ids.beta], max_results: 1 });
      assert.equal(cut.json.truncated, true);
      assert.equal(cut.json.tags.length, 1);
    });

    it("runs/count applies the filter and the view type across experiments", async (f) => {
      const count = async (body: object) => {
        const r = await f.call("POST", `${CICLO}/runs/count`, body);
        assert.equal(r.status, 200, r.text);
        return r.json.count as number;
      };
      assert.equal(await count({ experiment_ids: [ids.alpha, ids.beta] }), 6);
      assert.equal(await count({ experiment_ids: [ids.alpha], run_view_type: "ALL" }), 5);
      assert.equal(await count({ experiment_ids: [ids.alpha], run_view_type: "DELETED_ONLY" }), 1);
      assert.equal(await count({ experiment_ids: [ids.alpha, ids.beta], filter: "metrics.loss > 1.5" }), 3);
      assert.equal(await count({ experiment_ids: [ids.alpha], filter: "params.lr = '0.1' and tags.team = 'a'" }), 2);
    });

    it("runs/group aggregates latest metric values per param value, largest group first", async (f) => {
      const r = await f.call("POST", `${CICLO}/runs/group`, { experiment_ids: [ids.alpha, ids.beta], group_by: "params.lr", metric_keys: ["loss"] });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.truncated, false);
      const [first, ...rest] = r.json.groups;
      assert.equal(first.value, "0.1");
      assert.equal(first.run_count, 3);
      assert.deepEqual(first.metrics, [{ key: "loss", mean: 2, min: 1, max: 3, count: 2 }]);
      const byValue = Object.fromEntries(rest.map((g: any) => [String(g.value), g]));
      assert.deepEqual(byValue["0.01"].metrics, [{ key: "loss", mean: 0.5, min: 0.5, max: 0.5, count: 1 }]);
      assert.equal(byValue["null"].run_count, 1, "runs without the param form their own group");
      assert.equal(byValue["null"].value, null);
      const tags = await f.call("POST", `${CICLO}/runs/group`, { experiment_ids: [ids.alpha], group_by: "tags.team", max_groups: 1 });
      assert.equal(tags.json.truncated, true);
      assert.deepEqual(tags.json.groups.map((g: any) => [g.value, g.run_count, g.metrics]), [["a", 2, []]], "a tie is broken by value");
      const status = await f.call("POST", `${CICLO}/runs/group`, { experiment_ids: [ids.beta], group_by: "attributes.status", metric_keys: ["loss"] });
      assert.deepEqual(status.json.groups.map((g: any) => [g.value, g.run_count]).sort(), [["FINISHED", 1], ["RUNNING", 1]]);
      const filtered = await f.call("POST", `${CICLO}/runs/group`, { experiment_ids: [ids.alpha], group_by: "params.lr", filter: "tags.team = 'b'" });
      assert.deepEqual(filtered.json.groups.map((g: any) => [g.value, g.run_count]), [["0.01", 1], ["0.1", 1]]);
    });

    it("bad input gets MLflow's 400 envelope with a clear message", async (f) => {
      const bad = async (url: string, body: object, message: RegExp) => {
        const r = await f.call("POST", url, body);
        assert.equal(r.status, 400, r.text);
        assert.equal(r.json.error_code, "INVALID_PARAMETER_VALUE");
        assert.match(r.json.message, message);
      };
      await bad(`${CICLO}/runs/count`, { experiment_ids: [ids.alpha], filter: "metrics.loss >> 1" }, /filter 'metrics.loss >> 1'/);
      await bad(`${CICLO}/runs/keys`, { experiment_ids: [] }, /at least one experiment/);
      await bad(`${CICLO}/runs/group`, { experiment_ids: [ids.alpha], group_by: "lr" }, /Invalid group_by 'lr'/);
      await bad(`${CICLO}/runs/group`, { experiment_ids: [ids.alpha], group_by: "attributes.artifact_uri" }, /can be grouped on the attributes/);
      await bad(`${CICLO}/runs/group`, { experiment_ids: [ids.alpha], group_by: "params.lr", max_groups: 5000 }, /max_groups/);
      const csv = await f.call("GET", `${CICLO}/runs/export-csv?experiment_ids=${ids.alpha}&columns=params`);
      assert.equal(csv.status, 400, csv.text);
      assert.match(csv.json.message, /Invalid column 'params'/);
    });

    it("runs/export-csv streams the table in the requested order and columns", async (f) => {
      const cols = ["attributes.run_name", "params.lr", "metrics.loss", "tags.team", "attributes.duration_ms"].map((c) => `columns=${encodeURIComponent(c)}`).join("&");
      const r = await f.call("GET", `${CICLO}/runs/export-csv?experiment_ids=${ids.alpha}&experiment_ids=${ids.beta}&order_by=${encodeURIComponent("metrics.loss DESC")}&${cols}`);
      assert.equal(r.status, 200, r.text);
      assert.match(String(r.headers["content-type"]), /^text\/csv/);
      assert.match(String(r.headers["content-disposition"]), /attachment; filename="runs.csv"/);
      assert.deepEqual(r.text.trimEnd().split("\r\n"), [
        "run_name,params.lr,metrics.loss,tags.team,duration_ms",
        "r6,0.5,4,c,2000",
        "r1,0.1,3,a,",
        "r5,,2,c,",
        "r0,0.1,1,a,",
        "r3,0.01,0.5,b,",
        "r2,0.1,,b,",
      ]);
    });
  });
}

backendSuite("sqlite", async () => {
  return openFixture(undefined, async () => {});
});
backendSuite("postgres", async () => {
  if (await postgresUnavailable()) return undefined;
  const db = await createTestDatabase();
  return openFixture(db.uri, () => db.drop());
});

describe("CSV export of many runs", () => {
  test("pages through runs/search: 2,500 runs come out whole, one line each", async () => {
    const fx = await openFixture(undefined, async () => {});
    try {
      const exp = (await fx.call("POST", `${MLFLOW}/experiments/create`, { name: "many" })).json.experiment_id;
      const stores = fx.app;
      assert.ok(stores);
      for (let i = 0; i < 2500; i++) {
        const r = await fx.call("POST", `${MLFLOW}/runs/create`, { experiment_id: exp, start_time: i, run_name: `=cmd|${i}` });
        assert.equal(r.status, 200);
      }
      const r = await fx.call("GET", `${CICLO}/runs/export-csv?experiment_ids=${exp}&columns=attributes.run_name&order_by=${encodeURIComponent("attributes.start_time ASC")}`);
      const lines = r.text.trimEnd().split("\r\n");
      assert.equal(lines.length, 2501);
      assert.equal(lines[1], "'=cmd|0", "formula-looking text is defused");
      assert.equal(lines[2500], "'=cmd|2499");
    } finally {
      await fx.close();
    }
  });
});
