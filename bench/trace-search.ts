/**
 * `npm run bench:trace-search`: what migration 0025's (key, value) indexes on trace tags and request metadata
 * buy. One experiment of N traces (default 20,000), each with a `topic` tag and an `mlflow.sourceRun` metadata
 * value shared by 20 traces; then the first page (100) of `tags.topic = '…'` and of `run_id = '…'`, timed
 * (p50/p95 of sequential calls) with the CPU per call of this process (and, on PostgreSQL, of its backends) —
 * alternately with the 0025 indexes and with 0023's (key, trace) ones in their place, twice each.
 *
 *   npm run bench:trace-search [-- --backend sqlite|postgres --traces 20000 --samples 200]
 * @module
 */
import { loadavg } from "node:os";
import { sql } from "kysely";
import { parseFilter } from "../src/shared/filter/filter-parser.js";
import { SqlTraceStore } from "../src/store/sql/traces/sql-trace-store.js";
import { VALUE_PREFIX_LENGTH } from "../src/store/sql/sql-dialect.js";
import { openTestStores } from "../src/testing/store-backends.js";
import { TRACE_SEARCH_SPEC } from "../src/tracking/traces/trace-search-spec.js";
import { sampleLatency } from "./lib/latency.js";
import { PgCpu } from "./lib/pg-cpu.js";

const args = process.argv.slice(2);
const opt = (name: string, d: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : d);
const backend = opt("--backend", "sqlite") as "sqlite" | "postgres";
const N = Number(opt("--traces", "20000"));
const SAMPLES = Number(opt("--samples", "200"));
const load = () => loadavg().map((l) => l.toFixed(2)).join(" ");

const b = await openTestStores(backend);
let pg: PgCpu | undefined;
if (!b) throw new Error(`${backend} is not available`);
try {
  const db = b.stores.connection.db;
  const traces = new SqlTraceStore(b.stores.connection);
  const exp = await b.stores.tracking.createExperiment({ name: "trace-search-bench", tags: [] });
  const seedStart = performance.now();
  for (let i = 0; i < N; i += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, N - i) }, (_, k) =>
        traces.startTrace({
          traceId: `tr-${String(i + k).padStart(32, "0")}`,
          experimentId: exp,
          clientRequestId: null,
          requestTime: 1_700_000_000_000 + i + k,
          executionDuration: 10,
          state: "OK",
          requestPreview: null,
          responsePreview: null,
          metadata: { "mlflow.sourceRun": `run${(i + k) % (N / 20)}`, "mlflow.trace_schema.version": "3" },
          tags: { topic: `topic-${(i + k) % (N / 20)}`, "mlflow.traceName": "chat", "mlflow.artifactLocation": `mlflow-artifacts:/${exp}/traces/x/artifacts` },
          assessments: [],
        }),
      ),
    );
  }
  console.log(`${backend}: ${N} traces seeded in ${((performance.now() - seedStart) / 1000).toFixed(1)} s; load ${load()}`);

  pg = backend === "postgres" ? await PgCpu.open(b.uri) : undefined;
  const indexes = async (which: "0025" | "0023") => {
    for (const table of ["trace_tags", "trace_request_metadata"]) {
      await sql`drop index if exists ${sql.ref(`${table}_key`)}`.execute(db);
      await sql`drop index if exists ${sql.ref(`${table}_key_value`)}`.execute(db);
      await sql`drop index if exists ${sql.ref(`${table}_key_value_prefix`)}`.execute(db);
      if (which === "0023") await sql`create index ${sql.ref(`${table}_key`)} on ${sql.table(table)} (key, request_id)`.execute(db);
      else if (backend === "postgres") {
        await sql`create index ${sql.ref(`${table}_key_value_prefix`)} on ${sql.table(table)} (key, substr(value, 1, ${sql.lit(VALUE_PREFIX_LENGTH)}), request_id)`.execute(db);
      } else await sql`create index ${sql.ref(`${table}_key_value`)} on ${sql.table(table)} (key, value, request_id)`.execute(db);
    }
    await sql`analyze`.execute(db);
  };
  const search = (filter: string) => () => traces.searchTraces({ experimentIds: [exp], filter: parseFilter(filter, TRACE_SEARCH_SPEC), orderBy: [], maxResults: 100 });
  const cases: Array<[string, string]> = [
    ["tags.topic = '…'", "tags.topic = 'topic-7'"],
    ["run_id = '…'", "run_id = 'run7'"],
  ];
  const rows: string[] = [];
  for (const round of [1, 2]) {
    for (const which of ["0025", "0023"] as const) {
      await indexes(which);
      for (const [name, filter] of cases) {
        const found = (await search(filter)()).items.length;
        if (found !== 20) throw new Error(`${name} found ${found}, not 20`);
        await pg?.begin();
        const cpu0 = process.cpuUsage();
        const lat = await sampleLatency(search(filter), SAMPLES, 20);
        const cpu = process.cpuUsage(cpu0);
        const pgCpu = pg ? await pg.end() : undefined;
        const perCall = (us: number) => (us / 1000 / (SAMPLES + 20)).toFixed(3);
        const line =
          `round ${round}, ${which} indexes, ${name}: p50 ${lat.p50.toFixed(3)} ms, p95 ${lat.p95.toFixed(3)} ms, ` +
          `CPU/call: node ${perCall(cpu.user + cpu.system)} ms` +
          (pgCpu ? `, PostgreSQL backends ${((pgCpu.backends * 1000) / (SAMPLES + 20)).toFixed(3)} ms` : "") +
          `; load ${load()}`;
        console.log(line);
        rows.push(line);
      }
    }
  }
} finally {
  await pg?.close();
  await b.cleanup();
}
