import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { tempDir } from "../testing/temp-dir.js";
import { parseParamAssignments, resolveCommand } from "./project-parameters.js";
import { loadProject, parseProject, ProjectError, resolveEntryPoint } from "./project-spec.js";

const dir = tempDir("ciclo-project-");
after(() => dir.remove());

const CICLO_YAML = `
name: churn
env:
  node: pnpm
  python: { requirements: requirements.txt }
entry_points:
  train:
    parameters:
      lr: { type: float, default: 0.1, description: learning rate }
      epochs: { type: int, default: 3 }
      data: path
      tag: { type: string, default: "a b" }
      registry: { type: uri, default: "s3://bucket/x" }
    command: node train.js --lr {lr} --epochs {epochs} --data {data} --tag {tag} --registry {registry}
  eval:
    command: node eval.js
`;

const MLPROJECT = `
name: tutorial
python_env: python_env.yaml
entry_points:
  main:
    parameters:
      alpha: {type: float, default: 0.5}
      l1_ratio: {type: number, default: 0.1}
      max_depth: int
    command: "python train.py {alpha} {l1_ratio} {max_depth}"
`;

describe("project files", () => {
  test("ciclo.yaml: entry points, typed parameters with defaults, env", () => {
    const p = parseProject(CICLO_YAML, "ciclo.yaml", dir.path);
    assert.equal(p.name, "churn");
    assert.deepEqual(p.env, { node: { packageManager: "pnpm" }, python: { requirements: "requirements.txt" } });
    const train = p.entryPoints.get("train")!;
    assert.deepEqual(train.parameters, [
      { name: "lr", type: "float", default: "0.1", description: "learning rate" },
      { name: "epochs", type: "int", default: "3" },
      { name: "data", type: "path" },
      { name: "tag", type: "string", default: "a b" },
      { name: "registry", type: "uri", default: "s3://bucket/x" },
    ]);
    assert.deepEqual(p.entryPoints.get("eval")!.parameters, []);
  });

  test("MLproject is read as MLflow reads it: unknown types are strings, env kinds kept, other keys ignored", () => {
    const p = parseProject(`${MLPROJECT}\ndocker_env: {image: x}\nsomething_new: 1\n`, "MLproject", dir.path);
    assert.equal(p.name, "tutorial");
    assert.equal(p.env.mlflowEnv, "python_env");
    const main = p.entryPoints.get("main")!;
    assert.deepEqual(main.parameters.map((x) => [x.name, x.type, x.default]), [
      ["alpha", "float", "0.5"],
      ["l1_ratio", "string", "0.1"],
      ["max_depth", "int", undefined],
    ]);
  });

  test("ciclo.yaml mistakes are reported with where they are", () => {
    const bad: Array<[string, RegExp]> = [
      ["entry_point: {}", /unknown key 'entry_point'/],
      ["entry_points: {a: {parameters: {x: number}, command: run}}", /type 'number' is not one of/],
      ["entry_points: {a: {parameters: {x: int}}}", /entry point 'a' needs a command/],
      ["entry_points: {a: {command: 'run {y}'}}", /refers to \{y\}/],
      ["entry_points: {a: {parameters: {'x;y': int}, command: run}}", /parameter name 'x;y'/],
      ["env: {node: yarn}", /package manager 'yarn'/],
      ["env: {java: 1}", /unknown key 'java'/],
      ["entry_points: [1, 2]", /entry_points must be a mapping/],
      ["a: [", /not valid YAML/],
    ];
    for (const [text, re] of bad) assert.throws(() => parseProject(text, "ciclo.yaml", dir.path), re, text);
  });

  test("loadProject prefers ciclo.yaml; a folder without a file runs scripts as entry points", () => {
    const both = join(dir.path, "both");
    mkdirSync(both);
    writeFileSync(join(both, "ciclo.yaml"), CICLO_YAML);
    writeFileSync(join(both, "MLproject"), MLPROJECT);
    assert.equal(loadProject(both).file, "ciclo.yaml");
    const bare = join(dir.path, "bare");
    mkdirSync(bare);
    writeFileSync(join(bare, "my train.js"), "");
    const p = loadProject(bare);
    assert.equal(p.file, undefined);
    assert.equal(resolveEntryPoint(p, "my train.js").command, "node 'my train.js'");
    assert.throws(() => resolveEntryPoint(p, "missing.py"), /not declared .* and is not a/);
    assert.throws(() => loadProject(join(dir.path, "nope")), /does not exist/);
  });
});

