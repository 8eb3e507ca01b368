/**
 * `ciclo monitor drift|profile|merge` as the real binary: the exact --json
 * shape, exit codes (0, 4 with --fail-on-drift, 2 usage, 1 bad input), the
 * stored-profile path giving the same report as the files.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runCiclo } from "../../testing/child-server.js";
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
