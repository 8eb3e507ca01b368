/**
 * Schema migrations on SQLite and PostgreSQL: upgrading a populated old
 * database, concurrent migrators, refusing a newer schema, `ciclo db upgrade`,
 * and migrations that rebuild a table keeping its rows.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { sql, type Kysely } from "kysely";
import { openConnection } from "../open-store.js";
import { openStores } from "../open-stores.js";
import type { SqlConnection } from "../sql/sql-dialect.js";
import { runCiclo } from "../../testing/child-server.js";
import { createTestDatabase, postgresUnavailable } from "../../testing/postgres-fixture.js";
import { historySummaries, storedSummaries } from "../../testing/metric-summaries.js";
import { tempDir } from "../../testing/temp-dir.js";
import { LATEST_SCHEMA_VERSION, MIGRATIONS, currentVersion, migrateToLatest, migrationSequence } from "./migrator.js";
import { serverModules } from "../../modules.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;
const ALL_APPLIED = MIGRATIONS.map((m) => `${String(m.version).padStart(4, "0")}-${m.name}`);
const RUN_UUID = "0123456789abcdef0123456789abcdef";

interface Fresh {
  uri: string;
  drop(): Promise<void>;
}

/** Inserts what an older ciclo (schema version 1) would have stored, with plain SQL. */
async function seedVersion1(db: AnyDb): Promise<void> {
  const t = 1_700_000_000_000;
  const exp = await sql<{ experiment_id: number }>`
    insert into experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time)
    values ('legacy', '/srv/artifacts/1', 'active', ${t}, ${t}) returning experiment_id`.execute(db);
  const expId = exp.rows[0].experiment_id;
  await sql`insert into experiment_tags (experiment_id, key, value) values (${expId}, 'team', 'vision')`.execute(db);
  const run = await sql<{ id: number }>`
    insert into runs (run_uuid, experiment_id, name, user_id, status, start_time, end_time, artifact_uri, lifecycle_stage, deleted_with_experiment)
    values (${RUN_UUID}, ${expId}, 'old-run', 'alice', 'FINISHED', ${t}, ${t + 60_000}, '/srv/artifacts/1/run/artifacts', 'active', 0)
    returning id`.execute(db);
  const runPk = run.rows[0].id;
  await sql`insert into params (run_id, key, value) values (${runPk}, 'lr', '0.01'), (${runPk}, 'layers', '3')`.execute(db);
  await sql`insert into tags (run_id, key, value) values (${runPk}, 'mlflow.runName', 'old-run'), (${runPk}, 'mlflow.user', 'alice')`.execute(
    db,
  );
  for (let step = 0; step < 10; step++) {
    await sql`insert into metrics (run_id, key, step, timestamp, value, is_nan)
      values (${runPk}, 'loss', ${step}, ${t + step}, ${1 / (step + 1)}, 0)`.execute(db);
  }
  await sql`insert into metrics (run_id, key, step, timestamp, value, is_nan) values (${runPk}, 'loss', 10, ${t + 10}, 0, 1)`.execute(db);
  // A long sparse series (300 points over 300,000 steps, one spike) for the history summaries the upgrade backfills.
  const acc = Array.from({ length: 300 }, (_, i) => sql`(${runPk}, 'acc', ${i * 1000}, ${t + i}, ${i === 123 ? 99 : (i % 7) / 10}, 0)`);
  await sql`insert into metrics (run_id, key, step, timestamp, value, is_nan) values ${sql.join(acc)}`.execute(db);
  await sql`insert into latest_metrics (run_id, key, step, timestamp, value, is_nan) values (${runPk}, 'loss', 10, ${t + 10}, null, 1)`.execute(
    db,
  );
  const ds = await sql<{ id: number }>`
    insert into datasets (experiment_id, name, digest, source_type, source)
    values (${expId}, 'train', 'abc123', 'local', '/data/train.csv') returning id`.execute(db);
  await sql`insert into run_inputs (run_id, dataset_id) values (${runPk}, ${ds.rows[0].id})`.execute(db);
  await sql`insert into input_tags (run_id, dataset_id, key, value) values (${runPk}, ${ds.rows[0].id}, 'mlflow.data.context', 'training')`.execute(
    db,
  );
}

