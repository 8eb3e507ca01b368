/**
 * The importer without the real MLflow (mlflow-import-oracle.test.ts has it):
 * interrupted imports resume, a second import is a no-op, colliding targets
 * are refused, a dry run writes nothing, unknown schema revisions are refused
 * by name — on a hand-made file store and SQLite databases.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import Database from "better-sqlite3";
import { openArtifactRepository } from "../artifacts/artifact-repositories.js";
import type { ArtifactRepository } from "../artifacts/artifact-repository.js";
import { openStores, type OpenedStores } from "../store/open-stores.js";
import { SqlImportTarget } from "../store/sql/mlflow-import/sql-import-target.js";
import { tempDir } from "../testing/temp-dir.js";
import { KNOWN_REVISIONS } from "./alembic-revisions.js";
import { FileStoreSource } from "./file-store-source.js";
import { ImportConflictError } from "./import-plan.js";
import type { ImportTarget } from "./import-target.js";
import { importMlflow, type ImportMlflowOptions } from "./mlflow-importer.js";
import { openSqlSource } from "./sql-source.js";
import { runId, writeFileStore } from "./testing/file-store-fixture.js";

const tmp = tempDir("ciclo-importer-");
after(() => tmp.remove());
let n = 0;

async function setup(runs = 5) {
  const dir = join(tmp.path, `case${n++}`);
  const root = join(dir, "mlruns");
  writeFileStore(root, runs);
  const stores = await openStores(`sqlite:///${join(dir, "ciclo.db")}`, { defaultArtifactRoot: "mlflow-artifacts:/" });
  const options = (target: ImportTarget, extra: Partial<ImportMlflowOptions> = {}): ImportMlflowOptions => ({
    source: new FileStoreSource(root, () => {}),
    target,
    layout: { inPlace: false, destination: join(dir, "artifacts"), direct: false },
    sourceArtifacts: { allowedLocalRoots: [root] },
    openRepository: openArtifactRepository,
    pageSize: 2,
    ...extra,
  });
  return { dir, root, stores, options };
}

async function runCount(stores: OpenedStores): Promise<number> {
  const r = await stores.connection.db.selectFrom("runs").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
  return Number(r.n);
}

test("an import interrupted between pages resumes where it stopped; a second import adds nothing", async () => {
  const { stores, options, dir } = await setup(5);
  const real = new SqlImportTarget(stores.connection);
  let calls = 0;
  const failing: ImportTarget = Object.assign(Object.create(real) as ImportTarget, {
    writeRuns: async (...args: Parameters<ImportTarget["writeRuns"]>) => {
      if (++calls === 2) {
        // The page's points are being read when the process dies: its transaction rolls back whole.
        for await (const _ of args[2]) throw new Error("killed mid-page");
      }
      return real.writeRuns(...args);
    },
  });
  await assert.rejects(importMlflow(options(failing)), /killed mid-page/);
  assert.equal(await runCount(stores), 2, "the first page (2 runs) is in, the second is not");

  const resumed = await importMlflow(options(real));
  assert.deepEqual([resumed.runs.imported, resumed.runs.alreadyThere], [3, 2]);
  assert.deepEqual([resumed.experiments.imported, resumed.experiments.alreadyThere], [0, 2]);
  assert.equal(resumed.metricPoints, 3 * 103);
  assert.equal(await runCount(stores), 5);
  const run = await stores.tracking.getRun(runId(4));
  assert.deepEqual(
    run.data.metrics.map((m) => [m.key, m.value, m.step]).sort(),
    [
      ["loss", 0.01, 99],
      ["odd", -Infinity, 2],
    ],
  );
  assert.equal(run.info.artifactUri, `mlflow-artifacts:/1/${runId(4)}/artifacts`);
  assert.ok(existsSync(join(dir, "artifacts", "1", runId(4), "artifacts", "model", "MLmodel")));
  const version = await stores.registry.getModelVersion("fixture-model", "1");
  assert.equal(version.source, `mlflow-artifacts:/1/${runId(0)}/artifacts/model`, "a version's source follows its run's artifacts");

  const again = await importMlflow(options(real));
  assert.deepEqual([again.runs.imported, again.metricPoints, again.artifacts.files, again.registeredModels.imported], [0, 0, 0, 0]);
  await stores.tracking.close();
});

test("an import interrupted while copying artifacts copies the rest on the next run", async () => {
  const { stores, options, dir } = await setup(3);
  const target = new SqlImportTarget(stores.connection);
  let puts = 0;
  const flaky = async (uri: string): Promise<ArtifactRepository> => {
    const repo = await openArtifactRepository(uri);
    if (!uri.endsWith("artifacts") || uri.includes("mlruns")) return repo;
    return Object.assign(Object.create(repo) as ArtifactRepository, {
      put: (...args: Parameters<ArtifactRepository["put"]>) => (++puts === 2 ? Promise.reject(new Error("disk full")) : repo.put(...args)),
    });
  };
  await assert.rejects(importMlflow(options(target, { openRepository: flaky })), /disk full/);
  const second = await importMlflow(options(target));
  // Roots copied before the failure are recorded (not copied again); the failed one and those not reached are copied now.
  assert.equal(second.runs.imported, 0);
  assert.ok(second.artifacts.alreadyThere >= 1, `recorded before the failure: ${second.artifacts.alreadyThere}`);
  assert.equal(second.artifacts.alreadyThere + second.artifacts.files + second.artifacts.filesAlreadyThere, 3);
  assert.equal(readdirSync(join(dir, "artifacts", "1")).length, 3);
  await stores.tracking.close();
});

test("a target holding the source's ids or names is refused before anything is written; the new store's Default is replaced", async () => {
  const { stores, options } = await setup(2);
  await stores.tracking.createExperiment({ name: "other", tags: [] });
  await stores.tracking.createExperiment({ name: "fixture", tags: [] });
  const target = new SqlImportTarget(stores.connection);
  await assert.rejects(
    importMlflow(options(target)),
    (err: Error) => err instanceof ImportConflictError && /experiment id 1 \('other'\); experiment name 'fixture' \(id 2\)/.test(err.message),
  );
  assert.equal(await runCount(stores), 0);
  await stores.tracking.close();

  const fresh = await setup(2);
  const run = await fresh.stores.tracking.createRun({ experimentId: "0", userId: "u", runName: "mine", startTime: 1, tags: [] });
  await assert.rejects(importMlflow(fresh.options(new SqlImportTarget(fresh.stores.connection))), /experiment id 0 \('Default'\)/, `run ${run.info.runId} makes Default not new`);
  await fresh.stores.tracking.close();
});

test("a dry run counts what would be imported and writes nothing", async () => {
  const { stores, options, dir } = await setup(3);
  const summary = await importMlflow(options(new SqlImportTarget(stores.connection), { dryRun: true }));
  assert.deepEqual([summary.dryRun, summary.runs.imported, summary.metricPoints, summary.registeredModels.imported], [true, 3, 309, 1]);
  assert.equal(await runCount(stores), 0);
  assert.equal(existsSync(join(dir, "artifacts")), false);
  const tables = await stores.connection.db.introspection.getTables();
  assert.ok(!tables.some((t) => t.name === "mlflow_import_items"));
  await stores.tracking.close();
});

test("an unknown alembic revision is refused by name, with the known ones", async () => {
  const path = join(tmp.path, "future.db");
  const db = new Database(path);
  db.exec("create table alembic_version (version_num varchar(32) not null); insert into alembic_version values ('f00dfeed1234')");
  db.close();
  await assert.rejects(openSqlSource(`sqlite:///${path}`), (err: Error) => err.message.includes("'f00dfeed1234'") && err.message.includes(KNOWN_REVISIONS[0]) && err.message.includes("534353b11cbc"));
  const bare = join(tmp.path, "bare.db");
  new Database(bare).close();
  await assert.rejects(openSqlSource(`sqlite:///${bare}`), /no alembic_version table/);
  await assert.rejects(openSqlSource(`sqlite:///${join(tmp.path, "missing.db")}`), /No MLflow database/);
});

test("--experiments imports only the experiments named (by id or name) with their runs; the registry comes whole", async () => {
  const { stores, options } = await setup(2);
  const summary = await importMlflow(options(new SqlImportTarget(stores.connection), { experiments: ["fixture"] }));
  assert.deepEqual([summary.experiments.imported, summary.runs.imported, summary.registeredModels.imported], [1, 2, 1]);
  const exps = await stores.connection.db.selectFrom("experiments").select(["experiment_id", "name"]).orderBy("experiment_id").execute();
  assert.deepEqual(exps.map((e) => [Number(e.experiment_id), e.name]), [[0, "Default"], [1, "fixture"]], "ciclo's own Default stays");
  await assert.rejects(importMlflow(options(new SqlImportTarget(stores.connection), { experiments: ["nope"] })), /No experiment 'nope' in the source/);
  await stores.tracking.close();
});

test("a run whose artifact_uri leads out of the store stops the import before anything of it is copied", async () => {
  const { stores, options, root, dir } = await setup(2);
  const meta = join(root, "1", runId(1), "meta.yaml");
  writeFileSync(meta, readFileSync(meta, "utf8").replace(/artifact_uri: .*/, "artifact_uri: file:///etc"));
  await assert.rejects(importMlflow(options(new SqlImportTarget(stores.connection))), new RegExp(`Run ${runId(1)}: Refusing to read artifacts at 'file:///etc'`));
  const copied = readdirSync(join(dir, "artifacts", "1"), { recursive: true, encoding: "utf8" });
  assert.ok(!copied.some((p) => p.includes("passwd") || p.includes("hostname")), copied.join(", "));
  await stores.tracking.close();
});
