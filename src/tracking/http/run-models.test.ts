/**
 * `POST /api/ciclo/v1/runs/models` on SQLite and PostgreSQL: the registered
 * versions (with stages and aliases) and MLflow 3.x logged models a page of
 * runs produced, in one call — prompts and deleted logged models left out —
 * and clear 400s for bad input.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createTestDatabase, postgresUnavailable } from "../../testing/postgres-fixture.js";
import { assertError, ok, openTestApp, type TestApp } from "../../testing/test-app.js";

const CICLO = "/api/ciclo/v1";

function suite(backend: string, open: () => Promise<TestApp | undefined>) {
  describe(`runs/models (${backend})`, () => {
    let fx: TestApp | undefined;
    const runs: string[] = [];
    const models: string[] = [];
    before(async () => {
      fx = await open();
      if (!fx) return;
      const exp = ok(await fx.call("POST", "/experiments/create", { name: "producers" })).experiment_id;
      for (let i = 0; i < 3; i++) runs.push(ok(await fx.call("POST", "/runs/create", { experiment_id: exp, run_name: `r${i}` })).run.info.run_id);
      // r0 logs two models, r1 one (deleted later), r2 none.
      for (const [run, name] of [[runs[0], "model"], [runs[0], "checkpoint"], [runs[1], "gone"]]) {
        models.push(ok(await fx.call("POST", "/logged-models", { experiment_id: exp, name, source_run_id: run })).model.info.model_id);
      }
      ok(await fx.call("DELETE", `/logged-models/${models[2]}`));
      for (const name of ["fraud", "fraud-shadow", "a-prompt"]) ok(await fx.call("POST", "/registered-models/create", { name }));
      ok(await fx.call("POST", "/registered-models/set-tag", { name: "a-prompt", key: "mlflow.prompt.is_prompt", value: "true" }));
      for (const name of ["fraud", "fraud", "fraud-shadow", "a-prompt"]) {
        ok(await fx.call("POST", "/model-versions/create", { name, source: `models:/${models[0]}`, model_id: models[0] }));
      }
      ok(await fx.call("POST", "/registered-models/alias", { name: "fraud", alias: "champion", version: "2" }));
      ok(await fx.call("POST", "/registered-models/alias", { name: "fraud", alias: "canary", version: "2" }));
      ok(await fx.call("POST", "/model-versions/transition-stage", { name: "fraud", version: "1", stage: "Production", archive_existing_versions: false }));
    });
    after(async () => fx?.close());
    const it = (title: string, fn: (fx: TestApp) => Promise<void>) =>
      test(title, async (t) => {
        if (!fx) return t.skip("PostgreSQL unavailable");
        await fn(fx);
      });

    it("answers the versions (stage, aliases) and active logged models of each run; prompts left out", async (fx) => {
      const res = ok(await fx.call("POST", "/runs/models", { run_ids: runs }, { prefix: CICLO }));
      assert.deepEqual(res.model_versions, [
        { run_id: runs[0], name: "fraud", version: "1", current_stage: "Production", status: "READY", aliases: [] },
        { run_id: runs[0], name: "fraud", version: "2", current_stage: "None", status: "READY", aliases: ["canary", "champion"] },
        { run_id: runs[0], name: "fraud-shadow", version: "1", current_stage: "None", status: "READY", aliases: [] },
      ]);
      // Oldest first; two models made in the same millisecond may come in either order.
      assert.deepEqual(
        res.logged_models.map((m: { run_id: string; name: string; model_id: string }) => [m.run_id, m.name, m.model_id]).sort(),
        [
          [runs[0], "checkpoint", models[1]],
          [runs[0], "model", models[0]],
        ],
      );
      assert.equal(res.truncated, false);
    });

    it("a run without models, unknown ids and an empty list answer empty lists", async (fx) => {
      for (const run_ids of [[runs[2]], ["0123456789abcdef0123456789abcdef"], []]) {
        assert.deepEqual(ok(await fx.call("POST", "/runs/models", { run_ids }, { prefix: CICLO })), { model_versions: [], logged_models: [], truncated: false });
      }
    });

    it("bad input gets a 400 in MLflow's format", async (fx) => {
      assertError(await fx.call("POST", "/runs/models", {}, { prefix: CICLO }), 400, "INVALID_PARAMETER_VALUE");
      assertError(await fx.call("POST", "/runs/models", { run_ids: "abc" }, { prefix: CICLO }), 400, "INVALID_PARAMETER_VALUE");
      const many = Array.from({ length: 1001 }, (_, i) => `r${i}`);
      assertError(await fx.call("POST", "/runs/models", { run_ids: many }, { prefix: CICLO }), 400, "INVALID_PARAMETER_VALUE");
      assertError(await fx.call("POST", "/runs/models", { run_ids: ["x' or '1'='1"] }, { prefix: CICLO }), 400, "INVALID_PARAMETER_VALUE", /Invalid run id/);
    });
  });
}

suite("SQLite", () => openTestApp());
suite("PostgreSQL", async () => {
  if (await postgresUnavailable()) return undefined;
  const db = await createTestDatabase();
  return openTestApp({ backend: db.uri, onClose: () => db.drop() });
});
