/**
 * `ciclo endpoints` against a live server: create (with a strategy), list as
 * JSON, a malformed traffic weight refused as a usage error before any call,
 * and the server's refusal of traffic naming no deployment shown as its
 * message with a failing exit code.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { runCiclo } from "../../testing/child-server.js";
import { startLiveTrackingServer, type LiveTrackingServer } from "../../testing/live-tracking-server.js";

let live: LiveTrackingServer;
before(async () => {
  live = await startLiveTrackingServer();
});
after(async () => {
  await live.close();
});

test("ciclo endpoints create, list, traffic: results and errors", async () => {
  const env = { CICLO_TRACKING_URI: live.url };
  const created = await runCiclo(["endpoints", "create", "fraud", "--steps", "20,100", "--step-seconds", "30", "-d", "card fraud"], env);
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /Created endpoint fraud: .*\/endpoints\/fraud\/invocations/);

  const list = await runCiclo(["endpoints", "list", "--json"], env);
  assert.equal(list.code, 0, list.stderr);
  const endpoints = JSON.parse(list.stdout) as Array<{ name: string; description: string; strategy: { steps: number[]; step_seconds: number } }>;
  assert.deepEqual(endpoints.map((e) => [e.name, e.description, e.strategy.steps, e.strategy.step_seconds]), [["fraud", "card fraud", [20, 100], 30]]);

  const malformed = await runCiclo(["endpoints", "traffic", "fraud", "blue:90"], env);
  assert.equal(malformed.code, 2, malformed.stderr);
  assert.match(malformed.stderr, /expects <deployment>=<percent>/);

  const refused = await runCiclo(["endpoints", "traffic", "fraud", "blue=100"], env);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, /names deployment 'blue', which does not exist/);
});
