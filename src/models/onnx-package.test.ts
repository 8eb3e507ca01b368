/**
 * ONNX packages end to end on the committed fixtures: saveModel → MLmodel as
 * MLflow writes it → loadLocalModel → predictions equal scikit-learn's
 * (expected.json, made by scripts/make-onnx-fixtures.py) through every input format.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { tempDir } from "../testing/temp-dir.js";
import { parseCsvInput } from "./csv-input.js";
import { parseJsonRequest } from "./input-parser.js";
import { validateInput } from "./input-validator.js";
import type { LoadedModel } from "./loaded-model.js";
import { readMlmodel } from "./mlmodel.js";
import { loadLocalModel } from "./model-loader.js";
import { toPredictions } from "./model-output.js";
import { saveModel } from "./model-package-writer.js";
import { parseSchema } from "./model-signature.js";

const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;
const expected = JSON.parse(readFileSync(join(FIXTURES, "expected.json"), "utf8")) as Record<string, Record<string, unknown>>;
const PY = "/usr/bin/python3";

function close(actual: unknown, want: unknown, tol = 1e-5): void {
  if (Array.isArray(want)) {
    assert.ok(Array.isArray(actual), `expected a list, got ${JSON.stringify(actual)}`);
    assert.equal(actual.length, want.length);
    want.forEach((w, i) => close(actual[i], w, tol));
  } else if (typeof want === "number") {
    assert.ok(Math.abs((actual as number) - want) <= tol * Math.max(1, Math.abs(want)), `${String(actual)} ≉ ${want}`);
  } else if (want && typeof want === "object") {
    assert.deepEqual(Object.keys(actual as object).sort(), Object.keys(want).sort());
    for (const [k, w] of Object.entries(want)) close((actual as Record<string, unknown>)[k], w, tol);
  } else assert.deepEqual(actual, want);
}

async function score(model: LoadedModel, body: unknown): Promise<unknown> {
  const { input, params } = parseJsonRequest(body, model.inputSchema);
  return toPredictions(await model.predict(validateInput(input, model.inputSchema), params));
}

describe("ONNX packages", () => {
  const tmp = tempDir("ciclo-onnx-pkg-");
  const models: LoadedModel[] = [];
  const load = async (dir: string) => {
    const m = await loadLocalModel(dir);
    models.push(m);
    return m;
  };
  after(async () => {
    await Promise.all(models.map((m) => m.close()));
    tmp.remove();
  });

  it("linear regressor: tensor signature from the ONNX model, `inputs` and `instances` answer like MLflow", async () => {
    const dir = join(tmp.path, "linear");
    const mlmodel = await saveModel(dir, join(FIXTURES, "linear-regressor.onnx"), { runId: "a".repeat(32), artifactPath: "model" });
    assert.deepEqual(Object.keys(mlmodel.flavors).sort(), ["onnx", "python_function"]);
    assert.equal(mlmodel.flavors.python_function.loader_module, "mlflow.onnx");
    assert.equal(mlmodel.flavors.python_function.data, "model.onnx");
    const sig = parseSchema(mlmodel.signature!.inputs);
    assert.deepEqual(sig, { kind: "tensors", tensors: [{ name: "X", dtype: "float32", shape: [-1, 3] }] });
    const m = await load(dir);
    const want = (expected["linear-regressor"].variable as number[]).map((v) => [v]);
    close(await score(m, { inputs: expected["linear-regressor"].X }), { variable: want });
    close(await score(m, { instances: expected["linear-regressor"].X }), { variable: want });
    close(await score(m, { inputs: { X: expected["linear-regressor"].X } }), { variable: want });
  });

  it("tree ensemble (ai.onnx.ml TreeEnsembleRegressor) with a data-frame example: column signature, records out", async () => {
    const dir = join(tmp.path, "tree");
    const X = expected["tree-regressor"].X as number[][];
    const mlmodel = await saveModel(dir, join(FIXTURES, "tree-regressor.onnx"), {
      inputExample: X.slice(0, 2).map(([a, b, c]) => ({ x1: a, x2: b, x3: c })),
    });
    assert.deepEqual(parseSchema(mlmodel.signature!.inputs), {
      kind: "columns",
      columns: ["x1", "x2", "x3"].map((name) => ({ name, type: "double", required: true })),
    });
    assert.deepEqual(parseSchema(mlmodel.signature!.outputs), { kind: "tensors", tensors: [{ name: "variable", dtype: "float32", shape: [-1] }] });
    assert.deepEqual(JSON.parse(await readFile(join(dir, "input_example.json"), "utf8")), { columns: ["x1", "x2", "x3"], data: X.slice(0, 2) });
    assert.deepEqual(JSON.parse(await readFile(join(dir, "serving_input_example.json"), "utf8")).dataframe_split.columns, ["x1", "x2", "x3"]);
    const m = await load(dir);
    const want = (expected["tree-regressor"].variable as number[]).map((v) => ({ variable: v }));
    const rows = X.map(([a, b, c]) => ({ x3: c, x1: a, x2: b })); // column order does not matter
    close(await score(m, { dataframe_records: rows }), want);
    close(await score(m, { dataframe_split: { columns: ["x1", "x2", "x3"], data: X } }), want);
    const csv = `x2,x1,x3\n${X.map(([a, b, c]) => `${b},${a},${c}`).join("\n")}\n`;
    close(toPredictions(await m.predict(validateInput(parseCsvInput(csv, m.inputSchema), m.inputSchema))), want);
    // A missing column is a 400 naming it.
    await assert.rejects(score(m, { dataframe_records: [{ x1: 1, x2: 2 }] }), /missing inputs \['x3'\]/);
  });

  it("classifier without ZipMap: label + probabilities as scikit-learn gives them", async () => {
    const dir = join(tmp.path, "clf");
    await saveModel(dir, join(FIXTURES, "classifier.onnx"));
    const m = await load(dir);
    const e = expected.classifier;
    const out = (await score(m, { inputs: e.X })) as { label: number[]; probabilities: number[][] };
    assert.deepEqual(out.label, e.label);
    close(out.probabilities, e.probabilities);
    // float64 JSON numbers are cast to the model's float32 input (MLflow #1286); an int64 output becomes numbers.
    assert.equal(typeof out.label[0], "number");
  });

  it("ZipMap outputs are skipped, and asking for one is refused with a clear error", async () => {
    const dir = join(tmp.path, "zip");
    await saveModel(dir, join(FIXTURES, "classifier-zipmap.onnx"));
    const m = await load(dir);
    const out = (await score(m, { inputs: expected.classifier.X })) as Record<string, unknown>;
    assert.deepEqual(Object.keys(out), ["label"]);
    await assert.rejects(loadLocalModel(dir, { onnx: { outputNames: ["output_probability"] } }), /'output_probability' is not a tensor \(a ZipMap.*zipmap': False/);
  });

  it("a shape that does not fit is a 400 naming the input", async () => {
    const m = await load(join(tmp.path, "linear"));
    await assert.rejects(score(m, { inputs: [[1, 2]] }), (err: Error & { errorCode?: string }) => {
      assert.equal(err.errorCode, "BAD_REQUEST");
      assert.match(err.message, /input 'X' \[1, 2\] does not match the expected shape \[-1, 3\]/);
      return true;
    });
  });

  describe("the MLmodel file as Python reads it", { skip: !existsSync(PY) && !process.env.CICLO_REQUIRE_ALL ? "no /usr/bin/python3" : false }, () => {
    let py: Record<string, unknown>;
    before(() => {
      const script =
        "import sys, yaml, json; d = yaml.safe_load(open(sys.argv[1])); " +
        "print(json.dumps({'doc': d, 'types': {k: type(v).__name__ for k, v in d.items()}, 'keys': list(d.keys())}))";
      py = JSON.parse(execFileSync(PY, ["-c", script, join(tmp.path, "tree", "MLmodel")], { encoding: "utf8" }));
    });
    it("PyYAML reads strings as strings (utc_time_created, versions) and keys come sorted as yaml.safe_dump writes them", () => {
      const types = py.types as Record<string, string>;
      assert.equal(types.utc_time_created, "str");
      assert.equal(types.mlflow_version, "str");
      assert.equal(types.model_size_bytes, "int");
      assert.match((py.doc as { utc_time_created: string }).utc_time_created, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
      const keys = py.keys as string[];
      assert.deepEqual(keys, [...keys].sort());
    });
    it("signature entries are JSON strings in MLflow's spec form", () => {
      const sig = (py.doc as { signature: Record<string, string | null> }).signature;
      assert.deepEqual(JSON.parse(sig.inputs!)[0], { type: "double", name: "x1", required: true });
      assert.deepEqual(JSON.parse(sig.outputs!)[0], { type: "tensor", "tensor-spec": { dtype: "float32", shape: [-1] }, name: "variable" });
      assert.equal(sig.params, null);
    });
  });

  it("reads back what it wrote, unknown fields kept", async () => {
    const m = await readMlmodel(join(tmp.path, "linear"));
    assert.equal(m.run_id, "a".repeat(32));
    assert.equal(m.artifact_path, "model");
    assert.match(String(m.model_uuid), /^[0-9a-f]{32}$/);
    assert.equal(typeof m.ciclo_version, "string");
  });

  it("refuses to overwrite a non-empty folder", async () => {
    await assert.rejects(saveModel(join(tmp.path, "linear"), join(FIXTURES, "linear-regressor.onnx")), /already exists/);
  });
});