/** Migrates one fresh database from several processes released at the same moment. */
async function migrateFromProcesses(uri: string, n: number): Promise<Array<{ code: number | null; out: string; err: string }>> {
  const code = `
    const { openConnection } = await import(process.env.OPEN_STORE);
    const { migrateToLatest } = await import(process.env.MIGRATOR);
    const conn = await openConnection(process.env.DB_URI);
    process.stdout.write("ready\\n");
    process.stdin.once("data", async () => {
      try {
        process.stdout.write(JSON.stringify(await migrateToLatest(conn.db, conn.dialect.name)) + "\\n");
      } catch (e) {
        process.stderr.write(String(e && e.stack || e));
        process.exitCode = 1;
      } finally {
        await conn.db.destroy();
        process.stdin.destroy();
      }
    });`;
  const env: NodeJS.ProcessEnv = { ...process.env, DB_URI: uri };
  delete env.NODE_TEST_CONTEXT;
  env.OPEN_STORE = fileURLToPath(new URL("../open-store.ts", import.meta.url));
  env.MIGRATOR = fileURLToPath(new URL("./migrator.ts", import.meta.url));
  const children = Array.from({ length: n }, () => {
    const proc = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
      cwd: fileURLToPath(new URL("../../..", import.meta.url)),
      env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    proc.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    const ready = new Promise<void>((resolve, reject) => {
      createInterface({ input: proc.stdout }).on("line", (line) => {
        if (line === "ready") resolve();
        else out += line;
      });
      proc.once("exit", () => reject(new Error(`migrator child exited before it was ready: ${err}`)));
    });
    const done = new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
      proc.once("close", (c) => resolve({ code: c, out, err })),
    );
    return { proc, ready, done };
  });
  await Promise.all(children.map((c) => c.ready));
  for (const c of children) c.proc.stdin.write("go\n");
  return Promise.all(children.map((c) => c.done));
}

async function migrationRows(db: AnyDb): Promise<number[]> {
  const rows = await db.selectFrom("schema_migrations").select("version").orderBy("version").execute();
  return rows.map((r) => Number(r.version));
}

