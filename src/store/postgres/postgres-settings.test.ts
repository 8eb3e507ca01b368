/**
 * Startup warnings about the PostgreSQL server's settings: autovacuum off (or its statistics off) is said with what
 * to do; a server with both on gets no warning. readSettings reads the real server's values.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { PG_ADMIN_URL, postgresUnavailable } from "../../testing/postgres-fixture.js";
import { readSettings, settingsWarnings } from "./postgres-settings.js";

test("autovacuum or track_counts off is a warning that says how to turn it on; both on is none", () => {
  assert.deepEqual(settingsWarnings({ autovacuum: "on", trackCounts: "on" }), []);
  for (const s of [{ autovacuum: "off", trackCounts: "on" }, { autovacuum: "on", trackCounts: "off" }]) {
    const [w, ...rest] = settingsWarnings(s);
    assert.equal(rest.length, 0);
    assert.match(w, new RegExp(`autovacuum=${s.autovacuum}, track_counts=${s.trackCounts}`));
    assert.match(w, /latest_metrics/);
    assert.match(w, /ALTER SYSTEM SET autovacuum = on/);
  }
});

test("readSettings reads the server's own values", async (t) => {
  if (await postgresUnavailable()) return t.skip("PostgreSQL is not reachable");
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: PG_ADMIN_URL, max: 1 }) }) });
  try {
    const client = new pg.Client({ connectionString: PG_ADMIN_URL });
    await client.connect();
    const shown = await client.query<{ a: string; t: string }>("select current_setting('autovacuum') as a, current_setting('track_counts') as t");
    await client.end();
    assert.deepEqual(await readSettings(db), { autovacuum: shown.rows[0].a, trackCounts: shown.rows[0].t });
  } finally {
    await db.destroy();
  }
});
