/**
 * `npm run bench:pg-search`: the search figures of `npm run bench -- --backend postgres`, in-process on the store
 * (no HTTP, no server), in minutes: 100,000 wide runs seeded in bulk into a fresh database, then the filtered,
 * metric-ordered first page, the unfiltered one and the 1,000-run pages timed (p50/p95 of sequential calls), with
 * the CPU each call cost this process and PostgreSQL's backends (figures that other load distorts less than
 * time), and with --explain the plan of each query a case sent (`EXPLAIN (ANALYZE, BUFFERS)`).
 *
 *   npm run bench:pg-search [-- --runs 100000 --samples 50 --explain --only <case> --keep | --reuse <uri printed by --keep>]
 * @module
 */
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import pg from "pg";
import { migrateToLatest } from "../src/store/migrations/migrator.js";
import { openPostgres } from "../src/store/postgres/postgres-connection.js";
import { SqlTrackingStore } from "../src/store/sql/tracking/sql-tracking-store.js";
import { parseFilter, parseOrderBy } from "../src/shared/filter/filter-parser.js";
import { RUN_SEARCH_SPEC } from "../src/tracking/search-specs.js";
import type { SearchRunsQuery } from "../src/tracking/tracking-store.js";
import { createTestDatabase } from "../src/testing/postgres-fixture.js";
import { sampleLatency } from "./lib/latency.js";
import { seedRunsBulk } from "./lib/seed.js";

const args = process.argv.slice(2);
const opt = (name: string, d: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : d);
const RUNS = opt("--runs", 100_000);
const SAMPLES = opt("--samples", 50);
const load = () => loadavg().map((l) => l.toFixed(1)).join(" ");

/** CPU ms the database's backends have used so far (they run on this host: /proc/<pid>/stat, in clock ticks). */
async function backendCpuMs(admin: pg.Client): Promise<number> {
  const { rows } = await admin.query<{ pid: number }>("select pid from pg_stat_activity where datname = current_database()");
  let ticks = 0;
  for (const { pid } of rows) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    } catch {
      // a backend that exited meanwhile
    }
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}

// --reuse <uri>: a database an earlier `--keep` run seeded (re-measure in seconds); --keep: leave it in place.
const reuse = args.includes("--reuse") ? args[args.indexOf("--reuse") + 1] : undefined;
const db = reuse ? { uri: reuse, drop: async () => {} } : await createTestDatabase();
const reads: Array<{ sql: string; parameters: readonly unknown[] }> = [];
let recording = false;
const conn = openPostgres(db.uri, { onQuery: (sql, parameters) => recording && reads.push({ sql, parameters }) });
try {
  // A reused database is migrated already (by a server, maybe further than the store's own migrations go).
  if (!reuse) await migrateToLatest(conn.db, "postgres");
  const store = new SqlTrackingStore(conn, { defaultArtifactRoot: "s3://b/r" });
  await store.init();
  const admin = new pg.Client({ connectionString: db.uri });
  await admin.connect();
  let wide: string, small: string, small5: string;
  if (reuse) {
    wide = (await store.getExperimentByName("search-wide")).experimentId;
    small = (await store.getExperimentByName("search-1k")).experimentId;
    small5 = (await store.getExperimentByName("search-1k-wide")).experimentId;
  } else {
    wide = await store.createExperiment({ name: "search-wide", tags: [] });
    small = await store.createExperiment({ name: "search-1k", tags: [] });
    small5 = await store.createExperiment({ name: "search-1k-wide", tags: [] });
    let t = performance.now();
    await seedRunsBulk(conn, wide, RUNS, { params: 20, metrics: 10, tags: 2, valuesPerParam: 10 });
    await seedRunsBulk(conn, small, 1000, { params: 1, metrics: 1, tags: 1, valuesPerParam: 10, clientTags: true });
    await seedRunsBulk(conn, small5, 1000, { params: 5, metrics: 5, tags: 3, valuesPerParam: 10, clientTags: true });
    const seedSecs = (performance.now() - t) / 1000;
    t = performance.now();
    await admin.query("vacuum analyze");
    console.log(`seeded ${RUNS.toLocaleString()} + 2 × 1,000 runs in ${seedSecs.toFixed(1)} s (bulk), vacuum analyze ${((performance.now() - t) / 1000).toFixed(1)} s; load average ${load()}`);
  }
  if (args.includes("--keep")) console.log(`kept: --reuse ${db.uri}`);

  const filtered: SearchRunsQuery = {
    experimentIds: [wide],
    filter: parseFilter("params.p0 = 'v3' AND metrics.m0 > 0.5", RUN_SEARCH_SPEC),
    orderBy: parseOrderBy(["metrics.m1 DESC"], RUN_SEARCH_SPEC),
    maxResults: 100,
    viewType: "ACTIVE_ONLY",
  };
  const cases: Array<[string, SearchRunsQuery]> = [
    ["filtered (params.p0 = 'v3' AND metrics.m0 > 0.5), order by metrics.m1 DESC, 100 rows", filtered],
    ["no filter, order by metrics.m3 ASC, 100 rows", { ...filtered, filter: undefined, orderBy: parseOrderBy(["metrics.m3 ASC"], RUN_SEARCH_SPEC) }],
    ["1,000 runs → 1,000 rows (1 param, 1 metric, 5 tags)", { ...filtered, experimentIds: [small], filter: undefined, orderBy: [], maxResults: 1000 }],
    ["1,000 runs → 1,000 rows (5 params, 5 metrics, 7 tags)", { ...filtered, experimentIds: [small5], filter: undefined, orderBy: [], maxResults: 1000 }],
  ];
  // --only <n>: one case (its index in the table), to iterate on one query.
  const only = args.includes("--only") ? Number(args[args.indexOf("--only") + 1]) : undefined;
  console.log(`\n| search (in-process, ${RUNS.toLocaleString()} wide runs) | rows | p50 ms | p95 ms | statements | CPU ms per call: node / PostgreSQL |\n|---|---|---|---|---|---|`);
  for (const [i, [name, query]] of cases.entries()) {
    if (only !== undefined && i !== only) continue;
    let rows = 0;
    let calls = 0;
    let cpu = process.cpuUsage();
    let pgCpu = 0;
    const st = await sampleLatency(async () => {
      if (calls++ === 20) [cpu, pgCpu] = [process.cpuUsage(), await backendCpuMs(admin)]; // after the warm-up
      rows = (await store.searchRuns(query)).items.length;
    }, SAMPLES);
    const used = process.cpuUsage(cpu);
    const nodeMs = (used.user + used.system) / 1000 / SAMPLES;
    const pgMs = ((await backendCpuMs(admin)) - pgCpu) / SAMPLES;
    reads.length = 0;
    recording = true;
    await store.searchRuns(query);
    recording = false;
    console.log(`| ${name} | ${rows} | ${st.p50.toFixed(1)} | ${st.p95.toFixed(1)} | ${reads.length} | ${nodeMs.toFixed(1)} / ${pgMs.toFixed(1)} |`);
    if (args.includes("--explain")) {
      for (const r of reads) {
        const plan = await admin.query({ text: `explain (analyze, buffers) ${r.sql}`, values: r.parameters as unknown[] });
        console.log(`\n${r.sql.replace(/\s+/g, " ").slice(0, 300)}\n${plan.rows.map((x) => x["QUERY PLAN"]).join("\n")}`);
      }
    }
  }
  await admin.end();
  console.log(`\nload average after: ${load()}`);
} finally {
  await conn.db.destroy();
  if (!args.includes("--keep")) await db.drop();
}
