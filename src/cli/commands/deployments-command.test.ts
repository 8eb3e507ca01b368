/**
 * `ciclo endpoints` against a live server: create (with a strategy), list as
 * JSON, a malformed traffic weight refused as a usage error before any call,
 * and the server's refusal of traffic naming no deployment shown as its
 * message with a failing exit code; `endpoints ab` on an endpoint with no
 * deployments (a report with its note, human and JSON), a bad --alpha refused
 * before any call, and an unknown variant refused by the server.
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

test("ciclo endpoints ab: the report, its notes, and refusals", async () => {
  const env = { CICLO_TRACKING_URI: live.url };
  assert.equal((await runCiclo(["endpoints", "create", "abtest"], env)).code, 0);
  const json = await runCiclo(["endpoints", "ab", "abtest", "--json", "--window", "600", "--alpha", "0.01"], env);
  assert.equal(json.code, 0, json.stderr);
  const r = JSON.parse(json.stdout) as { endpoint: string; alpha: number; min_samples: number; window_end: number; window_start: number; variants: unknown[]; test?: unknown; notes: string[] };
  assert.deepEqual([r.endpoint, r.alpha, r.min_samples, r.window_end - r.window_start, r.variants, r.test], ["abtest", 0.01, 30, 600_000, [], undefined]);
  assert.ok(r.notes.some((n) => /needs two deployments/.test(n)), JSON.stringify(r.notes));

  const human = await runCiclo(["endpoints", "ab", "abtest"], env);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /abtest {2}A\/B over /);
  assert.match(human.stdout, /note: An A\/B test needs two deployments/);

  const badAlpha = await runCiclo(["endpoints", "ab", "abtest", "--alpha", "2"], env);
  assert.equal(badAlpha.code, 2, badAlpha.stderr);
  assert.match(badAlpha.stderr, /--alpha is a number in \(0, 0.5\]/);

  const unknown = await runCiclo(["endpoints", "ab", "abtest", "--a", "nope"], env);
  assert.equal(unknown.code, 3, unknown.stderr); // not found
  assert.match(unknown.stderr, /Deployment 'nope' does not exist in endpoint 'abtest'/);
});
