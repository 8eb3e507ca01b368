/**
 * The metric-ordered first page on PostgreSQL: one walk of the metric's index that stops at the page's last
 * match, each walked run probed against the filter (never a hash of every entry the filter matches), and the
 * same runs in the same order as the general query, whose next page continues it. A page of the general query
 * is two statements however many runs it holds: no query per table or per run.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { CompiledQuery } from "kysely";
import { migrateToLatest } from "../migrations/migrator.js";
import { INBOX_CHECK } from "../sql/tracking/metric-inbox.js";
import { SqlTrackingStore } from "../sql/tracking/sql-tracking-store.js";
import type { SqlConnection } from "../sql/sql-dialect.js";
import { parseFilter, parseOrderBy } from "../../shared/filter/filter-parser.js";
import { RUN_SEARCH_SPEC } from "../../tracking/search-specs.js";
import type { SearchRunsQuery } from "../../tracking/tracking-store.js";
import { createTestDatabase, postgresUnavailable, type PgDatabase } from "../../testing/postgres-fixture.js";
import { openPostgres } from "./postgres-connection.js";

let pgdb: PgDatabase | undefined;
let conn: SqlConnection;
let store: SqlTrackingStore;
let statements: Array<{ sql: string; parameters: readonly unknown[] }> = [];
let experiment: string;
/** The runs the filter below matches, best m1 first (m1 values are distinct). */
let expected: string[] = [];

const RUNS = 1200;

before(async () => {
  if (await postgresUnavailable()) return;
  pgdb = await createTestDatabase();
  // The metric inbox's emptiness check (one per read: metric-inbox.ts) is not the search's: left out of the counts.
  conn = openPostgres(pgdb.uri, { onQuery: (sql, parameters) => sql !== INBOX_CHECK && statements.push({ sql, parameters }) });
  await migrateToLatest(conn.db, "postgres");
  store = new SqlTrackingStore(conn, { defaultArtifactRoot: "s3://b/r" });
  await store.init();
  experiment = await store.createExperiment({ name: "walk", tags: [] });
  const other = await store.createExperiment({ name: "walk-other", tags: [] });
  // p = v1 and m0 > 0.5 match one run in ten; m1 is a permutation of the runs; the other experiment's runs
  // hold the best m1 values, so the walk passes them first.
  const runs = Array.from({ length: RUNS }, (_, i) => ({ exp: experiment, i, p: `v${i % 5}`, m0: ((i * 37) % 100) / 100, m1: ((i * 7919) % RUNS) / RUNS }));
  runs.push(...Array.from({ length: 50 }, (_, i) => ({ exp: other, i, p: "v1", m0: 0.9, m1: 2 + i })));
  const ids = new Map<(typeof runs)[number], string>();
  let next = 0;
  const writer = async () => {
    while (next < runs.length) {
      const r = runs[next++];
      const run = await store.createRun({ experimentId: r.exp, userId: "u", runName: `r${r.i}`, startTime: r.i, tags: [] });
      ids.set(r, run.info.runId);
      const metrics = [
        { key: "m0", value: r.m0, timestamp: 1, step: 0 },
        { key: "m1", value: r.m1, timestamp: 1, step: 0 },
      ];
      await store.logBatch(run.info.runId, { metrics, params: [{ key: "p", value: r.p }], tags: [] });
    }
  };
  await Promise.all(Array.from({ length: 32 }, writer));
  await store.inbox?.settle();
  await conn.dialect.readRows(conn.db, CompiledQuery.raw("analyze"));
  expected = runs
    .filter((r) => r.exp === experiment && r.p === "v1" && r.m0 > 0.5)
    .sort((a, b) => b.m1 - a.m1)
    .map((r) => ids.get(r)!);
});
after(async () => {
  await conn?.db.destroy();
  await pgdb?.drop();
});

const query = (pageToken?: string): SearchRunsQuery => ({
  experimentIds: [experiment],
  filter: parseFilter("params.p = 'v1' AND metrics.m0 > 0.5", RUN_SEARCH_SPEC),
  orderBy: parseOrderBy(["metrics.m1 DESC"], RUN_SEARCH_SPEC),
  maxResults: 10,
  viewType: "ACTIVE_ONLY",
  pageToken,
});