describe("parameters", () => {
  const project = parseProject(CICLO_YAML, "ciclo.yaml", dir.path);
  const train = project.entryPoints.get("train")!;
  writeFileSync(join(dir.path, "data.csv"), "x\n");

  test("defaults fill in, extras become --key value, every value quoted", () => {
    const r = resolveCommand(train, { data: "data.csv", lr: "0.5", "extra.key": "x y", seed: "7" }, dir.path);
    assert.deepEqual(r.declared, { lr: "0.5", epochs: "3", data: "data.csv", tag: "a b", registry: "s3://bucket/x" });
    assert.deepEqual(r.extra, { "extra.key": "x y", seed: "7" });
    assert.equal(r.command, "node train.js --lr 0.5 --epochs 3 --data data.csv --tag 'a b' --registry s3://bucket/x --extra.key 'x y' --seed 7");
  });

  test("type, required and name checks", () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{}, /No value given for missing parameters: 'data'/],
      [{ data: "data.csv", lr: "fast" }, /'lr' \(float\): 'fast' is not a number/],
      [{ data: "data.csv", epochs: "2.5" }, /'epochs' \(int\): '2.5' is not an integer/],
      [{ data: "data.csv", registry: "not a uri" }, /expected a URI/],
      [{ data: "missing.csv" }, /no such file or directory/],
      [{ data: "data.csv", "x;touch y": "1" }, /Parameter name 'x;touch y' is not allowed/],
      [{ data: "data.csv", "--x": "1" }, /is not allowed/],
      [{ data: "data.csv", tag: "a\0b" }, /NUL/],
      [{ data: "data.csv", tag: "v".repeat(6001) }, /longer than 6000/],
    ];
    for (const [given, re] of cases) assert.throws(() => resolveCommand(train, given, dir.path), re);
    for (const v of ["1e-3", "-2", ".5", "nan", "Infinity"]) resolveCommand(train, { data: "data.csv", lr: v }, dir.path);
    assert.equal(resolveCommand(train, { data: "s3://b/k" }, dir.path).declared.data, "s3://b/k");
  });

  test("hostile values run nothing: the command sees them verbatim", () => {
    const echo = parseProject(
      "entry_points: {e: {parameters: {a: string}, command: \"printf '%s\\\\0' {a}\"}}",
      "ciclo.yaml",
      dir.path,
    ).entryPoints.get("e")!;
    for (const value of ["$(touch pwned)", "x'; touch pwned; '", "`touch pwned`"]) {
      const r = resolveCommand(echo, { a: value, b: "; touch pwned2" }, dir.path);
      const out = execFileSync("/bin/sh", ["-c", r.command], { cwd: dir.path, encoding: "utf8" });
      assert.deepEqual(out.split("\0"), [value, "--b", "; touch pwned2", ""]);
    }
    assert.equal(existsSync(join(dir.path, "pwned")), false);
    assert.equal(existsSync(join(dir.path, "pwned2")), false);
  });

  test("parseParamAssignments: key=value, '=' in values, duplicates refused", () => {
    assert.deepEqual(parseParamAssignments(["a=1", "b=x=y", "c="]), { a: "1", b: "x=y", c: "" });
    assert.throws(() => parseParamAssignments(["a"]), ProjectError);
    assert.throws(() => parseParamAssignments(["=1"]), /key=value/);
    assert.throws(() => parseParamAssignments(["a=1", "a=2"]), /given twice/);
  });
});
