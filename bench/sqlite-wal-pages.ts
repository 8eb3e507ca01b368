/**
 * What a SQLite group commit writes, page by page (issue 17: writes over many runs): concurrent one-point
 * log-metrics into one run, then the same spread over 32 runs, through the store's group commit (in process, no
 * HTTP), and for each case the WAL's frames read back — frames (pages) per commit and per write, and which table
 * or index each page belongs to (`dbstat`). A WAL frame is one dirtied page of a committed group: its cost (the
 * page copied into the WAL, its checksum, the write, and the checkpoint that copies it back) grows with the
 * distinct pages a group touches, not with the rows it writes.
 *
 * Each case first writes `--warmup` points (so the indexes have the depth and the scatter of a used database),
 * then checkpoints the WAL away, turns SQLite's own checkpoints off, and counts the frames of `--writes` more.
 *
 * `--variant no-steps-index` drops `metric_chunks_steps` first: a bound (reads of the history lose their index), to
 * size what the index's scattered leaves cost a write.
 *
 *   node --import tsx bench/sqlite-wal-pages.ts [--writes 10000] [--warmup 40000] [--concurrency 32] [--variant no-steps-index]
 * @module
 */
import { loadavg, tmpdir } from "node:os";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { sql } from "kysely";
import { migrateToLatest } from "../src/store/migrations/migrator.js";
import { openSqlite } from "../src/store/sqlite/sqlite-connection.js";
import { SqlTrackingStore } from "../src/store/sql/tracking/sql-tracking-store.js";

const args = process.argv.slice(2);
const opt = (name: string, d: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : d);
const WRITES = opt("--writes", 10_000);
const WARMUP = opt("--warmup", 40_000);
const CONCURRENCY = opt("--concurrency", 32);
const VARIANT = args.includes("--variant") ? args[args.indexOf("--variant") + 1] : "as-is";
if (VARIANT !== "as-is" && VARIANT !== "no-steps-index") throw new Error(`--variant as-is|no-steps-index, not ${VARIANT}`);

interface Frames {
  frames: number;
  commits: number;
  /** Frames by the table or index owning the page. */
  byTree: Map<string, number>;
  /** This process's CPU time per measured write (user + system), µs. */
  cpuUs: number;
}

/** The WAL's frames since its header: page numbers, and the commit frames (a non-zero "database size" field). */
function readWal(file: string): { pages: number[]; commits: number } {
  const wal = readFileSync(file);
  if (wal.length < 32) return { pages: [], commits: 0 };
  const pageSize = wal.readUInt32BE(8);
  const salt1 = wal.readUInt32BE(16);
  const salt2 = wal.readUInt32BE(20);
  const pages: number[] = [];
  let commits = 0;
  for (let off = 32; off + 24 + pageSize <= wal.length; off += 24 + pageSize) {
    // Frames left from before the last reset carry the old salts: the log ends at the first of them.
    if (wal.readUInt32BE(off + 8) !== salt1 || wal.readUInt32BE(off + 12) !== salt2) break;
    pages.push(wal.readUInt32BE(off));
    if (wal.readUInt32BE(off + 4) !== 0) commits++;
  }
  return { pages, commits };
}

async function measure(spread: boolean): Promise<Frames & { writes: number }> {
  const dir = mkdtempSync(join(tmpdir(), "ciclo-walpages-"));
  const file = join(dir, "p.db");
  const conn = openSqlite(`sqlite:///${file}`, {});
  try {
    await migrateToLatest(conn.db, "sqlite");
    const store = new SqlTrackingStore(conn, { defaultArtifactRoot: "s3://b/r" });
    await store.init();
    if (VARIANT === "no-steps-index") await sql`drop index metric_chunks_steps`.execute(conn.db);
    const runs = await Promise.all(
      Array.from({ length: 32 }, (_, i) => store.createRun({ experimentId: "0", userId: "u", runName: `r${i}`, startTime: i, tags: [] })),
    );
    const steps = new Array<number>(32).fill(0);
    let next = 0;
    // As the HTTP benchmark's wrk script: a new value each write, each run counting its own steps.
    const write = (i: number) => {
      const run = spread ? i % 32 : 0;
      return store.logBatch(runs[run].info.runId, { metrics: [{ key: "loss", value: (i % 1000) + 0.5, step: steps[run]++, timestamp: 1 }], params: [], tags: [] });
    };
    const drive = async (until: number) =>
      Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < until) await write(next++);
        }),
      );
    await drive(WARMUP);
    await sql`pragma wal_checkpoint(TRUNCATE)`.execute(conn.db);
    await sql`pragma wal_autocheckpoint = 0`.execute(conn.db);
    const cpu0 = process.cpuUsage();
    await drive(WARMUP + WRITES);
    const cpu = process.cpuUsage(cpu0);
    const { pages, commits } = readWal(`${file}-wal`);
    const owners = await sql<{ name: string; pageno: number }>`select name, pageno from dbstat`.execute(conn.db);
    const owner = new Map(owners.rows.map((r) => [Number(r.pageno), r.name]));
    const byTree = new Map<string, number>();
    for (const p of pages) {
      const name = owner.get(p) ?? (p === 1 ? "(header page)" : "(free list)");
      byTree.set(name, (byTree.get(name) ?? 0) + 1);
    }
    return { frames: pages.length, commits, byTree, writes: WRITES, cpuUs: (cpu.user + cpu.system) / WRITES };
  } finally {
    await conn.db.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

const load = () => loadavg().map((l) => l.toFixed(1)).join(" ");
console.log(`\n${WRITES} one-point log-metrics per case after ${WARMUP} to warm up, ${CONCURRENCY} concurrent writers, SQLite in process, variant ${VARIANT}; load ${load()}\n`);
const cases = [
  ["into one run", await measure(false)],
  ["over 32 runs", await measure(true)],
] as const;
const trees = [...new Set(cases.flatMap(([, c]) => [...c.byTree.keys()]))].sort();
console.log(`| case | CPU µs per write | writes per commit | pages per commit | pages per write | ${trees.map((t) => `${t} (per commit)`).join(" | ")} |`);
console.log(`|---|---|---|---|---|${trees.map(() => "---").join("|")}|`);
for (const [name, c] of cases) {
  const per = (n: number) => (n / c.commits).toFixed(1);
  console.log(
    `| ${name} | ${c.cpuUs.toFixed(1)} | ${(c.writes / c.commits).toFixed(1)} | ${per(c.frames)} | ${(c.frames / c.writes).toFixed(2)} | ${trees.map((t) => per(c.byTree.get(t) ?? 0)).join(" | ")} |`,
  );
}
console.log(`\nload average after: ${load()}`);
