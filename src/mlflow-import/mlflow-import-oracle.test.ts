/**
 * `ciclo import-mlflow` against the real MLflow (2.10 and 3.3): each scenario
 * fills an MLflow store through MLflow's own client — through `mlflow
 * server` on SQLite, PostgreSQL or MariaDB (artifacts behind its proxy,
 * `mlflow-artifacts:/`), or straight into a file store with no server —
 * imports it into a fresh ciclo store, starts ciclo, and compares every
 * entity through both servers' REST APIs and every artifact byte
 * (testing/rest-compare.ts). Importing again must add and change nothing.
 */
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import { runCiclo, startChildServer } from "../testing/child-server.js";
import { createTestDatabase, postgresUnavailable, type PgDatabase } from "../testing/postgres-fixture.js";
import { tempDir } from "../testing/temp-dir.js";
import { KNOWN_REVISIONS } from "./alembic-revisions.js";
import type { ImportSummary } from "./import-summary.js";
import { openSqlSource } from "./sql-source.js";
import { fillMlflow, findOracle, startMlflowServer, type Filled, type MlflowVersion, type Oracle } from "./testing/mlflow-oracle.js";
import { mariadbUnavailable, createMariadbDatabase, type MariadbDatabase } from "./testing/mariadb-fixture.js";
import { compareServers } from "./testing/rest-compare.js";

const scratch = tempDir("ciclo-import-oracle-");
let oracle: Oracle | undefined;
before(async () => {
  oracle = await findOracle(scratch.path, ["psycopg2", "pymysql"]);
});
after(() => scratch.remove());

async function importMlflow(args: string[]): Promise<ImportSummary> {
  const res = await runCiclo(["import-mlflow", ...args, "--json"]);
  assert.equal(res.code, 0, `import-mlflow failed:\n${res.stderr}`);
  return JSON.parse(res.stdout) as ImportSummary;
}

