/**
 * gc on the SQL stores: the contract on SQLite and PostgreSQL, then what the
 * interface cannot see — no orphan row in any table, and (PostgreSQL) a
 * database whose foreign keys lack ON DELETE CASCADE, as in the MLflow
 * databases where gc failed (mlflow#13254).
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { sql } from "kysely";
import { runTrackingGcContract } from "../../contract/tracking-gc.contract.js";
import { openStores, type OpenedStores } from "../../open-stores.js";
import { createTestDatabase, postgresUnavailable, type PgDatabase } from "../../../testing/postgres-fixture.js";
import { openTestStores } from "../../../testing/store-backends.js";
import { tempDir } from "../../../testing/temp-dir.js";

for (const backend of ["sqlite", "postgres"] as const) {
  runTrackingGcContract(backend, async () => {
    const b = await openTestStores(backend);
    return b && { store: b.stores.tracking, loggedModels: b.stores.loggedModels, cleanup: b.cleanup };
  });
}

/** Rows of child tables whose parent is gone (there must be none). */
async function orphans(stores: OpenedStores): Promise<Record<string, number>> {
  const db = stores.connection.db;
  const out: Record<string, number> = {};
  const byRun = ["metrics", "latest_metrics", "metric_buckets", "metric_bucket_parts", "params", "tags", "run_inputs", "input_tags", "run_outputs", "run_model_inputs"];
  for (const t of byRun) {
    const r = await sql<{ n: number }>`select count(*) as n from ${sql.table(t)} where run_id not in (select id from runs)`.execute(db);
    out[t] = Number(r.rows[0].n);
  }
  for (const t of ["logged_model_params", "logged_model_tags", "run_outputs", "run_model_inputs"]) {
    const r = await sql<{ n: number }>`select count(*) as n from ${sql.table(t)} where model_id not in (select model_id from logged_models)`.execute(db);
    out[`${t}.model_id`] = Number(r.rows[0].n);
  }
  for (const t of ["runs", "datasets", "experiment_tags", "logged_models"]) {
    const r = await sql<{ n: number }>`select count(*) as n from ${sql.table(t)} where experiment_id not in (select experiment_id from experiments)`.execute(db);
    out[`${t}.experiment_id`] = Number(r.rows[0].n);
  }
  return out;
}

/** Fills a database with what gc must purge, purges it, and checks nothing is left over. */
async function purgeEverything(stores: OpenedStores): Promise<void> {
  const t = stores.tracking;
  const exp = await t.createExperiment({ name: `full-${Date.now()}`, tags: [{ key: "a", value: "b" }] });
  const keepExp = await t.createExperiment({ name: `keep-${Date.now()}`, tags: [] });
  const keepRun = (await t.createRun({ experimentId: keepExp, userId: "u", runName: "keep", startTime: 1, tags: [] })).info.runId;
  await t.logBatch(keepRun, { metrics: [{ key: "m", value: 1, step: 0, timestamp: 1 }], params: [], tags: [] });
  const model = await stores.loggedModels.createLoggedModel({ experimentId: exp, name: "m", modelType: null, sourceRunId: null, params: [{ key: "p", value: "1" }], tags: [{ key: "k", value: "v" }] });
  for (let i = 0; i < 3; i++) {
    const run = (await t.createRun({ experimentId: exp, userId: "u", runName: `r${i}`, startTime: 1, tags: [{ key: "x", value: "y" }] })).info.runId;
    await t.logBatch(run, {
      metrics: Array.from({ length: 300 }, (_, s) => ({ key: "loss", value: s, step: s, timestamp: s, modelId: model.info.modelId })),
      params: [{ key: "p", value: String(i) }],
      tags: [],
    });
    await t.logInputs(
      run,
      [{ tags: [{ key: "ctx", value: "train" }], dataset: { name: "d", digest: `g${i}`, sourceType: "s3", source: "{}", schema: "{}", profile: "{}" } }],
      [{ modelId: model.info.modelId }],
    );
    await stores.loggedModels.logOutputs(run, [{ modelId: model.info.modelId, step: i }]);
  }
  // The kept run used the doomed model: that link goes, the run stays.
  await t.logInputs(keepRun, [], [{ modelId: model.info.modelId }]);
  await t.deleteExperiment(exp);
  const purged = await t.hardDeleteExperiments([exp]);
  assert.equal(purged[0].runs.length, 3);
  assert.equal(purged[0].loggedModels.length, 1);
  assert.deepEqual(Object.entries(await orphans(stores)).filter(([, n]) => n > 0), []);
  const kept = await t.getRun(keepRun);
  assert.equal(kept.data.metrics.length, 1);
  assert.deepEqual(kept.inputs.modelInputs, []);
}

describe("gc leaves no orphan rows", () => {
  test("sqlite", async () => {
    const dir = tempDir();
    const stores = await openStores(`sqlite:///${join(dir.path, "ciclo.db")}`, { defaultArtifactRoot: "mlflow-artifacts:/" });
    try {
      await purgeEverything(stores);
    } finally {
      await stores.tracking.close();
      dir.remove();
    }
  });

  describe("postgres", () => {
    let pgdb: PgDatabase | undefined;
    let stores: OpenedStores | undefined;
    before(async () => {
      if (await postgresUnavailable()) return;
      pgdb = await createTestDatabase();
      stores = await openStores(pgdb.uri, { defaultArtifactRoot: "s3://bucket/root" });
    });
    after(async () => {
      await stores?.tracking.close();
      await pgdb?.drop();
    });

    test("with the schema's cascades", async (t) => {
      if (!stores) return t.skip("PostgreSQL unavailable");
      await purgeEverything(stores);
    });

    test("with every ON DELETE CASCADE turned into NO ACTION (a badly migrated database, mlflow#13254)", async (t) => {
      if (!stores) return t.skip("PostgreSQL unavailable");
      const db = stores.connection.db;
      const fks = await sql<{ tbl: string; name: string; def: string }>`
        select conrelid::regclass::text as tbl, conname as name, pg_get_constraintdef(oid) as def
        from pg_constraint where contype = 'f' and confdeltype = 'c' and connamespace = 'public'::regnamespace`.execute(db);
      assert.ok(fks.rows.length >= 10, `expected cascading foreign keys, found ${fks.rows.length}`);
      for (const fk of fks.rows) {
        await sql.raw(`alter table ${fk.tbl} drop constraint "${fk.name}"`).execute(db);
        await sql.raw(`alter table ${fk.tbl} add constraint "${fk.name}" ${fk.def.replace(/ON DELETE CASCADE/i, "")}`).execute(db);
      }
      const left = await sql<{ n: number }>`select count(*) as n from pg_constraint where contype = 'f' and confdeltype = 'c' and connamespace = 'public'::regnamespace`.execute(db);
      assert.equal(Number(left.rows[0].n), 0);
      await purgeEverything(stores);
    });
  });
});
