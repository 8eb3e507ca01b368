import assert from "node:assert/strict";
import { test } from "node:test";
import pg from "pg";
import { runEventStoreContract } from "../contract/event-store.contract.js";
import { runJobStoreContract } from "../contract/job-store.contract.js";
import { SqlEventStore, SqlJobStore } from "../sql/jobs/sql-job-store.js";
import { openReplica, openTestStores } from "../../testing/store-backends.js";
import { waitFor } from "../../testing/wait-for.js";

/** The stores on a fresh database, and a second connection to it standing in for another replica. */
async function open() {
  const b = await openTestStores("postgres");
  return b && { ...b, replica: () => openReplica(b.uri) };
}

runJobStoreContract("postgres", async () => {
  const b = await open();
  return b && { store: new SqlJobStore(b.stores.connection), replica: b.replica, cleanup: b.cleanup };
});

runEventStoreContract("postgres", async () => {
  const b = await open();
  return b && { events: new SqlEventStore(b.stores.connection), registry: b.stores.registry, replica: b.replica, cleanup: b.cleanup };
});

// PostgreSQL hands out ids at INSERT and commits in another order: a cursor on id alone would skip
// an event whose transaction started first but committed last. This is the case migration 0009's tx column is for.
test("event stream, postgres: an event committed after a later-numbered one is still delivered", async (t) => {
  const opened = await open();
  if (!opened) return t.skip("postgres unavailable");
  const { uri, stores, cleanup } = opened;
  const a = new pg.Client({ connectionString: uri });
  const b = new pg.Client({ connectionString: uri });
  await a.connect();
  await b.connect();
  try {
    const events = new SqlEventStore(stores.connection);
    const claim = async () => (await events.claim({ subscriber: "s", source: "events", owner: "w", leaseMs: 60_000, limit: 100, from: "start", now: Date.now() }))!;
    const insert = (c: pg.Client, type: string) => c.query(`insert into stream_events (time, type, payload) values (1, $1, '{}') returning id`, [type]);
    // B's transaction id is older than A's, but B's event gets the higher id.
    await b.query("begin");
    await b.query("select pg_current_xact_id()");
    await a.query("begin");
    const idA = Number((await insert(a, "test.a")).rows[0].id);
    const idB = Number((await insert(b, "test.b")).rows[0].id);
    assert.ok(idB > idA);
    assert.deepEqual(await claim(), [], "B is not readable before it commits");
    await b.query("commit");
    // Readable once every transaction older than B's is over — cluster-wide: another test's transaction in
    // another database holds the snapshot's xmin back too, so wait for it rather than read once.
    const first = await waitFor(claim, (e) => e.length > 0, { what: "B's event to become readable" });
    assert.deepEqual(first.map((e) => e.type), ["test.b"]);
    assert.ok(await events.advance({ subscriber: "s", source: "events", owner: "w", position: first[0].position, leaseMs: 60_000, now: Date.now() }));
    await a.query("commit");
    const second = await waitFor(claim, (e) => e.length > 0, { what: "A's event to become readable" });
    assert.deepEqual(second.map((e) => e.type), ["test.a"], "A's event (lower id, later commit) is not skipped");
  } finally {
    await a.end();
    await b.end();
    await cleanup();
  }
});
