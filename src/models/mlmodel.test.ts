/**
 * MLmodel files as MLflow writes them (2.x sklearn, 3.x logged model, 1.x-era
 * signature form) parse, and an MLflow-logged ONNX folder loads and predicts.
 */
import assert from "node:assert/strict";
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { tempDir } from "../testing/temp-dir.js";
import { validateInput } from "./input-validator.js";
import { mlmodelSignature, parseMlmodel, stringifyMlmodel, utcTimeCreated } from "./mlmodel.js";
import { loadLocalModel } from "./model-loader.js";
import { toPredictions } from "./model-output.js";
import { parseSignature, pythonJson, schemaToJson } from "./model-signature.js";

// What `mlflow.sklearn.log_model` 2.22 writes (field set and layout).
const SKLEARN_2X = `artifact_path: model
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.pkl
    predict_fn: predict
    python_version: 3.10.17
  sklearn:
    code: null
    pickled_model: model.pkl
    serialization_format: cloudpickle
    sklearn_version: 1.6.1
is_signature_from_type_hint: false
mlflow_version: 2.22.0
model_size_bytes: 41988
model_uuid: 4166e5d9593e4fcd9b5ebb620e2b5694
prompts: null
run_id: ff9cb31f23ef41bfae73e79632e92644
saved_input_example_info:
  artifact_path: input_example.json
  pandas_orient: split
  type: dataframe
signature:
  inputs: '[{"type": "double", "name": "Gender", "required": true}, {"type": "double",
    "name": "Age", "required": true}, {"type": "long", "name": "Salary", "required":
    false}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'
  params: '[{"name": "k", "type": "long", "default": 3, "shape": null}]'
type_hint_from_example: false
utc_time_created: '2025-05-20 03:12:04.551265'
`;

// MLflow 3.x: model_id, serving_input_path, artifact_path as a URI.
const LOGGED_3X = `artifact_path: mlflow-artifacts:/1/models/m-0a24c301ab8840bc9af390a84b80d1ca/artifacts
flavors:
  onnx:
    code: null
    data: model.onnx
    onnx_version: 1.14.0
    providers:
    - CUDAExecutionProvider
    - CPUExecutionProvider
  python_function:
    data: model.onnx
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.onnx
    python_version: 3.9.16
mlflow_version: 3.15.1
model_id: m-0a24c301ab8840bc9af390a84b80d1ca
model_size_bytes: 117149
model_uuid: m-0a24c301ab8840bc9af390a84b80d1ca
run_id: 627648c8e53549f0acf8ebeb6b27aba8
signature:
  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}, "name": "X"}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 1]}, "name": "variable"}]'
  params: null
utc_time_created: '2026-08-04 11:00:46.002863'
`;

// Older clients: `optional`, name before type, env as a plain string, unquoted timestamp.
const OLD_1X = `flavors:
  python_function:
    env: conda.yaml
    loader_module: mlflow.sklearn
signature:
  inputs: '[{"name": "Store", "type": "integer"}, {"name": "Date", "type": "string", "optional": true}]'
utc_time_created: 2022-01-17 20:29:00.995838
`;

