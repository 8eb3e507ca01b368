/**
 * `ciclo monitor drift|profile|merge` as the real binary: the exact --json
 * shape, exit codes (0, 4 with --fail-on-drift, 2 usage, 1 bad input), the
 * stored-profile path giving the same report as the files; `monitor create|list|delete`
 * against a live server.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runCiclo } from "../../testing/child-server.js";
import { startLiveTrackingServer, type LiveTrackingServer } from "../../testing/live-tracking-server.js";
import { normals, rng } from "../../testing/seeded-data.js";
import { tempDir } from "../../testing/temp-dir.js";

describe("ciclo monitor (binary)", () => {
  const dir = tempDir("ciclo-monitor-cli-");
  const f = (name: string) => join(dir.path, name);
  const cli = (args: string[]) => runCiclo(args, { NO_COLOR: "1" });
  const csv = (name: string, n: number, seed: number, shift: number) => {
    const x = normals(n, seed, shift);
    const r = rng(seed + 1);
    const rows = x.map((v, i) => `${v},${i % 7},${r() < 0.5 + shift / 4 ? "red" : "blue"}`);
    writeFileSync(f(name), ["x,k,colour", ...rows].join("\n"));
  };

  before(() => {
    csv("ref.csv", 3000, 1, 0);
    csv("same.csv", 2000, 2, 0);
    csv("shifted.csv", 2000, 3, 1);
  });
  after(() => dir.remove());

  test("--json has exactly the documented shape, with Evidently's test ids", async () => {
    const r = await cli(["monitor", "drift", "--reference", f("ref.csv"), "--current", f("shifted.csv"), "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(out), ["dataset", "columns"]);
    assert.deepEqual(Object.keys(out.dataset), ["drifted", "share", "threshold"]);
    assert.deepEqual(out.columns.map((c: Record<string, unknown>) => Object.keys(c)), out.columns.map(() => ["column", "type", "test", "score", "threshold", "drifted"]));
    assert.deepEqual(out.columns.map((c: { column: string; type: string; test: string }) => [c.column, c.type, c.test]), [
      ["x", "num", "wasserstein"],
      ["k", "num", "wasserstein"],
      ["colour", "cat", "jensenshannon"],
    ]);
    assert.equal(out.dataset.drifted, true);
    assert.equal(out.dataset.threshold, 0.5);
  });

  test("exit codes: 0 without drift, 4 for drift with --fail-on-drift, 2 for usage, 1 for bad files", async () => {
    assert.equal((await cli(["monitor", "drift", "--reference", f("ref.csv"), "--current", f("same.csv"), "--fail-on-drift"])).code, 0);
    const drift = await cli(["monitor", "drift", "--reference", f("ref.csv"), "--current", f("shifted.csv"), "--fail-on-drift"]);
    assert.equal(drift.code, 4);
    assert.match(drift.stdout, /Dataset drift detected/);
    assert.equal((await cli(["monitor", "drift", "--current", f("same.csv")])).code, 2);
    assert.equal((await cli(["monitor", "drift", "--reference", f("ref.csv"), "--current", f("same.csv"), "--test", "x=nope"])).code, 2);
    const missing = await cli(["monitor", "drift", "--reference", f("ref.csv"), "--current", f("nope.csv")]);
    assert.equal(missing.code, 1);
    writeFileSync(f("bad.json"), JSON.stringify({ format: "ciclo.monitoring.profile", version: 99 }));
    const bad = await cli(["monitor", "drift", "--reference-profile", f("bad.json"), "--current", f("same.csv")]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Unsupported profile version 99/);
  });

  test("a stored reference profile gives the same report; windows merge; overrides apply", async () => {
    assert.equal((await cli(["monitor", "profile", f("ref.csv"), "-o", f("ref.json")])).code, 0);
    const fromFile = await cli(["monitor", "drift", "--reference", f("ref.csv"), "--current", f("shifted.csv"), "--json"]);
    const fromProfile = await cli(["monitor", "drift", "--reference-profile", f("ref.json"), "--current", f("shifted.csv"), "--json"]);
    assert.deepEqual(JSON.parse(fromProfile.stdout), JSON.parse(fromFile.stdout));
    for (const w of ["same", "shifted"]) assert.equal((await cli(["monitor", "profile", f(`${w}.csv`), "--reference-profile", f("ref.json"), "-o", f(`${w}.json`)])).code, 0);
    const merged = await cli(["monitor", "merge", f("same.json"), f("shifted.json"), "-o", f("both.json")]);
    assert.equal(merged.code, 0, merged.stderr);
    assert.equal(JSON.parse(readFileSync(f("both.json"), "utf8")).rows, 4000);
    const over = await cli(["monitor", "drift", "--reference", f("ref.csv"), "--current", f("same.csv"), "--json", "--test", "x=psi", "--threshold", "x=0.5", "--threshold", "0.3"]);
    const cols = JSON.parse(over.stdout).columns;
    assert.deepEqual([cols[0].test, cols[0].threshold, cols[2].threshold], ["psi", 0.5, 0.3]);
  });
});

describe("ciclo monitor create, list, delete (a live server)", () => {
  const dir = tempDir("ciclo-monitor-crud-");
  let live: LiveTrackingServer;
  before(async () => {
    live = await startLiveTrackingServer();
  });
  after(async () => {
    await live.close();
    dir.remove();
  });
  const cli = (args: string[]) => runCiclo(args, { NO_COLOR: "1", CICLO_TRACKING_URI: live.url, CICLO_HTTP_REQUEST_MAX_RETRIES: "0" });
  const file = (name: string, body: unknown) => {
    writeFileSync(join(dir.path, name), JSON.stringify(body));
    return join(dir.path, name);
  };
  const spec = { target: { endpoint: "fraud", deployment: "blue" }, window_seconds: 3600, every_seconds: 600 };

  test("a spec file becomes a monitor; refusals change nothing; list and delete", async () => {
    const empty = await cli(["monitor", "list"]);
    assert.equal(empty.code, 0, empty.stderr);
    assert.match(empty.stdout, /No monitors yet: ciclo monitor create <spec.json>/);

    const created = await cli(["monitor", "create", file("m.json", { name: "fraud-drift", spec })]);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /Created monitor 'fraud-drift' \(id \d+\); it runs every 600 s\. Run it now: ciclo monitor run fraud-drift/);

    const again = await cli(["monitor", "create", file("m.json", { name: "fraud-drift", spec })]);
    assert.equal(again.code, 1, again.stderr);
    assert.match(again.stderr, /already exists\. \(RESOURCE_ALREADY_EXISTS\)/);
    const noName = await cli(["monitor", "create", file("n.json", { spec })]);
    assert.equal(noName.code, 2, noName.stderr);
    assert.match(noName.stderr, /has no "name": add one, or pass --name <name>/);
    const badSpec = await cli(["monitor", "create", file("b.json", { spec: { target: {}, window_seconds: 3600 } }), "--name", "broken"]);
    assert.equal(badSpec.code, 1, badSpec.stderr);
    assert.match(badSpec.stderr, /every_seconds.*INVALID_PARAMETER_VALUE/s);
    const notJson = await cli(["monitor", "create", file("x.json", "{")]);
    assert.equal(notJson.code, 2, notJson.stderr);

    const named = await cli(["monitor", "create", file("n.json", { spec }), "--name", "fraud-eu", "--json"]);
    assert.equal(named.code, 0, named.stderr);
    assert.equal(JSON.parse(named.stdout).name, "fraud-eu");

    const list = await cli(["monitor", "list", "--json"]);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual((JSON.parse(list.stdout) as Array<{ name: string; spec: { every_seconds: number } }>).map((m) => [m.name, m.spec.every_seconds]).sort(), [["fraud-drift", 600], ["fraud-eu", 600]]);
    const table = await cli(["monitor", "list"]);
    assert.match(table.stdout, /^NAME +TARGET +WINDOW/m);
    assert.match(table.stdout, /^fraud-drift +endpoint=fraud deployment=blue +3600s/m);

    const deleted = await cli(["monitor", "delete", "fraud-drift"]);
    assert.equal(deleted.code, 0, deleted.stderr);
    const gone = await cli(["monitor", "delete", "fraud-drift"]);
    assert.equal(gone.code, 3, gone.stderr);
    assert.deepEqual((JSON.parse((await cli(["monitor", "list", "--json"])).stdout) as Array<{ name: string }>).map((m) => m.name), ["fraud-eu"]);
  });

  test("monitor alerts: none before a rule fires; after a run that fires one, its history as a table and as JSON", async () => {
    const opsSpec = { target: { model_name: "churn" }, window_seconds: 3600, every_seconds: 3600, operations: { max_error_rate: 0.1 }, alerts: [{ name: "errors", when: "operations" }] };
    assert.equal((await cli(["monitor", "create", file("ops.json", { name: "churn-ops", spec: opsSpec })])).code, 0);
    const none = await cli(["monitor", "alerts", "churn-ops"]);
    assert.equal(none.code, 0, none.stderr);
    assert.match(none.stdout, /No alerts for monitor 'churn-ops': none of its rules has fired/);
    const unknown = await cli(["monitor", "alerts", "nope"]);
    assert.equal(unknown.code, 3, unknown.stderr);

    // Half the window's requests failed: the operations rule fires.
    const t = Date.now() - 60_000;
    const records = Array.from({ length: 10 }, (_, i) => ({
      request_id: `q${i}`, time: t + i, model_name: "churn", model_version: "1", status: i % 2 ? 500 : 200, latency_ms: 3,
      request: { dataframe_records: [{ x: i }] }, response: i % 2 ? { error_code: "INTERNAL_ERROR" } : { predictions: [1] },
    }));
    const posted = await fetch(`${live.url}/api/ciclo/v1/monitoring/inference`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ records }) });
    assert.equal(posted.status, 200, await posted.text());
    const run = await cli(["monitor", "run", "churn-ops"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /alert errors: opened/);
    assert.match(run.stderr, /The alert history: ciclo monitor alerts churn-ops/);

    const table = await cli(["monitor", "alerts", "churn-ops"]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^ *ID +RULE +STATE +OPENED/m);
    assert.match(table.stdout, /^ +1 +errors +firing +\d{4}-/m);
    const json = JSON.parse((await cli(["monitor", "alerts", "churn-ops", "--json"])).stdout) as Array<{ rule: string; state: string; message: string }>;
    assert.deepEqual(json.map((a) => [a.rule, a.state]), [["errors", "firing"]]);
    assert.match(json[0].message, /error/i);
  });
});
