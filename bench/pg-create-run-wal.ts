/**
 * What a new run costs PostgreSQL's WAL after a checkpoint, by how its id is spelled (issue 17): the one-statement
 * create-run group of create-run-group.ts, 10 runs per statement with their two default tags, sent on one
 * connection into a runs table that already holds `--runs` runs with random ids (a deployment's history), right
 * after a `CHECKPOINT` — as every create run after one of the checkpoints a log-batch load brings. Ids are either
 * random (uuid4's 32 hex digits, as before) or time-ordered (shared/node/time-ordered-id.ts, UUIDv7's layout), blocks alternating.
 * Per run: the statement's WAL records, full-page images and bytes from `EXPLAIN (ANALYZE, WAL)` (this statement's
 * own, whatever else the server does), and in a second pass without EXPLAIN the backend's CPU (/proc: load on the
 * machine inflates it).
 *
 *   node --import tsx bench/pg-create-run-wal.ts [--runs 200000] [--statements 300] [--rounds 2]
 * @module
 */
import { randomUUID } from "node:crypto";
import { loadavg } from "node:os";
import pg from "pg";
import { migrateToLatest } from "../src/store/migrations/migrator.js";
import { openPostgres } from "../src/store/postgres/postgres-connection.js";
import { SOLO_CREATE } from "../src/store/sql/tracking/create-run-group.js";
import { ensureDefaultExperiment } from "../src/store/sql/tracking/experiment-queries.js";
import { newTimeOrderedId } from "../src/shared/node/time-ordered-id.js";
import { createTestDatabase } from "../src/testing/postgres-fixture.js";
import { processCpuSeconds } from "./lib/proc-cpu.js";

const args = process.argv.slice(2);
const opt = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const RUNS = Number(opt("--runs") ?? 200_000);
const STATEMENTS = Number(opt("--statements") ?? 300);
const ROUNDS = Number(opt("--rounds") ?? 2);
const PER_STATEMENT = 10;

const db = await createTestDatabase();
const conn = openPostgres(db.uri, {});
const client = new pg.Client({ connectionString: db.uri });
try {
  await migrateToLatest(conn.db, "postgres");
  await ensureDefaultExperiment(conn.db, "file:///artifacts", Date.now());
  await conn.db.destroy();
  await client.connect();
  // The history: runs with random ids and their two tags, in experiment 0.
  await client.query(
    `insert into runs (run_uuid, experiment_id, name, user_id, status, start_time, artifact_uri, lifecycle_stage, deleted_with_experiment)
     select md5(random()::text || g), 0, 'old', 'bench', 'FINISHED', 1700000000000 + g, 'x', 'active', 0 from generate_series(1, $1) g`,
    [RUNS],
  );
  await client.query(`insert into tags (run_id, key, value) select id, k, 'old' from runs, unnest(array['mlflow.user', 'mlflow.runName']) k`);
  await client.query("vacuum analyze runs, tags");
  const pid = (await client.query<{ p: number }>("select pg_backend_pid() as p")).rows[0].p;

  const params = (spell: () => string) => {
    const ids = Array.from({ length: PER_STATEMENT }, spell);
    const now = Date.now();
    return [[0], ids, ids.map(() => 0), ids.map(() => "bench"), ids.map(() => "bench"), ids.map(() => now),
      [...ids, ...ids], [...ids.map(() => "mlflow.user"), ...ids.map(() => "mlflow.runName")], [...ids.map(() => "bench"), ...ids.map(() => "bench")]];
  };
  const spellings = { random: () => randomUUID().replaceAll("-", ""), "time-ordered": () => newTimeOrderedId() };
  type Plan = { "Node Type": string; "WAL Records"?: number; "WAL FPI"?: number; "WAL Bytes"?: number; Plans?: Plan[] };
  // The statement's WAL: its ModifyTable nodes (each counts its own subtree) and the experiments' lock.
  const walOf = (p: Plan, acc = { records: 0, fpi: 0, bytes: 0 }): typeof acc => {
    if (p["Node Type"] === "ModifyTable" || p["Node Type"] === "LockRows") {
      acc.records += p["WAL Records"] ?? 0;
      acc.fpi += p["WAL FPI"] ?? 0;
      acc.bytes += p["WAL Bytes"] ?? 0;
      return acc;
    }
    for (const c of p.Plans ?? []) walOf(c, acc);
    return acc;
  };
  console.log(`| round | ids | WAL records per run | full-page images per run | WAL bytes per run | backend CPU µs per run | load |`);
  console.log(`|---|---|---|---|---|---|---|`);
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [name, spell] of Object.entries(spellings)) {
      await client.query("checkpoint");
      const wal = { records: 0, fpi: 0, bytes: 0 };
      for (let i = 0; i < STATEMENTS; i++) {
        const res = await client.query<{ "QUERY PLAN": Array<{ Plan: Plan }> }>({ text: `explain (analyze, wal, timing off, costs off, format json) ${SOLO_CREATE}`, values: params(spell) });
        const w = walOf(res.rows[0]["QUERY PLAN"][0].Plan);
        wal.records += w.records;
        wal.fpi += w.fpi;
        wal.bytes += w.bytes;
      }
      await client.query("checkpoint");
      const c0 = processCpuSeconds(pid);
      for (let i = 0; i < STATEMENTS; i++) await client.query({ name: "solo-create", text: SOLO_CREATE, values: params(spell) });
      const cpuUs = ((processCpuSeconds(pid) - c0) * 1e6) / (STATEMENTS * PER_STATEMENT);
      const n = STATEMENTS * PER_STATEMENT;
      console.log(`| ${round} | ${name} | ${(wal.records / n).toFixed(1)} | ${(wal.fpi / n).toFixed(2)} | ${(wal.bytes / n).toFixed(0)} | ${cpuUs.toFixed(1)} | ${loadavg()[0].toFixed(1)} |`);
    }
  }
} finally {
  await client.end().catch(() => {});
  await db.drop();
}
