/**
 * Where PostgreSQL's extra CPU per write goes when a group's writes name 32 runs instead of one (issue 17): the
 * group statement of log-batch-statement.ts, 32 one-point log-metrics per statement — one series in one run, or
 * one series in each of 32 runs, each run counting its own steps, a new value each time — sent on one connection
 * (no client in the way), with the backend's CPU per write (/proc), WAL bytes per write (`pg_current_wal_lsn()`)
 * and latest_metrics' updates, HOT ones apart. `--explain` prints `EXPLAIN (ANALYZE, BUFFERS, WAL)` of one
 * statement of each shape.
 *
 * `--variant` measures a bound, not a design: `no-value-index` drops `latest_metrics_key_value` (updates can then
 * be HOT; the metric-ordered search loses its index walk), `fillfactor-50` (`-70`, `-85`) leaves room on latest_metrics' pages,
 * `no-series-rows` leaves latest_metrics out of the statement (what the history alone costs), `plain-update`
 * updates the series rows with `UPDATE … FROM` instead of the upsert (they all exist after the warm-up),
 * `dirty-flag` (`-ff70`) the write side of an ordered walk served from a settled copy of the value (see DIRTY),
 * `one-history-row` a group's points in one chunk row (see ONE_HISTORY_ROW), `dirty-flag-one-history-row` both.
 *
 *   node --import tsx bench/pg-group-statement.ts [--statements 1000] [--rounds 2] [--variant no-value-index] [--spread-rows] [--explain]
 * @module
 */
import { loadavg } from "node:os";
import pg from "pg";
import { migrateToLatest } from "../src/store/migrations/migrator.js";
import { openPostgres } from "../src/store/postgres/postgres-connection.js";
import { groupStatement, type GroupRows } from "../src/store/sql/tracking/log-batch-statement.js";
import { buildChunks } from "../src/store/sql/tracking/metric-chunks.js";
import { SqlTrackingStore } from "../src/store/sql/tracking/sql-tracking-store.js";
import { createTestDatabase } from "../src/testing/postgres-fixture.js";
import { processCpuSeconds } from "./lib/proc-cpu.js";

const args = process.argv.slice(2);
const opt = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const STATEMENTS = Number(opt("--statements") ?? 1000);
const ROUNDS = Number(opt("--rounds") ?? 2);
const VARIANT = opt("--variant") ?? "as-is";
const WRITES = 32;
const VARIANTS = ["as-is", "no-value-index", "fillfactor-50", "fillfactor-70", "fillfactor-85", "no-series-rows", "plain-update", "dirty-flag", "dirty-flag-ff70", "one-history-row", "dirty-flag-one-history-row"];
/**
 * `dirty-flag` (a design's write side, not a design): the ordered walk served from `sort_value`, a copy of the value
 * settled in bulk (every {@link SETTLE_EVERY} statements here, as a background job would), while writes only mark
 * the row `dirty` (a partial index lists the dirty rows, which a search would merge exactly): `value` is in no
 * index, so a write to a row already dirty can be HOT. `-ff70` adds fillfactor 70.
 */
const DIRTY = VARIANT.startsWith("dirty-flag");
const SETTLE_EVERY = 100;
/**
 * `one-history-row` (a bound: the points land under run 0's series): a group's points in one chunk row whatever
 * runs they name, as a group-level inbox folded per series later would write them; the series rows as before.
 */
const ONE_HISTORY_ROW = VARIANT.endsWith("one-history-row");
/**
 * `--spread-rows`: each run's series row created first, followed by 40 rows of other keys, so the 32 rows sit on
 * pages of their own (as rows of runs created at different times do) instead of sharing one heap page, where a
 * statement's 32 new row versions (~5 KB) outgrow what pruning frees and some updates cannot be HOT.
 */
const SPREAD_ROWS = args.includes("--spread-rows");
if (!VARIANTS.includes(VARIANT)) throw new Error(`--variant ${VARIANTS.join("|")}, not ${VARIANT}`);

const SERIES_CTE = /lat as \(insert into latest_metrics \(([^)]*)\) select ([^]*?) from g order by g\.run_id, g\.key on conflict \(run_id, key\) do update set ([^]*?) returning ([^)]*)\)/;