test("a filtered, metric-ordered first page is one walk and one page read, in the general query's order", async (t) => {
  if (!pgdb) return t.skip("PostgreSQL unavailable");
  assert.equal(expected.length, RUNS / 10);
  statements = [];
  const first = await store.searchRuns(query());
  assert.deepEqual(
    first.items.map((r) => r.info.runId),
    expected.slice(0, 10),
  );
  assert.equal(statements.length, 2, statements.map((s) => s.sql).join("\n"));
  assert.match(statements[0].sql, /^\s*with w as/);
  // The next page comes from the general query (a page token never walks) and continues the walk's page.
  const second = await store.searchRuns(query(first.nextPageToken));
  assert.deepEqual(
    second.items.map((r) => r.info.runId),
    expected.slice(10, 20),
  );
});

test("the walk probes each walked run by per-row subqueries, reads runs for matches only, and stops at the page's last match", async (t) => {
  if (!pgdb) return t.skip("PostgreSQL unavailable");
  statements = [];
  await store.searchRuns(query());
  const walk = statements[0];
  const [[plan]] = (await conn.dialect.readRows(conn.db, CompiledQuery.raw(`explain (analyze, format json) ${walk.sql}`, [...walk.parameters]))) as Array<[Array<{ Plan: PlanNode }>]>;
  const nodes = flatten(plan[0].Plan);
  assert.ok(!nodes.some((n) => /Hash/.test(n["Node Type"])), nodes.map((n) => n["Node Type"]).join(", "));
  // The filter's lookups are per-row subqueries, which the planner cannot turn into joins (and so, at scale, into
  // a hash of every entry the filter matches), and they come before the run is read: runs are read for matches only.
  const probes = nodes.filter((n) => n["Index Name"] === "params_key_value_prefix" || n["Index Name"] === "latest_metrics_pk");
  assert.equal(probes.length, 2);
  assert.ok(probes.every((n) => n["Parent Relationship"] === "SubPlan"), JSON.stringify(probes));
  const runReads = nodes.find((n) => n["Index Name"] === "runs_pkey")!;
  assert.ok(runReads["Actual Loops"] < probes[0]["Actual Loops"] / 2, JSON.stringify([runReads, probes]));
  // Two scans of the metric's index: the walk, and the read of the walk's bound (its last allowed entry). The walk
  // passes the other experiment's 50 runs and about ten per match, then stops, well short of the bound.
  const [walked, bound] = nodes.filter((n) => n["Index Name"] === "latest_metrics_key_value").map((n) => n["Actual Rows"]).sort((a, b) => a - b);
  assert.ok(walked < bound * 0.75, `walked ${walked} of ${bound} entries`);
});

test("a page of the general query is two statements whatever its size (its runs, then every table of them), its runs read as getRun reads each, and its token continues it", async (t) => {
  if (!pgdb) return t.skip("PostgreSQL unavailable");
  const page = (pageToken?: string): SearchRunsQuery => ({ experimentIds: [experiment], orderBy: [], maxResults: 1000, viewType: "ACTIVE_ONLY", pageToken });
  statements = [];
  const first = await store.searchRuns(page());
  assert.equal(statements.length, 2, statements.map((s) => s.sql).join("\n"));
  statements = [];
  const second = await store.searchRuns(page(first.nextPageToken));
  assert.equal(statements.length, 2);
  assert.equal(second.nextPageToken, undefined);
  const runs = [...first.items, ...second.items];
  // start_time DESC: the runs were started at 0 … RUNS - 1.
  assert.deepEqual(
    runs.map((r) => r.info.startTime),
    Array.from({ length: RUNS }, (_, i) => RUNS - 1 - i),
  );
  for (const run of runs.filter((_, i) => i % 97 === 0 || i === 999 || i === 1000)) assert.deepEqual(run, await store.getRun(run.info.runId));
  assert.equal(first.items[0].data.params.length, 1);
  assert.equal(first.items[0].data.metrics.length, 2);
});

interface PlanNode {
  "Node Type": string;
  "Index Name"?: string;
  "Actual Rows": number;
  "Actual Loops": number;
  "Parent Relationship"?: string;
  Plans?: PlanNode[];
}

function flatten(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(flatten)];
}
