/**
 * `npm run bench:jobs`: jobs per second through the job runner of real server
 * processes (src/testing/jobs-child-server.ts: `ciclo server` with the
 * default runner settings — 4 jobs at once per process, 30 s leases — plus
 * two bench job types):
 *
 * - SQLite, one server; PostgreSQL, two servers on one database;
 * - `bench.noop` (returns at once) and `bench.write` (publishes one event to
 *   the event stream: one more row and write transaction per job).
 *
 * Each case enqueues N jobs (from this process, through the store), makes them
 * all due at one instant, waits until every one has succeeded, and
 * reports N / (last finish − first start), from the jobs' own timestamps: the
 * runner's throughput draining a backlog, enqueueing excluded. PostgreSQL
 * cases are skipped when it is unreachable. Results print and go to
 * bench/results/jobs.json.
 *
 *   npm run bench:jobs [-- --jobs=5000]
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openStores, type OpenedStores } from "../src/store/open-stores.js";
import { SqlJobStore } from "../src/store/sql/jobs/sql-job-store.js";
import { startChildServer, type ChildServer } from "../src/testing/child-server.js";
import { createTestDatabase, postgresUnavailable } from "../src/testing/postgres-fixture.js";
import { tempDir } from "../src/testing/temp-dir.js";
import { waitFor } from "../src/testing/wait-for.js";

const ENTRY = ["--import", "tsx", "src/testing/jobs-child-server.ts"];
const N = Number(/^--jobs=(\d+)$/.exec(process.argv.find((a) => a.startsWith("--jobs=")) ?? "")?.[1] ?? 5000);
/** 500 of these run first, unreported: V8 compiles the servers' hot paths before the measured cases. */
const WARM_UP = "bench.noop";

interface CaseResult {
  backend: string;
  servers: number;
  handler: string;
  jobs: number;
  seconds: number;
  jobs_per_s: number;
}

async function runCase(stores: OpenedStores, servers: ChildServer[], backend: string, type: string, n = N): Promise<CaseResult> {
  const store = new SqlJobStore(stores.connection);
  // Enqueued far in the future, then all made due in one statement: the servers see the whole backlog at once.
  const later = Date.now() + 3_600_000;
  for (let i = 0; i < n; i += 500) {
    await Promise.all(Array.from({ length: Math.min(500, n - i) }, () => store.enqueue({ type, payload: {}, maxAttempts: 3, runAfter: later }, Date.now())));
  }
  await stores.connection.write((trx) => trx.updateTable("jobs").set({ run_after: Date.now() }).where("type", "=", type).execute());
  await waitFor(
    () => stores.connection.db.selectFrom("jobs").select((eb) => eb.fn.countAll<number>().as("n")).where("type", "=", type).where("state", "=", "succeeded").executeTakeFirstOrThrow(),
    (r) => Number(r.n) === n,
    { timeoutMs: 600_000, intervalMs: 200, what: `${n} ${type} jobs` },
  );
  const span = await stores.connection.db
    .selectFrom("jobs")
    .select((eb) => [eb.fn.min("started_at").as("first"), eb.fn.max("finished_at").as("last")])
    .where("type", "=", type)
    .executeTakeFirstOrThrow();
  const seconds = (Number(span.last) - Number(span.first)) / 1000;
  const result: CaseResult = { backend, servers: servers.length, handler: type, jobs: N, seconds: Math.round(seconds * 100) / 100, jobs_per_s: Math.round(N / seconds) };
  if (n !== N) return result;
  console.log(`${backend.padEnd(10)} servers=${servers.length} ${type.padEnd(11)} ${N} jobs in ${result.seconds}s → ${result.jobs_per_s} jobs/s`);
  return result;
}

async function bench(backend: string, uri: string, serverCount: number, dir: string): Promise<CaseResult[]> {
  const stores = await openStores(uri, { defaultArtifactRoot: "mlflow-artifacts:/" });
  const servers = await Promise.all(Array.from({ length: serverCount }, () => startChildServer(uri, join(dir, "artifacts"), { entry: ENTRY })));
  try {
    const out: CaseResult[] = [];
    await runCase(stores, servers, backend, WARM_UP, 500);
    await stores.connection.write((trx) => trx.deleteFrom("jobs").execute());
    for (const type of ["bench.noop", "bench.write"]) out.push(await runCase(stores, servers, backend, type));
    return out;
  } finally {
    for (const s of servers) s.proc.kill("SIGTERM");
    await Promise.all(servers.map((s) => s.exited));
    await stores.tracking.close();
  }
}

async function main(): Promise<void> {
  const results: CaseResult[] = [];
  const dir = tempDir("ciclo-bench-jobs-");
  try {
    results.push(...(await bench("sqlite", `sqlite:///${join(dir.path, "ciclo.db")}`, 1, dir.path)));
    if (!(await postgresUnavailable())) {
      const pgdb = await createTestDatabase();
      try {
        results.push(...(await bench("postgres", pgdb.uri, 2, dir.path)));
      } finally {
        await pgdb.drop();
      }
    }
  } finally {
    dir.remove();
  }
  const outDir = new URL("./results/", import.meta.url).pathname;
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "jobs.json"), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 2)}\n`);
}

await main();