/** The statement as the variant sends it (the text of log-batch-statement.ts, its series CTE replaced for two variants). */
function variantText(text: string): string {
  if (DIRTY) {
    if (!text.includes("guard_ts = null, ")) throw new Error("the series upsert changed: update bench/pg-group-statement.ts");
    return text.replace("guard_ts = null, ", "guard_ts = null, dirty = true, ");
  }
  if (VARIANT !== "no-series-rows" && VARIANT !== "plain-update") return text;
  const m = text.match(SERIES_CTE);
  if (!m) throw new Error("the group statement's series CTE changed: update bench/pg-group-statement.ts");
  const [whole, cols, exprs, set, returning] = m;
  const names = cols.split(", ");
  const source = exprs.split(", ").map((e, i) => `${e} as ${names[i]}`).join(", ");
  if (VARIANT === "no-series-rows") {
    // The rows the upsert would return, with nothing closed: the rest of the statement runs as before.
    const closed = returning.split(", ").filter((c) => c.startsWith("closed_"));
    return text.replace(whole, `lat as (select run_id, key, step, ${closed.map((c) => `null::${c.endsWith("_value") ? "float8" : "int8"} as ${c}`).join(", ")} from (select ${source} from g) excluded)`);
  }
  const ret = returning.split(", ").map((c) => `latest_metrics.${c}`).join(", ");
  return text.replace(
    whole,
    `lat as (update latest_metrics set ${set} from (select ${source} from g) excluded ` +
      `where latest_metrics.run_id = excluded.run_id and latest_metrics.key = excluded.key returning ${ret})`,
  );
}

