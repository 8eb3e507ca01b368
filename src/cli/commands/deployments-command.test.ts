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
import type { WireEndpoint, WireRollout } from "../../shared/wire/deployments-wire.js";
import { replicaTroubleNotes, rolloutNote } from "./deployments-command.js";

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

  // The router's refusal (no deployment answered) is the command's error, not a model's answer on stdout.
  const unknown = await runCiclo(["endpoints", "invoke", "nope", "--data", "{}"], env);
  assert.equal(unknown.code, 3, unknown.stderr);
  assert.equal(unknown.stdout, "");
  assert.equal(unknown.stderr, "ciclo endpoints invoke: Endpoint 'nope' does not exist. (RESOURCE_DOES_NOT_EXIST)\n");

  const refused = await runCiclo(["endpoints", "traffic", "fraud", "blue=100"], env);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, /names deployment 'blue', which does not exist/);

  // --min-requests 0 lets a quiet endpoint's steps be judged on time alone; a fraction is refused before any call.
  const quiet = await runCiclo(["endpoints", "create", "nightly", "--min-requests", "0", "--json"], env);
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.equal((JSON.parse(quiet.stdout) as { strategy: { analysis: { min_requests: number } } }).strategy.analysis.min_requests, 0);
  const shown = await runCiclo(["endpoints", "get", "nightly"], env);
  assert.equal(shown.code, 0, shown.stderr);
  assert.equal(shown.stdout.split("\n")[0], "nightly", "no description: the name alone, no trailing spaces");
  const fraction = await runCiclo(["endpoints", "create", "half", "--min-requests", "1.5"], env);
  assert.equal(fraction.code, 2, fraction.stderr);
  assert.match(fraction.stderr, /--min-requests must be a whole number/);
  const names = JSON.parse((await runCiclo(["endpoints", "list", "--json"], env)).stdout) as Array<{ name: string }>;
  assert.deepEqual(names.map((e) => e.name).sort(), ["fraud", "nightly"]);
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

test("endpoints get says where to look when replicas exit before they are ready, and nothing when all are ready", () => {
  const replica = (index: number, state: string, last_exit?: string) => ({ index, state, restarts: last_exit ? 3 : 0, ...(last_exit && { last_exit }) });
  const deployment = (name: string, ready: number, replicas: ReturnType<typeof replica>[]) => ({
    endpoint: "fraud", name, model_uri: "models:/fraud/1", model_name: "fraud", model_version: "1", target: "local", replicas: replicas.length, env: {},
    creation_timestamp: 0, last_updated_timestamp: 0,
    health: { ready_replicas: ready, desired_replicas: replicas.length, restarts: 0, replicas, requests: 0, errors: 0, recent_errors: [] },
  });
  const endpoint = {
    name: "fraud", description: "", traffic: { blue: 100 }, mirror_traffic: {}, strategy: { kind: "canary", step_seconds: 60 },
    deployments: [
      deployment("blue", 0, [replica(0, "restarting", "code 1 at 2026-12-07T05:57:48.638Z"), replica(1, "restarting", "code 1 at 2026-12-07T05:57:48.788Z")]),
      deployment("green", 2, [replica(0, "ready", "code 1 at 2026-12-07T05:00:00.000Z"), replica(1, "ready")]),
      deployment("red", 0, [replica(0, "starting")]),
    ],
  } as unknown as WireEndpoint;
  assert.deepEqual(replicaTroubleNotes(endpoint), [
    "blue: 0/2 ready; 2 replica(s) exited before ready (last: code 1 at 2026-12-07T05:57:48.788Z). Why: ciclo deployments logs fraud blue --tail 20",
  ]);
});

test("endpoints get shows the running rollout and what its step waits for; nothing once it ended", () => {
  const endpoint = { name: "demand", description: "", traffic: { v1: 50, v2: 50 }, mirror_traffic: {}, strategy: { kind: "canary", step_seconds: 10 }, deployments: [] } as unknown as WireEndpoint;
  const rollout = (state: string, step: number, analysis?: { min_requests: number }): WireRollout => ({
    rollout_id: "3", endpoint: "demand", stable: "v1", candidate: "v2", step, state, started_at: 0, updated_at: 1_000,
    strategy: { kind: "canary", steps: [50, 100], step_seconds: 10, ...(analysis && { analysis }) },
  });
  assert.equal(
    rolloutNote(endpoint, [rollout("rolled_back", 0), rollout("running", 0)], 31_400),
    "rollout 3: v1 → v2 running, step 1 of 2 (50 %) for 30 s. A step is judged after 10 s and 20 requests answered by v2 in it; until then it waits.",
  );
  assert.match(rolloutNote(endpoint, [rollout("running", 1, { min_requests: 5 })], 1_000)!, /step 2 of 2 \(100 %\) for 0 s\. .* 5 requests answered by v2/);
  assert.equal(rolloutNote(endpoint, [rollout("paused", 0)], 2_000), "rollout 3: v1 → v2 paused, step 1 of 2 (50 %) for 1 s. Resume: ciclo endpoints rollout demand resume");
  assert.equal(rolloutNote(endpoint, [rollout("succeeded", 1), rollout("aborted", 0)], 2_000), undefined);
});
