/**
 * `npm run bench:pg-round-trips`: where a write's time goes, measured in-process on the store (no HTTP):
 * statements sent per write, writes/s and the CPU time per write of this process and of PostgreSQL's backends for
 * the database (bench/lib/pg-cpu.ts) for concurrent log-metric (one
 * run, and 32 runs), log-batch of 100 points and create run. On PostgreSQL (the default) with batched group
 * commits and, for comparison, the way before (a savepoint round trip pair around each write, each write's own
 * statements); `--backend sqlite` measures the embedded store's group commit the same way.
 *
 *   npm run bench:pg-round-trips [-- --writes 2000 --concurrency 32 --backend sqlite --only "32 runs" --batched-only
 *     --steps per-run --vary-values --background-checkpoints]
 * @module
 */
import { loadavg, tmpdir } from "node:os";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { sql } from "kysely";
import { migrateToLatest } from "../src/store/migrations/migrator.js";
import { openPostgres } from "../src/store/postgres/postgres-connection.js";
import { openSqlite } from "../src/store/sqlite/sqlite-connection.js";
import type { SqlConnection } from "../src/store/sql/sql-dialect.js";
import { inboxOf } from "../src/store/sql/tracking/metric-inbox.js";
import { SqlTrackingStore } from "../src/store/sql/tracking/sql-tracking-store.js";
import { createTestDatabase } from "../src/testing/postgres-fixture.js";
import { PgCpu } from "./lib/pg-cpu.js";

const args = process.argv.slice(2);
const opt = (name: string, d: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : d);
const WRITES = opt("--writes", 2000);
const CONCURRENCY = opt("--concurrency", 32);
const BACKEND = (args.includes("--backend") ? args[args.indexOf("--backend") + 1] : "postgres") as "postgres" | "sqlite";
/** Only the cases whose name contains this (profiling one case: `--only "32 runs"`). */
const ONLY = args.includes("--only") ? args[args.indexOf("--only") + 1] : undefined;
/**
 * `--steps per-run`: each run counts its own steps (0, 1, 2, … as a sweep's runs log), instead of one counter shared
 * by every write, which over 32 runs moves each series 32 steps per write and so opens a new summary bucket every
 * 8 writes of a series where a run logging alone opens one every 256.
 */
const PER_RUN_STEPS = args.includes("--steps") && args[args.indexOf("--steps") + 1] === "per-run";
/** `--vary-values`: each log-metric sends a new value (as training does; HTTP's wrk script does) instead of 1 every time. */
const VARY_VALUES = args.includes("--vary-values");
const valueOf = (i: number) => (VARY_VALUES ? (i % 1000) + 0.5 : 1);
/** `--background-checkpoints` (SQLite): WAL checkpoints on a worker thread, as `ciclo server` runs them. */
const BACKGROUND_CHECKPOINTS = args.includes("--background-checkpoints");
if (BACKEND !== "postgres" && BACKEND !== "sqlite") throw new Error(`--backend postgres|sqlite, not ${BACKEND}`);

interface Result {
  name: string;
  perSec: number;
  statementsPerWrite: number;
  /** This process's CPU time (user + system) per write, µs. */
  cpuUs: number;
  /** PostgreSQL's backends' CPU time per write, µs (PostgreSQL only). */
  pgUs?: number;
  /** WAL bytes per write, the whole server's (other databases' writes included; PostgreSQL only). */
  walBytes?: number;
  /** SQLite: the WAL file's size after the case, MB (it grows while no checkpoint catches up with the writer). */
  walFileMb?: number;
}

let statements = 0;

/** A fresh database; `batched` chooses PostgreSQL's group mode. */
async function open(batched: boolean): Promise<{ conn: SqlConnection; pgCpu?: PgCpu; walFile?: string; drop(): Promise<void> }> {
  if (BACKEND === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "ciclo-rt-"));
    const conn = openSqlite(`sqlite:///${join(dir, "rt.db")}`, { onQuery: () => statements++, backgroundCheckpoints: BACKGROUND_CHECKPOINTS });
    return { conn, walFile: join(dir, "rt.db-wal"), drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const pg = await createTestDatabase();
  const conn = openPostgres(pg.uri, { batchedGroups: batched, onQuery: () => statements++ });
  const pgCpu = await PgCpu.open(pg.uri);
  return {
    conn,
    pgCpu,
    async drop() {
      await pgCpu.close();
      await pg.drop();
    },
  };
}

