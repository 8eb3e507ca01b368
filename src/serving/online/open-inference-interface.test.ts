/**
 * One ONNX file, one `/v2` interface: the same model saved without and with
 * an input example (which gives the package a column signature) answers the
 * same model metadata (input names, shapes, datatypes; outputs) and the same
 * tensor inference requests; MLflow's /invocations still follows each
 * package's signature.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { saveModel } from "../../models/model-package-writer.js";
import { startScoringKit, type ScoringKit } from "../../testing/scoring-app-kit.js";
import { tempDir } from "../../testing/temp-dir.js";

const LINEAR_ONNX = fileURLToPath(new URL("../../models/fixtures/linear-regressor.onnx", import.meta.url));
const X = [
  [1.323, -1.364, 1.921],
  [-1.098, -0.313, 0.234],
];
const tmp = tempDir("ciclo-v2-interface-");
let plain: ScoringKit;
let withExample: ScoringKit;

before(async () => {
  const a = join(tmp.path, "plain");
  const b = join(tmp.path, "with-example");
  await saveModel(a, LINEAR_ONNX);
  const mlmodel = await saveModel(b, LINEAR_ONNX, { inputExample: X.map(([x1, x2, x3]) => ({ x1, x2, x3 })) });
  assert.match(JSON.stringify(mlmodel.signature), /x1/, "the example gave the package a column signature");
  plain = await startScoringKit(a, { name: "linear", workers: 0 });
  withExample = await startScoringKit(b, { name: "linear", workers: 0 });
});
after(async () => {
  await plain?.close();
  await withExample?.close();
  tmp.remove();
});

test("the same metadata whether or not an input example was logged", async () => {
  const [m1, m2] = await Promise.all([plain, withExample].map(async (k) => (await k.app.inject({ method: "GET", url: "/v2/models/linear" })).json()));
  assert.deepEqual(m2, m1);
  assert.deepEqual((m1 as { inputs: unknown }).inputs, [{ name: "X", datatype: "FP32", shape: [-1, 3] }]);
  assert.deepEqual((m1 as { outputs: unknown }).outputs, [{ name: "variable", datatype: "FP32", shape: [-1, 1] }]);
});

test("the same tensor request gets the same answer from both; /invocations keeps each package's signature", async () => {
  const body = JSON.stringify({ inputs: [{ name: "X", shape: [2, 3], datatype: "FP32", data: X.flat() }] });
  const answers = await Promise.all(
    [plain, withExample].map((k) => k.app.inject({ method: "POST", url: "/v2/models/linear/infer", headers: { "content-type": "application/json" }, payload: body })),
  );
  for (const r of answers) assert.equal(r.statusCode, 200, r.body);
  assert.deepEqual(answers[1].json(), answers[0].json());
  // MLflow's protocol: the example's columns work on the package whose signature names them.
  const records = JSON.stringify({ dataframe_records: X.map(([x1, x2, x3]) => ({ x1, x2, x3 })) });
  const mlflow = await withExample.app.inject({ method: "POST", url: "/invocations", headers: { "content-type": "application/json" }, payload: records });
  assert.equal(mlflow.statusCode, 200, mlflow.body);
  const v2 = (answers[0].json() as { outputs: Array<{ data: number[] }> }).outputs[0].data;
  const flat = JSON.stringify((mlflow.json() as { predictions: unknown }).predictions).match(/-?\d+(\.\d+)?(e-?\d+)?/g)!.map(Number);
  assert.equal(flat.length, 2);
  flat.forEach((v, i) => assert.ok(Math.abs(v - v2[i]) < 1e-5, `${v} vs ${v2[i]}`));
});
