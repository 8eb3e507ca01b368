/**
 * A second `ciclo server` on a port that is taken fails at once with a message that says what to do, before it
 * opens or migrates a database or starts any module: before, it ran the modules' start hooks first (Fastify binds
 * after "ready"), and the deployments module stopped the model servers of the server already running there.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { runCiclo } from "../testing/child-server.js";
import { startLiveTrackingServer, type LiveTrackingServer } from "../testing/live-tracking-server.js";
import { tempDir } from "../testing/temp-dir.js";

let live: LiveTrackingServer;
const dir = tempDir("ciclo-port-in-use-");
before(async () => {
  live = await startLiveTrackingServer();
});
after(async () => {
  await live.close();
  dir.remove();
});

test("a taken port: exit 1, a message naming --port, nothing created, the running server unharmed", async () => {
  const port = new URL(live.url).port;
  const db = join(dir.path, "second.db");
  const r = await runCiclo(["server", "--port", port, "--backend-store-uri", `sqlite:///${db}`, "--artifacts-destination", join(dir.path, "artifacts")]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`Port ${port} on 127\\.0\\.0\\.1 is already in use \\(another ciclo server\\?\\): stop that process, or pass --port <another port>\\. Nothing was started\\.`));
  assert.doesNotMatch(r.stdout, /database schema upgraded|listening/);
  assert.equal(existsSync(db), false, "no database was created");
  assert.equal(await (await fetch(`${live.url}/health`)).text(), "OK");
});