/** Every table's rows, in a fixed order: what "changes nothing" is checked against. */
function dumpSqlite(path: string): string {
  const db = new Database(path, { readonly: true });
  try {
    const tables = db.prepare("select name from sqlite_master where type = 'table' order by name").all() as Array<{ name: string }>;
    const rows = (name: string) => {
      const cols = (db.prepare(`pragma table_info("${name}")`).all() as unknown[]).map((_c, i) => i + 1);
      return db.prepare(`select * from "${name}" order by ${cols.join(", ")}`).raw().all();
    };
    return JSON.stringify(tables.map(({ name }) => [name, rows(name)]), (_k, v: unknown) =>
      typeof v === "bigint" ? String(v) : v,
    );
  } finally {
    db.close();
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((p) => statSync(join(dir, p)).isFile())
    .map((p) => `${p} ${statSync(join(dir, p)).mtimeMs}`)
    .sort();
}

interface Scenario {
  version: MlflowVersion;
  store: "sqlite" | "postgres" | "mysql" | "file";
  /** ciclo's own store on PostgreSQL instead of SQLite. */
  cicloOnPostgres?: boolean;
  /** Also import with --artifacts-in-place into a second store and compare that. */
  inPlaceToo?: boolean;
}

function scenario(name: string, s: Scenario): void {
  describe(name, () => {
    const dir = join(scratch.path, name.replace(/\W+/g, "-"));
    const cleanups: Array<() => Promise<void>> = [];
    let skip: string | undefined;
    let filled: Filled;
    let mlflowUrl = "";
    let sourceUri = "";
    let fileRoot = "";

    before(async () => {
      if (!oracle) return;
      if (s.store === "postgres" || s.cicloOnPostgres) skip = await postgresUnavailable();
      if (s.store === "mysql") skip ??= await mariadbUnavailable();
      if (skip) return;
      const mlart = join(dir, "mlartifacts");
      mkdirSync(dir, { recursive: true });
      if (s.store === "file") {
        fileRoot = join(dir, "mlruns");
        filled = await fillMlflow(oracle, s.version, `file://${fileRoot}`, dir);
        sourceUri = fileRoot;
      } else {
        if (s.store === "sqlite") sourceUri = `sqlite:///${join(dir, "mlflow.db")}`;
        if (s.store === "postgres") {
          const db: PgDatabase = await createTestDatabase();
          cleanups.push(() => db.drop());
          sourceUri = db.uri;
        }
        if (s.store === "mysql") {
          const db: MariadbDatabase = await createMariadbDatabase();
          cleanups.push(() => db.drop());
          sourceUri = db.uri;
        }
      }
      const server = await startMlflowServer(oracle, s.version, s.store === "file" ? fileRoot : sourceUri, mlart, dir);
      cleanups.unshift(() => server.stop());
      mlflowUrl = server.url;
      if (s.store !== "file") filled = await fillMlflow(oracle, s.version, server.url, dir);
    });
    after(async () => {
      for (const c of cleanups) await c().catch(() => {});
    });

    const ready = (t: { skip(m: string): void }): boolean => {
      if (!oracle) t.skip("the real MLflow cannot run here");
      else if (skip) t.skip(skip);
      else return true;
      return false;
    };

    async function importAndCompare(t: { skip(m: string): void }, inPlace: boolean): Promise<void> {
      if (!ready(t)) return;
      const tag = inPlace ? "in-place" : "copy";
      let target = `sqlite:///${join(dir, `ciclo-${tag}.db`)}`;
      if (s.cicloOnPostgres) {
        const db = await createTestDatabase();
        cleanups.push(() => db.drop());
        target = db.uri;
      }
      const dest = inPlace ? join(dir, "mlartifacts") : join(dir, `ciclo-artifacts-${tag}`);
      const args = [sourceUri, "--backend-store-uri", target];
      if (s.store !== "file") args.push("--artifacts-source", join(dir, "mlartifacts"));
      args.push(...(inPlace ? ["--artifacts-in-place"] : ["--artifacts-destination", dest]));
      const summary = await importMlflow(args);
      assert.equal(summary.runs.imported, filled.runs.length);
      assert.equal(summary.registeredModels.imported, filled.models.length);
      assert.equal(summary.loggedModels.imported, filled.logged_models.length);
      assert.ok(summary.metricPoints > 1000);
      if (!inPlace) assert.ok(summary.artifacts.files > 10 && summary.artifacts.bytes > 1_000_000);

      const ids = Object.fromEntries(Object.entries(summary.renumberedExperiments).map(([a, b]) => [a, String(b)]));
      if (s.store === "file") assert.equal(Object.keys(ids).length, 3, "the file store's 18-digit ids get new ones");
      else assert.deepEqual(ids, {});
      const prefix = `file://${fileRoot}/`;
      const ciclo = await startChildServer(target, dest);
      try {
        const cmp = await compareServers(mlflowUrl, ciclo.url, {
          experimentIds: ids,
          loggedModels: s.version === "3.3",
          expectUri(u) {
            if (inPlace) return u;
            if (s.store === "file" && u.startsWith(prefix)) {
              const [exp, ...rest] = u.slice(prefix.length).split("/");
              return `mlflow-artifacts:/${[ids[exp] ?? exp, ...rest].join("/")}`;
            }
            return u;
          },
        });
        assert.deepEqual(cmp.differences, []);
        assert.equal(cmp.counts.runs, filled.runs.length);
        assert.ok(cmp.counts.artifactFiles >= 10, `artifacts compared: ${cmp.counts.artifactFiles}`);
        assert.ok(cmp.counts.versions >= 4);
        // New entities come after the imported ones: ids and version numbers are not handed out twice.
        const post = async (path: string, body: unknown) => {
          const res = await fetch(`${ciclo.url}/api/2.0/mlflow/${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
          assert.equal(res.status, 200, await res.clone().text());
          return (await res.json()) as Record<string, Record<string, string>>;
        };
        const created = await post("experiments/create", { name: `after-import-${tag}` });
        const maxImported = Math.max(...Object.values(ids).map(Number), ...filled.experiments.filter((e) => !(e in ids)).map(Number));
        assert.ok(Number(created.experiment_id) > maxImported, `new experiment ${String(created.experiment_id)} after ${maxImported}`);
        const version = await post("model-versions/create", { name: "imp-gaps", source: `runs:/${filled.runs[0]}/model`, run_id: filled.runs[0] });
        assert.equal(version.model_version.version, "4", "MLflow gave 1–3 (2 deleted): the next is 4");
      } finally {
        ciclo.proc.kill("SIGTERM");
        await ciclo.exited;
      }

      // Again: nothing new, nothing changed.
      const before = target.startsWith("sqlite:") ? dumpSqlite(target.replace(/^sqlite:\/\//, "")) : "";
      const files = inPlace ? [] : filesUnder(dest);
      const again = await importMlflow(args);
      assert.deepEqual([again.experiments.imported, again.runs.imported, again.registeredModels.imported, again.loggedModels.imported, again.metricPoints, again.artifacts.files], [0, 0, 0, 0, 0, 0]);
      assert.equal(again.runs.alreadyThere, filled.runs.length);
      if (before) assert.equal(dumpSqlite(target.replace(/^sqlite:\/\//, "")), before);
      if (!inPlace) assert.deepEqual(filesUnder(dest), files);
    }

    test(`imports and matches MLflow through both REST APIs (${s.version}, ${s.store})`, { timeout: 900_000 }, (t) => importAndCompare(t, false));
    if (s.inPlaceToo) test("with --artifacts-in-place, ciclo serves MLflow's own artifact folder", { timeout: 600_000 }, (t) => importAndCompare(t, true));
  });
}

scenario("mlflow 2.10 on SQLite", { version: "2.10", store: "sqlite", inPlaceToo: true });
scenario("mlflow 3.3 on SQLite", { version: "3.3", store: "sqlite" });
scenario("mlflow 3.3 on PostgreSQL into ciclo on PostgreSQL", { version: "3.3", store: "postgres", cicloOnPostgres: true });
scenario("mlflow 2.10 on MariaDB", { version: "2.10", store: "mysql" });
scenario("mlflow 3.3 on MariaDB", { version: "3.3", store: "mysql" });
scenario("mlflow 2.10 file store", { version: "2.10", store: "file" });
scenario("mlflow 3.3 file store", { version: "3.3", store: "file" });

test("every known schema revision is read: MLflow's own migrations to each, then a run, a version and their rows", { timeout: 600_000 }, async (t) => {
  if (!oracle) return t.skip("the real MLflow cannot run here");
  const dir = join(scratch.path, "revisions");
  mkdirSync(dir, { recursive: true });
  const { execFileSync } = await import("node:child_process");
  execFileSync("/usr/bin/python3", [join(import.meta.dirname, "testing/make-revision-db.py"), dir, ...KNOWN_REVISIONS], { env: oracle.env("3.3"), stdio: "ignore" });
  for (const revision of KNOWN_REVISIONS) {
    const path = join(dir, `${revision}.db`);
    const db = new Database(path);
    db.exec(`insert into experiments (experiment_id, name, artifact_location, lifecycle_stage) values (1, 'e', 'mlflow-artifacts:/1', 'active');
      insert into runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id)
        values ('${"a".repeat(32)}', 'r', 'LOCAL', '', '', 'u', 'FINISHED', 1, 2, '', 'active', 'mlflow-artifacts:/1/x/artifacts', 1);
      insert into params values ('p', 'v', '${"a".repeat(32)}');
      insert into tags values ('t', 'v', '${"a".repeat(32)}');
      insert into metrics (key, value, timestamp, step, is_nan, run_uuid) values ('m', 1.5, 1, 0, 0, '${"a".repeat(32)}');
      insert into registered_models (name, creation_time, last_updated_time) values ('rm', 1, 1);
      insert into model_versions (name, version, creation_time, last_updated_time, current_stage, source, run_id, status) values ('rm', 1, 1, 1, 'None', 'runs:/x/m', 'x', 'READY');`);
    db.close();
    const source = await openSqlSource(`sqlite:///${path}`);
    try {
      assert.equal(source.revision, revision);
      const [e] = await source.experiments();
      assert.equal(e.name, "e");
      const runs = [];
      for await (const page of source.runPages(["1"], 10)) runs.push(...page);
      assert.deepEqual([runs.length, runs[0].params, runs[0].tags], [1, [{ key: "p", value: "v" }], [{ key: "t", value: "v" }]]);
      const points = [];
      for await (const c of source.metricPoints([runs[0].runId], 10)) points.push(...c);
      assert.equal(points[0].value, 1.5, revision);
      assert.deepEqual(await source.loggedModels(["1"]), []);
      const [m] = await source.registeredModels();
      assert.deepEqual([m.name, m.versions.length, m.maxVersion], ["rm", 1, 1]);
    } finally {
      await source.close();
    }
  }
});