describe("MLmodel parsing", () => {
  const tmp = tempDir("ciclo-mlmodel-");
  after(() => tmp.remove());

  it("an MLflow 2.x sklearn model: fields, column signature (required false), tensor outputs, params", () => {
    const m = parseMlmodel(SKLEARN_2X);
    assert.equal(m.run_id, "ff9cb31f23ef41bfae73e79632e92644");
    assert.equal(m.flavors.python_function.loader_module, "mlflow.sklearn");
    assert.equal(m.is_signature_from_type_hint, false);
    const sig = mlmodelSignature(m)!;
    assert.deepEqual(sig.inputs, {
      kind: "columns",
      columns: [
        { type: "double", name: "Gender", required: true },
        { type: "double", name: "Age", required: true },
        { type: "long", name: "Salary", required: false },
      ],
    });
    assert.deepEqual(sig.outputs, { kind: "tensors", tensors: [{ dtype: "int64", shape: [-1] }] });
    assert.deepEqual(sig.params, [{ name: "k", type: "long", default: 3, shape: null }]);
  });

  it("an older form: optional → required false; an unquoted timestamp stays MLflow's text", () => {
    const m = parseMlmodel(OLD_1X);
    assert.equal(m.utc_time_created, "2022-01-17 20:29:00.995838");
    assert.deepEqual(mlmodelSignature(m)!.inputs, {
      kind: "columns",
      columns: [
        { type: "integer", name: "Store", required: true },
        { type: "string", name: "Date", required: false },
      ],
    });
  });

  it("round-trips: stringify → parse keeps every field (unknown ones too)", () => {
    const m = parseMlmodel(SKLEARN_2X);
    assert.deepEqual(parseMlmodel(stringifyMlmodel(m)), m);
    // Signature JSON written back the way MLflow writes it.
    const sig = parseSignature(m.signature)!;
    assert.equal(schemaToJson(sig.inputs!), m.signature!.inputs);
    assert.equal(schemaToJson(sig.outputs!), m.signature!.outputs);
    assert.equal(pythonJson({ name: "caf\u00e9", v: [1, null] }), '{"name": "caf\\u00e9", "v": [1, null]}');
  });

  it("refuses what is not an MLmodel", () => {
    assert.throws(() => parseMlmodel("- a\n- b\n"), /not a YAML mapping/);
    assert.throws(() => parseMlmodel("run_id: x\n"), /no 'flavors' mapping/);
    assert.throws(() => parseMlmodel("flavors: {a: [1]}\n"), /flavor 'a' is not a mapping/);
    assert.throws(() => mlmodelSignature(parseMlmodel('flavors: {}\nsignature: {inputs: \'[{"type": "tensor"}]\'}\n')), /tensor-spec/);
  });

  it("utc_time_created has MLflow's naive-UTC form", () => {
    assert.equal(utcTimeCreated(new Date(Date.UTC(2025, 4, 20, 3, 12, 4, 551))), "2025-05-20 03:12:04.551000");
  });

  it("an MLflow-logged ONNX folder (3.x) loads and predicts; a sklearn folder is refused with the reason", async () => {
    const onnxDir = join(tmp.path, "mlflow-onnx");
    await mkdir(onnxDir);
    await writeFile(join(onnxDir, "MLmodel"), LOGGED_3X);
    await copyFile(new URL("./fixtures/linear-regressor.onnx", import.meta.url), join(onnxDir, "model.onnx"));
    const model = await loadLocalModel(onnxDir);
    try {
      assert.equal(model.flavor, "onnx");
      const out = await model.predict(validateInput({ kind: "tensors", rowCount: 1, tensors: [{ dtype: "object", shape: [1, 3], data: [0, 0, 0] }] }, model.inputSchema));
      const pred = toPredictions(out) as { variable: number[][] };
      assert.equal(pred.variable.length, 1);
      assert.ok(Math.abs(pred.variable[0][0] - 0.5) < 0.1, `intercept ≈ 0.5, got ${pred.variable[0][0]}`);
    } finally {
      await model.close();
    }
    const skDir = join(tmp.path, "mlflow-sklearn");
    await mkdir(skDir);
    await writeFile(join(skDir, "MLmodel"), SKLEARN_2X);
    await assert.rejects(loadLocalModel(skDir), /flavors are python_function, sklearn: ciclo serves it .* through its Python runtime, but loadModel and ciclo models evaluate run only onnx and js_function models.*mlflow\.evaluate/);
    const otherDir = join(tmp.path, "spark-only");
    await mkdir(otherDir);
    await writeFile(join(otherDir, "MLmodel"), "flavors:\n  spark:\n    pyspark_version: 3.5.0\n");
    await assert.rejects(loadLocalModel(otherDir), /ciclo cannot run this model: its flavors are spark; ciclo runs onnx and js_function in-process/);
  });
});
