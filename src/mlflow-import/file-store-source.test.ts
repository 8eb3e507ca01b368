/**
 * The file-store reader against hostile `mlruns/` folders: links, escaping
 * artifact locations, giant files and lines, YAML tags and alias bombs are
 * refused or left out — never followed, executed or read past their bound.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { tempDir } from "../testing/temp-dir.js";
import { sourceRepositoryUri } from "./artifact-locations.js";
import { FileStoreError, parseMeta, parsePythonFloat } from "./file-store-reader.js";
import { FileStoreSource } from "./file-store-source.js";
import { runId, writeFileStore } from "./testing/file-store-fixture.js";

const tmp = tempDir("ciclo-file-store-");
after(() => tmp.remove());
let n = 0;
function store(): { root: string; warnings: string[]; source: FileStoreSource } {
  const root = join(tmp.path, `s${n++}`, "mlruns");
  writeFileStore(root, 2);
  const warnings: string[] = [];
  return { root, warnings, source: new FileStoreSource(root, (m) => warnings.push(m)) };
}

async function allRuns(source: FileStoreSource) {
  const exps = await source.experiments();
  const runs = [];
  for await (const page of source.runPages(exps.map((e) => e.experimentId), 10)) runs.push(...page);
  return runs;
}

test("reads experiments, runs with nested keys, Python-spelled NaN and infinities, and the registry", async () => {
  const { source } = store();
  const exps = await source.experiments();
  assert.deepEqual(exps.map((e) => [e.experimentId, e.name, e.tags]), [["0", "Default", []], ["1", "fixture", [{ key: "team", value: "cv" }]]]);
  const runs = await allRuns(source);
  assert.equal(runs.length, 2);
  assert.deepEqual(runs[0].params, [{ key: "lr", value: "0.1" }, { key: "nested/key", value: "v" }]);
  const points = [];
  for await (const c of source.metricPoints([runs[0].runId], 1000)) points.push(...c);
  const odd = points.filter((p) => p.key === "odd").map((p) => p.value);
  assert.deepEqual(odd, [NaN, Infinity, -Infinity]);
  assert.equal(points.filter((p) => p.key === "loss").length, 100);
  const [model] = await source.registeredModels();
  assert.deepEqual([model.name, model.aliases, model.versions[0].currentStage], ["fixture-model", [{ alias: "champion", version: 1 }], "Staging"]);
});

test("symbolic links are skipped and reported, never followed", async () => {
  const { root, warnings, source } = store();
  const secret = join(tmp.path, "secret.txt");
  writeFileSync(secret, "do not read");
  symlinkSync(secret, join(root, "1", runId(0), "tags", "stolen"));
  symlinkSync(join(tmp.path), join(root, "1", "ffffffffffffffffffffffffffffffff"));
  const runs = await allRuns(source);
  assert.equal(runs.length, 2, "a linked run folder is not a run");
  assert.ok(!runs[0].tags.some((t) => t.key === "stolen" || t.value === "do not read"));
  assert.ok(warnings.some((w) => w.includes("symbolic link") && w.includes("stolen")));
  assert.ok(warnings.some((w) => w.includes("ffffffff")));
});

test("artifact locations outside the store's folders are refused; mlflow-artifacts:/ needs --artifacts-source", async () => {
  const { root } = store();
  const opts = { allowedLocalRoots: [root] };
  assert.equal(await sourceRepositoryUri(`file://${root}/1/x/artifacts`, opts), join(root, "1/x/artifacts"));
  await assert.rejects(sourceRepositoryUri("file:///etc", opts), /outside the MLflow store's folders/);
  await assert.rejects(sourceRepositoryUri(`${root}/../../..`, opts), /outside/);
  // A link inside the store that leads out is judged by where it leads.
  symlinkSync("/etc", join(root, "1", "escape"));
  await assert.rejects(sourceRepositoryUri(`file://${root}/1/escape`, opts), /outside/);
  await assert.rejects(sourceRepositoryUri("mlflow-artifacts:/1/r/artifacts", opts), /--artifacts-source/);
  assert.equal(await sourceRepositoryUri("mlflow-artifacts://host:5000/1/r/artifacts", { ...opts, artifactsSource: root }), join(root, "1/r/artifacts"));
  await assert.rejects(sourceRepositoryUri("hdfs://nn/x", opts), /cannot be copied/);
});

test("giant metadata files and metric lines are refused at their bound", async () => {
  const { root, source } = store();
  writeFileSync(join(root, "1", runId(0), "params", "huge"), Buffer.alloc(2 * 1024 * 1024, 0x61));
  await assert.rejects(allRuns(source), (err: Error) => err instanceof FileStoreError && /2097152 bytes/.test(err.message));
  const s2 = store();
  writeFileSync(join(s2.root, "1", runId(1), "metrics", "long"), `1 ${"9".repeat(10_000)} 0\n`);
  const runs = await allRuns(s2.source);
  await assert.rejects(async () => {
    for await (const _ of s2.source.metricPoints(runs.map((r) => r.runId), 100));
  }, /longer than 4096 bytes/);
  const s3 = store();
  writeFileSync(join(s3.root, "1", runId(0), "metrics", "bad"), "1 notanumber 0\n");
  const runs3 = await allRuns(s3.source);
  await assert.rejects(async () => {
    for await (const _ of s3.source.metricPoints([runId(0)], 100));
  }, /malformed/);
  assert.equal(runs3.length, 2);
});

test("YAML is read as plain data: tags, alias bombs and duplicate keys are refused", async () => {
  const marker = join(tmp.path, "pwned");
  assert.throws(() => parseMeta(`name: !!python/object/apply:os.system ["touch ${marker}"]\n`, "meta.yaml"), /tag/i);
  assert.throws(() => parseMeta("name: !custom x\n", "meta.yaml"), FileStoreError);
  const bomb = ["a: &a [x, x, x, x, x, x, x, x, x]"];
  for (let i = 0; i < 8; i++) bomb.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`);
  assert.throws(() => parseMeta(bomb.join("\n"), "meta.yaml"), FileStoreError);
  assert.throws(() => parseMeta("name: a\nname: b\n", "meta.yaml"), FileStoreError);
  assert.throws(() => parseMeta("- a\n- b\n", "meta.yaml"), /a map of fields/);
  assert.ok(!existsSync(marker));
  const { root, source } = store();
  writeFileSync(join(root, "1", runId(0), "meta.yaml"), "run_id: !!python/name:os.system\n");
  await assert.rejects(allRuns(source), /tag/i);
  mkdirSync(join(root, "junk"));
  assert.deepEqual(parseMeta("a: 1\nb: 'x'\nc: null\n", "m"), { a: 1, b: "x", c: null });
});

test("Python's float spellings", () => {
  assert.deepEqual(["1.0", "nan", "inf", "-inf", "1e-05", "-0.0", "5e-324", "Infinity"].map(parsePythonFloat), [1, NaN, Infinity, -Infinity, 1e-5, -0, 5e-324, Infinity]);
  assert.equal(parsePythonFloat("0x10"), undefined);
  assert.equal(parsePythonFloat(""), undefined);
});