function backendSuite(name: string, fresh: () => Promise<Fresh | undefined>, skipReason: () => string | undefined): void {
  describe(`migrations on ${name}`, () => {
    const dbs: Fresh[] = [];
    const conns: SqlConnection[] = [];
    const open = async (): Promise<{ uri: string; conn: SqlConnection } | undefined> => {
      const f = await fresh();
      if (!f) return undefined;
      dbs.push(f);
      const conn = await openConnection(f.uri);
      conns.push(conn);
      return { uri: f.uri, conn };
    };
    after(async () => {
      for (const c of conns) await c.db.destroy().catch(() => {});
      for (const d of dbs) await d.drop();
    });

    test("(a) a populated version-1 database upgrades to the latest without data loss", async (t) => {
      const o = await open();
      if (!o) return t.skip(skipReason());
      const db = o.conn.db as AnyDb;
      const first = await migrateToLatest(db, o.conn.dialect.name, 1);
      assert.deepEqual(first, { from: 0, to: 1, applied: [ALL_APPLIED[0]] });
      await seedVersion1(db);

      const res = await migrateToLatest(db, o.conn.dialect.name);
      assert.deepEqual(res, { from: 1, to: LATEST_SCHEMA_VERSION, applied: ALL_APPLIED.slice(1) });
      assert.deepEqual(await migrationRows(db), MIGRATIONS.map((m) => m.version));
      // Migration 24 moved the 311 points (none has a model or dataset link) into chunks: one for loss, and one per
      // 65,536-step window for acc's steps 0–299,000 (five).
      const rows = await sql<{ n: number | string }>`select count(*) as n from metrics`.execute(db);
      assert.equal(Number(rows.rows[0].n), 0, "plain points left metrics");
      const chunked = await sql<{ n: number | string; c: number | string }>`select sum(cnt) as n, count(*) as c from metric_chunks`.execute(db);
      assert.deepEqual([Number(chunked.rows[0].n), Number(chunked.rows[0].c)], [311, 6], "every point is in a chunk");

      // The current store reads everything the old one wrote.
      const { tracking } = await openStores(o.uri, { defaultArtifactRoot: "/srv/artifacts" });
      try {
        const run = await tracking.getRun(RUN_UUID);
        assert.equal(run.info.runName, "old-run");
        assert.equal(run.info.status, "FINISHED");
        assert.deepEqual(run.data.params.map((p) => `${p.key}=${p.value}`).sort(), ["layers=3", "lr=0.01"]);
        assert.deepEqual(run.data.tags.map((x) => x.key).sort(), ["mlflow.runName", "mlflow.user"]);
        assert.equal(run.data.metrics.length, 1);
        assert.ok(Number.isNaN(run.data.metrics[0].value) && run.data.metrics[0].step === 10);
        assert.equal(run.inputs.datasetInputs[0]?.dataset.name, "train");
        const history = await tracking.getMetricHistory(RUN_UUID, "loss", {});
        assert.deepEqual(history.items.map((m) => m.step), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        assert.equal(history.items[3].value, 0.25);
        // Downsampled charts work on the old history: the backfilled summaries count exactly and keep the spike.
        const all = await tracking.getMetricHistoryBulkInterval({ runIds: [RUN_UUID], metricKey: "acc", maxResults: 400 });
        assert.equal(all.length, 300);
        const few = await tracking.getMetricHistoryBulkInterval({ runIds: [RUN_UUID], metricKey: "acc", maxResults: 50 });
        assert.ok(few.length <= 50 && few.length >= 25, `${few.length}`);
        assert.ok(few.some((p) => p.value === 99 && p.step === 123_000));
        const exp = await tracking.getExperiment(run.info.experimentId);
        assert.equal(exp.name, "legacy");
        assert.deepEqual(exp.tags, [{ key: "team", value: "vision" }]);
        // ... and writes through the new columns, next to the old rows.
        await tracking.logBatch(RUN_UUID, {
          metrics: [{ key: "loss", value: 0.05, timestamp: 1, step: 11, modelId: "m-1", datasetName: "train", datasetDigest: "abc123" }],
          params: [],
          tags: [],
        });
        const after = await tracking.getMetricHistory(RUN_UUID, "loss", {});
        assert.equal(after.items.length, 12);
        assert.equal(after.items[11].modelId, "m-1");
        // Summaries stay exact as points join series summarised before the upgrade (their open bucket starts
        // empty): into an old bucket, a later one, the open one, and a retry.
        const point = (key: string, value: number, step: number, timestamp: number) => ({ key, value, step, timestamp });
        await tracking.logBatch(RUN_UUID, { metrics: [point("acc", -1, 123_001, 5), point("acc", 0.3, 300_000, 6)], params: [], tags: [] });
        await tracking.logBatch(RUN_UUID, { metrics: [point("loss", 0.05, 11, 1), point("loss", 0.04, 12, 1), point("acc", 7, 299_999, 7)], params: [], tags: [] });
        const runPk = Number((await sql<{ id: number }>`select id from runs where run_uuid = ${RUN_UUID}`.execute(db)).rows[0].id);
        for (const key of ["loss", "acc"]) {
          assert.deepEqual(await storedSummaries(db, runPk, key), await historySummaries(db, runPk, key), key);
        }
        assert.ok((await tracking.getMetricHistoryBulkInterval({ runIds: [RUN_UUID], metricKey: "acc", maxResults: 50 })).some((p) => p.value === -1));
        // Ids keep counting after the rows the old version created.
        const newExp = await tracking.createExperiment({ name: "after-upgrade", tags: [] });
        assert.ok(Number(newExp) > Number(run.info.experimentId));
      } finally {
        await tracking.close();
      }
    });

    test("(b) four processes migrating one fresh database concurrently: all succeed, each migration applied once", async (t) => {
      const f = await fresh();
      if (!f) return t.skip(skipReason());
      dbs.push(f);
      const results = await migrateFromProcesses(f.uri, 4);
      for (const r of results) assert.equal(r.code, 0, r.err);
      const applied = results.flatMap((r) => (JSON.parse(r.out) as { applied: string[]; to: number }).applied);
      assert.deepEqual(applied.sort(), [...ALL_APPLIED].sort(), "every migration applied exactly once in total");
      for (const r of results) assert.equal((JSON.parse(r.out) as { to: number }).to, LATEST_SCHEMA_VERSION);
      const conn = await openConnection(f.uri);
      conns.push(conn);
      assert.deepEqual(await migrationRows(conn.db as AnyDb), MIGRATIONS.map((m) => m.version));
      await sql`select model_id, dataset_name, dataset_digest from metrics`.execute(conn.db);
    });

    test("(c) a database at a newer schema version is refused with a clear error", async (t) => {
      const o = await open();
      if (!o) return t.skip(skipReason());
      const db = o.conn.db as AnyDb;
      await migrateToLatest(db, o.conn.dialect.name);
      const future = LATEST_SCHEMA_VERSION + 1;
      await db.insertInto("schema_migrations").values({ version: future, name: "from_the_future", applied_at: 1 }).execute();
      const newer = new RegExp(`schema is at version ${future}, newer than this ciclo understands \\(${LATEST_SCHEMA_VERSION}\\)`);
      await assert.rejects(migrateToLatest(db, o.conn.dialect.name), newer);
      await assert.rejects(openStores(o.uri, { defaultArtifactRoot: "/a" }), newer);

      // A newer ciclo that squashed its history records only its baseline version: refuse it
      // before trying to apply anything (not "table experiments already exists").
      await db.deleteFrom("schema_migrations").where("version", "<", future).execute();
      await assert.rejects(migrateToLatest(db, o.conn.dialect.name), newer);
      assert.deepEqual(await migrationRows(db), [future], "a refused database is left untouched");
      assert.equal(await currentVersion(db), future);
    });

    test("(d) `ciclo db upgrade <uri>` prints the upgrade, then reports up to date", { timeout: 60_000 }, async (t) => {
      const o = await open();
      if (!o) return t.skip(skipReason());
      await migrateToLatest(o.conn.db as AnyDb, o.conn.dialect.name, 1);
      // A password in the URI must not be printed (trust auth ignores it on the test server).
      let uri = o.uri;
      if (uri.startsWith("postgres")) {
        const u = new URL(uri);
        u.password = "s3cret";
        uri = u.toString();
      }
      const first = await runCiclo(["db", "upgrade", uri]);
      assert.equal(first.code, 0, first.stderr);
      // `ciclo db upgrade` applies the store's migrations and every server module's.
      const server = migrationSequence(serverModules());
      const latest = server[server.length - 1].version;
      const names = server.slice(1).map((m) => `${String(m.version).padStart(4, "0")}-${m.name}`);
      assert.match(first.stdout, new RegExp(`from schema version 1 to ${latest}: ${names.join(", ")}`));
      const second = await runCiclo(["db", "upgrade", uri]);
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stdout, new RegExp(`is up to date \\(schema version ${latest}\\)`));
      assert.ok(!(first.stdout + second.stdout).includes("s3cret"), "password printed");

      await (o.conn.db as AnyDb)
        .insertInto("schema_migrations")
        .values({ version: latest + 1, name: "from_the_future", applied_at: 1 })
        .execute();
      const refused = await runCiclo(["db", "upgrade", uri]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /newer than this ciclo understands/);
    });

    test("(e) 0022: model-server records from before owners were kept survive the new key with owner ''", async (t) => {
      const o = await open();
      if (!o) return t.skip(skipReason());
      const db = o.conn.db as AnyDb;
      const all = migrationSequence(serverModules());
      await migrateToLatest(db, o.conn.dialect.name, 21, all);
      await db.insertInto("deployment_replicas").values({ endpoint: "e", deployment: "d", replica: 0, pid: 4242, url: "http://127.0.0.1:1", started_at: 5 }).execute();
      await migrateToLatest(db, o.conn.dialect.name, undefined, all);
      const rows = await db.selectFrom("deployment_replicas").selectAll().execute();
      assert.deepEqual(
        rows.map((r) => ({ ...r, pid: Number(r.pid), started_at: Number(r.started_at) })),
        [{ endpoint: "e", deployment: "d", replica: 0, owner: "", pid: 4242, url: "http://127.0.0.1:1", started_at: 5 }],
      );
      // Two servers' records of one replica now live side by side.
      await db.insertInto("deployment_replicas").values({ endpoint: "e", deployment: "d", replica: 0, owner: "h:1:2:ab", pid: 4243, url: null, started_at: 6 }).execute();
      assert.equal((await db.selectFrom("deployment_replicas").selectAll().execute()).length, 2);
    });
  });
}

const sqliteDir = tempDir();
after(() => sqliteDir.remove());
let sqliteN = 0;
backendSuite(
  "SQLite",
  async () => {
    const path = join(sqliteDir.path, `db-${sqliteN++}.db`);
    return { uri: `sqlite:///${path}`, drop: async () => {} };
  },
  () => undefined,
);

let pgSkip: string | undefined;
before(async () => {
  pgSkip = await postgresUnavailable();
});
backendSuite(
  "PostgreSQL",
  async () => (pgSkip ? undefined : createTestDatabase()),
  () => pgSkip,
);
