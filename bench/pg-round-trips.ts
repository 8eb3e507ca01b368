/**
 * `npm run bench:pg-round-trips`: where a PostgreSQL write's time goes, measured in-process on the store (no
 * HTTP): statements sent per write and writes/s for concurrent log-metric (one run, and 32 runs), log-batch of
 * 100 points and create run, with batched group commits (the default) and, for comparison, the way before (a
 * savepoint round trip pair around each write, each write's own statements).
 *
 *   npm run bench:pg-round-trips [-- --writes 2000 --concurrency 32]
 * @module
 */
import { migrateToLatest } from "../src/store/migrations/migrator.js";
import { openPostgres } from "../src/store/postgres/postgres-connection.js";
import { SqlTrackingStore } from "../src/store/sql/tracking/sql-tracking-store.js";
import { createTestDatabase } from "../src/testing/postgres-fixture.js";

const args = process.argv.slice(2);
const opt = (name: string, d: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : d);
const WRITES = opt("--writes", 2000);
const CONCURRENCY = opt("--concurrency", 32);

interface Result {
  name: string;
  perSec: number;
  statementsPerWrite: number;
}

async function measure(batched: boolean): Promise<Result[]> {
  const pg = await createTestDatabase();
  let statements = 0;
  const conn = openPostgres(pg.uri, { batchedGroups: batched, onQuery: () => statements++ });
  try {
    await migrateToLatest(conn.db, "postgres");
    const store = new SqlTrackingStore(conn, { defaultArtifactRoot: "s3://b/r" });
    await store.init();
    const newRun = (i: number) => store.createRun({ experimentId: "0", userId: "u", runName: `r${i}`, startTime: i, tags: [{ key: "mlflow.user", value: "u" }] });
    const runs = await Promise.all(Array.from({ length: 32 }, (_, i) => newRun(i)));
    let step = 0;
    const cases: Array<[string, (i: number) => Promise<unknown>]> = [
      ["log-metric into one run", () => store.logBatch(runs[0].info.runId, { metrics: [{ key: "m", value: 1, step: step++, timestamp: 1 }], params: [], tags: [] })],
      ["log-metric over 32 runs", (i) => store.logBatch(runs[i % 32].info.runId, { metrics: [{ key: "m", value: 1, step: step++, timestamp: 1 }], params: [], tags: [] })],
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
    for (const [name, write] of cases) {
      // CONCURRENCY clients, each sending its next write when the last is answered (as HTTP clients do).
      let next = 0;
      statements = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < WRITES) await write(next++);
        }),
      );
      const secs = (performance.now() - t0) / 1000;
      out.push({ name, perSec: WRITES / secs, statementsPerWrite: statements / WRITES });
    }
    return out;
  } finally {
    await conn.db.destroy();
    await pg.drop();
  }
}

const before = await measure(false);
const now = await measure(true);
console.log(`\n${WRITES} writes per case, ${CONCURRENCY} concurrent writers, in-process (no HTTP)\n`);
console.log("| case | savepoint per write: writes/s (statements/write) | batched groups: writes/s (statements/write) |");
console.log("|---|---|---|");
before.forEach((b, i) => {
  const n = now[i];
  console.log(`| ${b.name} | ${Math.round(b.perSec)} (${b.statementsPerWrite.toFixed(2)}) | ${Math.round(n.perSec)} (${n.statementsPerWrite.toFixed(2)}) |`);
});