async function measure(batched: boolean): Promise<Result[]> {
  const { conn, pgCpu, walFile, drop } = await open(batched);
  try {
    await migrateToLatest(conn.db, BACKEND);
    const store = new SqlTrackingStore(conn, { defaultArtifactRoot: "s3://b/r" });
    await store.init();
    const newRun = (i: number) => store.createRun({ experimentId: "0", userId: "u", runName: `r${i}`, startTime: i, tags: [{ key: "mlflow.user", value: "u" }] });
    const runs = await Promise.all(Array.from({ length: 32 }, (_, i) => newRun(i)));
    let step = 0;
    const runSteps = new Array<number>(32).fill(0);
    const stepOf = (run: number) => (PER_RUN_STEPS ? runSteps[run]++ : step++);
    const cases: Array<[string, (i: number) => Promise<unknown>]> = [
      ["log-metric into one run", (i) => store.logBatch(runs[0].info.runId, { metrics: [{ key: "m", value: valueOf(i), step: stepOf(0), timestamp: 1 }], params: [], tags: [] })],
      ["log-metric over 32 runs", (i) => store.logBatch(runs[i % 32].info.runId, { metrics: [{ key: "m", value: valueOf(i), step: stepOf(i % 32), timestamp: 1 }], params: [], tags: [] })],
      [
        "log-batch, 100 points",
        () => {
          const base = (step += 100);
          return store.logBatch(runs[1].info.runId, { metrics: Array.from({ length: 100 }, (_, k) => ({ key: `k${k % 10}`, value: k, step: base + k, timestamp: 1 })), params: [], tags: [] });
        },
      ],
      ["create run", (i) => newRun(i)],
    ];
    const out: Result[] = [];
    for (const [name, write] of cases.filter(([name]) => ONLY === undefined || name.includes(ONLY))) {
      // CONCURRENCY clients, each sending its next write when the last is answered (as HTTP clients do).
      let next = 0;
      const wal0 = await walPosition(conn);
      statements = 0;
      await pgCpu?.begin();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < WRITES) await write(next++);
        }),
      );
      // What the writes left in the metric inbox is folded inside the window: its fold is part of their cost.
      await inboxOf(conn.dialect)?.settle();
      const secs = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const pgUsed = await pgCpu?.end();
      const writeStatements = statements;
      const wal1 = await walPosition(conn);
      const walBytes = wal0 === undefined || wal1 === undefined ? undefined : (wal1 - wal0) / WRITES;
      const walFileMb = walFile && existsSync(walFile) ? statSync(walFile).size / 2 ** 20 : undefined;
      out.push({ name, perSec: WRITES / secs, statementsPerWrite: writeStatements / WRITES, cpuUs: (cpu.user + cpu.system) / WRITES, pgUs: pgUsed && (pgUsed.backends * 1e6) / WRITES, walBytes, walFileMb });
    }
    return out;
  } finally {
    await conn.db.destroy();
    await drop();
  }
}

/** PostgreSQL: the WAL's position, in bytes. */
async function walPosition(conn: SqlConnection): Promise<number | undefined> {
  if (BACKEND !== "postgres") return undefined;
  const res = await sql<{ lsn: string }>`select pg_current_wal_lsn() - '0/0'::pg_lsn as lsn`.execute(conn.db);
  return Number(res.rows[0].lsn);
}

const load = () => loadavg().map((l) => l.toFixed(1)).join(" ");
const cell = (r: Result) =>
  `${Math.round(r.perSec)} (${r.statementsPerWrite.toFixed(2)}; ${Math.round(r.cpuUs)} µs${r.pgUs === undefined ? "" : ` + PostgreSQL ${Math.round(r.pgUs)} µs`}` +
  `${r.walBytes === undefined ? "" : `; WAL ${Math.round(r.walBytes)} B/write`}` +
  `${r.walFileMb === undefined ? "" : `; WAL file ${r.walFileMb.toFixed(1)} MB`})`;
console.log(`\n${WRITES} writes per case, ${CONCURRENCY} concurrent writers, in-process (no HTTP), ${BACKEND}; load average before: ${load()}\n`);
if (BACKEND === "sqlite") {
  const now = await measure(false);
  console.log("| case | group commit: writes/s (statements/write; CPU µs/write) |");
  console.log("|---|---|");
  for (const n of now) console.log(`| ${n.name} | ${cell(n)} |`);
} else {
  // --batched-only: skip the savepoint-per-write comparison (half the time).
  const before = args.includes("--batched-only") ? [] : await measure(false);
  const now = await measure(true);
  console.log("| case | savepoint per write: writes/s (statements/write; CPU µs/write) | batched groups: writes/s (statements/write; CPU µs/write) |");
  console.log("|---|---|---|");
  now.forEach((n, i) => console.log(`| ${n.name} | ${before[i] ? cell(before[i]) : "—"} | ${cell(n)} |`));
  console.log("\n(CPU: this process's, + the database's PostgreSQL backends'; the server's background processes not included)");
}
console.log(`\nload average after: ${load()}`);