const db = await createTestDatabase();
const conn = openPostgres(db.uri, {});
const client = new pg.Client({ connectionString: db.uri });
try {
  await migrateToLatest(conn.db, "postgres");
  const store = new SqlTrackingStore(conn, { defaultArtifactRoot: "s3://b/r" });
  await store.init();
  const runs = await Promise.all(Array.from({ length: 32 }, (_, i) => store.createRun({ experimentId: "0", userId: "u", runName: `r${i}`, startTime: i, tags: [] })));
  await client.connect();
  if (VARIANT === "no-value-index") await client.query("drop index latest_metrics_key_value");
  if (VARIANT.startsWith("fillfactor-")) await client.query(`alter table latest_metrics set (fillfactor = ${Number(VARIANT.slice(11))})`);
  if (DIRTY) {
    await client.query("drop index latest_metrics_key_value");
    await client.query("alter table latest_metrics add column sort_value float8, add column dirty boolean not null default false");
    await client.query("create index latest_metrics_key_sort on latest_metrics (key, sort_value, run_id) include (dirty)");
    await client.query("create index latest_metrics_dirty on latest_metrics (key, run_id) where dirty");
    if (VARIANT.endsWith("-ff70")) await client.query("alter table latest_metrics set (fillfactor = 70)");
  }
  const settle = () => client.query("update latest_metrics set sort_value = value, dirty = false where dirty");
  if (SPREAD_ROWS) {
    for (const r of runs) {
      const id = (await client.query<{ id: number }>("select id from runs where run_uuid = $1", [r.info.runId])).rows[0].id;
      await client.query(`insert into latest_metrics (run_id, key, step, "timestamp", value, is_nan) values ($1, 'm', -1, 0, 0, 0)`, [id]);
      await client.query(`insert into latest_metrics (run_id, key, step, "timestamp", value, is_nan) select $1, 'filler' || g, 0, 0, 0, 0 from generate_series(1, 40) g`, [id]);
    }
  }
  const pid = (await client.query<{ p: number }>("select pg_backend_pid() as p")).rows[0].p;

  const steps = new Array<number>(32).fill(0);
  let n = 0;
  /** One group: 32 one-point writes, into run 0 or one into each run. */
  const rows = (spread: boolean): GroupRows => {
    const uuids = spread ? runs.map((r) => r.info.runId) : [runs[0].info.runId];
    const points: Array<[number, number, number]> = [];
    const series: unknown[][] = [];
    const chunks: GroupRows["chunks"] = [];
    for (let i = 0; i < WRITES; i++) {
      const run = spread ? i : 0;
      const step = steps[run]++;
      const value = (n++ % 1000) + 0.5;
      points.push([run + 1, step, value]);
      if (spread) {
        series.push([uuids[i], "m", step, 1, value, 0, 1, value, step, 1, value, step, 1, step, 1]);
        chunks.push(...buildChunks([{ step, timestamp: 1, value }]).map((chunk) => ({ run: run + 1, key: "m", chunk })));
      }
    }
    if (spread && ONE_HISTORY_ROW) {
      chunks.length = 0;
      const all = points.map(([, step, value], i) => ({ step: step * 64 + i, timestamp: 1, value }));
      chunks.push(...buildChunks(all).map((chunk) => ({ run: 1, key: "m", chunk })));
    }
    if (!spread) {
      const last = points[WRITES - 1];
      const vs = points.map((p) => p[2]);
      const lo = points[vs.indexOf(Math.min(...vs))];
      const hi = points[vs.indexOf(Math.max(...vs))];
      series.push([uuids[0], "m", last[1], 1, last[2], 0, WRITES, lo[2], lo[1], 1, hi[2], hi[1], 1, points[0][1], 1]);
      chunks.push(...buildChunks(points.map(([, step, value]) => ({ step, timestamp: 1, value }))).map((chunk) => ({ run: 1, key: "m", chunk })));
    }
    return { uuids, params: [], tags: [], names: [], chunks, series, buckets: [] };
  };
  const send = (spread: boolean, name: string) => {
    const s = groupStatement(rows(spread));
    return client.query({ name, text: name.startsWith("warm") ? s.text : variantText(s.text), values: s.values });
  };
  const walBytes = async () => Number((await client.query<{ lsn: string }>("select pg_current_wal_lsn() - '0/0'::pg_lsn as lsn")).rows[0].lsn);
  // Each shape's series rows exist before it is measured (the upsert writes them the first time).
  for (let i = 0; i < 30; i++) {
    await send(false, "warm-one");
    await send(true, "warm-spread");
  }
  const stats = async () => {
    // This connection's statistics reach the shared counters when it goes idle, at once when forced; a new
    // transaction then reads them.
    await client.query("select pg_stat_force_next_flush()");
    const r = await client.query<{ upd: string; hot: string }>("select n_tup_upd as upd, n_tup_hot_upd as hot from pg_stat_user_tables where relname = 'latest_metrics'");
    return { upd: Number(r.rows[0].upd), hot: Number(r.rows[0].hot) };
  };
  console.log(`\nvariant ${VARIANT}: ${STATEMENTS} statements of ${WRITES} writes per measure; load average before: ${loadavg().map((l) => l.toFixed(1)).join(" ")}\n`);
  console.log("| round | writes | µs per statement (wall) | PostgreSQL CPU µs per write | WAL bytes per write | latest_metrics updates (HOT) |");
  console.log("|---|---|---|---|---|---|");
  for (let round = 1; round <= ROUNDS; round++) {
    for (const spread of [false, true]) {
      const wal0 = await walBytes();
      const u0 = await stats();
      const cpu0 = processCpuSeconds(pid);
      const t0 = performance.now();
      for (let i = 0; i < STATEMENTS; i++) {
        await send(spread, spread ? "spread" : "one");
        if (DIRTY && i % SETTLE_EVERY === SETTLE_EVERY - 1) await settle();
      }
      const wall = performance.now() - t0;
      const cpu = processCpuSeconds(pid) - cpu0;
      const wal1 = await walBytes();
      const u1 = await stats();
      const w = STATEMENTS * WRITES;
      console.log(
        `| ${round} | ${spread ? "over 32 runs" : "into one run"} | ${((wall * 1000) / STATEMENTS).toFixed(0)} | ${((cpu * 1e6) / w).toFixed(1)} | ` +
          `${((wal1 - wal0) / w).toFixed(0)} | ${u1.upd - u0.upd} (${u1.hot - u0.hot}) |`,
      );
    }
  }
  if (args.includes("--explain")) {
    for (const spread of [false, true]) {
      const s = groupStatement(rows(spread));
      await client.query("begin");
      const plan = await client.query({ text: `explain (analyze, buffers, wal, costs off) ${variantText(s.text)}`, values: s.values });
      await client.query("rollback");
      console.log(`\n${spread ? "over 32 runs" : "into one run"}:\n` + plan.rows.map((r) => r["QUERY PLAN"]).join("\n"));
    }
  }
  console.log(`\nload average after: ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
} finally {
  await client.end().catch(() => {});
  await conn.db.destroy();
  await db.drop();
}
