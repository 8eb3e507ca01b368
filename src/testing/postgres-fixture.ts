/**
 * Test fixture: a fresh PostgreSQL database per suite, dropped afterwards.
 * Uses CICLO_TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/postgres).
 * When PostgreSQL is unreachable the suite is skipped with the reason printed —
 * unless CICLO_REQUIRE_ALL=1 (CI), where that is a failure.
 * @module
 */
import { randomBytes } from "node:crypto";
import { after, before } from "node:test";
import pg from "pg";

export const PG_ADMIN_URL = process.env.CICLO_TEST_PG_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

export interface PgDatabase {
  uri: string;
  drop(): Promise<void>;
}

/** Why PostgreSQL tests cannot run, or undefined when they can. */
export async function postgresUnavailable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query("select 1");
    return undefined;
  } catch (err) {
    const reason = `PostgreSQL not reachable at ${PG_ADMIN_URL}: ${(err as Error).message}`;
    if (process.env.CICLO_REQUIRE_ALL === "1") throw new Error(`${reason} (CICLO_REQUIRE_ALL=1 forbids skipping)`);
    console.log(`# SKIP postgres tests: ${reason}`);
    return reason;
  } finally {
    await client.end().catch(() => {});
  }
}

export async function createTestDatabase(): Promise<PgDatabase> {
  const name = `ciclo_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return {
    uri: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * A client connected to a fresh test database for one test file (made in a `before` hook, closed and dropped in
 * `after`); `client` stays undefined when PostgreSQL is unavailable, for the tests to skip.
 */
export function postgresTestClient(): { readonly client: pg.Client | undefined } {
  const held: { client: pg.Client | undefined } = { client: undefined };
  let pgdb: PgDatabase | undefined;
  before(async () => {
    if (await postgresUnavailable()) return;
    pgdb = await createTestDatabase();
    const client = new pg.Client({ connectionString: pgdb.uri });
    await client.connect();
    held.client = client;
  });
  after(async () => {
    await held.client?.end();
    await pgdb?.drop();
  });
  return held;
}
