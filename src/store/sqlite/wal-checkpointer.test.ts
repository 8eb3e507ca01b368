/**
 * The background WAL checkpointer against a real SQLite file: it keeps the
 * WAL from growing while the writer never checkpoints, stops before the
 * writer's connection closes (which then removes the WAL), and hands
 * checkpoints back to SQLite when it cannot run.
 */
import assert from "node:assert/strict";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import BetterSqlite3 from "better-sqlite3";
import { tempDir } from "../../testing/temp-dir.js";
import { openSqlite } from "./sqlite-connection.js";
import { WalCheckpointer } from "./wal-checkpointer.js";

const walSize = (path: string) => (existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0);

/** Waits for a condition the other thread brings about, giving up after `ms`. */
async function until(what: string, cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test("checkpoints a growing WAL from its own thread; the writer's WAL is rewound and truncated", async () => {
  const dir = tempDir("ciclo-wal-");
  const path = join(dir.path, "w.db");
  const db = new BetterSqlite3(path);
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("wal_autocheckpoint = 0");
    db.pragma(`journal_size_limit = ${256 * 1024}`);
    db.exec("create table t (id integer primary key, blob text)");
    const insert = db.prepare("insert into t (blob) values (?)");
    const chunk = "x".repeat(4000);
    db.transaction(() => {
      for (let i = 0; i < 1000; i++) insert.run(chunk);
    })();
    const grown = walSize(path);
    assert.ok(grown > 2 * 1024 * 1024, `WAL grew to ${grown} bytes without checkpoints`);

    let failed = false;
    const cp = new WalCheckpointer(path, () => (failed = true), { minWalBytes: 64 * 1024, intervalMs: 5 });
    await cp.ready();
    // Once the worker has copied the frames back, the writer's next transaction rewinds the WAL and
    // journal_size_limit cuts the file down.
    await until("the WAL to be checkpointed and truncated", () => {
      insert.run("small");
      return walSize(path) <= 256 * 1024;
    });
    assert.equal(db.prepare("select count(*) from t where blob = ?").pluck().get(chunk), 1000, "nothing lost");
    await cp.stop();
    assert.equal(failed, false);
  } finally {
    db.close();
    dir.remove();
  }
});

test("the server's connection closes after the worker's, so the WAL is removed at shutdown", async () => {
  const dir = tempDir("ciclo-wal-");
  const path = join(dir.path, "s.db");
  const conn = openSqlite(`sqlite:///${path}`, { backgroundCheckpoints: true });
  await conn.write(async (trx) => {
    await trx.schema.createTable("t").addColumn("id", "integer", (c) => c.primaryKey()).execute();
  });
  assert.ok(existsSync(`${path}-wal`));
  await conn.db.destroy();
  assert.equal(existsSync(`${path}-wal`), false, "the last connection to close checkpoints and removes the WAL");
  const check = new BetterSqlite3(path, { readonly: true });
  assert.deepEqual(check.prepare("select name from sqlite_master where type = 'table' and name = 't'").pluck().all(), ["t"]);
  check.close();
  dir.remove();
});

test("a worker that cannot open the database hands checkpoints back to SQLite", async () => {
  const dir = tempDir("ciclo-wal-");
  let failed!: () => void;
  const handedBack = new Promise<void>((resolve) => (failed = resolve));
  // A directory is not a database: the worker fails to start.
  const cp = new WalCheckpointer(dir.path, () => failed());
  await handedBack;
  await cp.stop();
  dir.remove();
});
