/**
 * js_function packages (module + code + manifest + artifacts), and loading a
 * model again inside a worker thread from `model.reload`.
 */
import assert from "node:assert/strict";
import { readFile, writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { after, before, describe, it } from "node:test";
import { tempDir } from "../testing/temp-dir.js";
import { parseJsonRequest } from "./input-parser.js";
import { validateInput, validateParams } from "./input-validator.js";
import type { LoadedModel } from "./loaded-model.js";
import { readMlmodel } from "./mlmodel.js";
import { loadLocalModel } from "./model-loader.js";
import { toPredictions, type ModelOutput } from "./model-output.js";
import { saveModel } from "./model-package-writer.js";
import type { ModelInput } from "./model-input.js";
import { parseSchema } from "./model-signature.js";

const MODULE = `
import { readFileSync } from "node:fs";
import { helper } from "./lib/helper.mjs";
export function load(context) {
  const weights = JSON.parse(readFileSync(context.artifacts.weights, "utf8"));
  return { a: weights.a, offset: context.modelConfig.offset };
}
export function predict(input, params, state) {
  const x = input.columns.find((c) => c.name === "x").values;
  if (params.fail) throw new Error("boom");
  return Array.from(x, (v) => helper(v * state.a * (params.mult ?? 1) + state.offset));
}
`;

describe("js_function packages", () => {
  const tmp = tempDir("ciclo-jsfn-");
  let model: LoadedModel;
  const pkg = join(tmp.path, "pkg");

  before(async () => {
    const src = join(tmp.path, "src");
    await mkdir(join(src, "lib"), { recursive: true });
    await mkdir(join(src, "node_modules", "dep"), { recursive: true });
    await writeFile(join(src, "model.mjs"), MODULE);
    await writeFile(join(src, "lib", "helper.mjs"), "export const helper = (v) => Math.round(v * 1000) / 1000;\n");
    await writeFile(join(src, "node_modules", "dep", "index.js"), "module.exports = 1;\n");
    await writeFile(join(tmp.path, "weights.json"), JSON.stringify({ a: 2 }));
    await saveModel(pkg, src, {
      inputExample: [{ x: 1 }, { x: 2.5 }],
      jsFunction: { artifacts: { weights: join(tmp.path, "weights.json") }, modelConfig: { offset: 1 } },
    });
    model = await loadLocalModel(pkg);
  });
  after(async () => {
    await model?.close();
    tmp.remove();
  });

  it("writes the package: code/, a generated manifest, artifacts/, and the flavor entry", async () => {
    const m = await readMlmodel(pkg);
    assert.deepEqual(Object.keys(m.flavors), ["js_function"]);
    const f = m.flavors.js_function;
    assert.equal(f.entry, "code/model.mjs");
    assert.equal(f.dependencies, "code/package.json");
    assert.deepEqual(f.artifacts, { weights: "artifacts/weights.json" });
    assert.deepEqual(f.model_config, { offset: 1 });
    assert.equal(JSON.parse(await readFile(join(pkg, "code", "package.json"), "utf8")).type, "module");
    await assert.rejects(readFile(join(pkg, "code", "node_modules", "dep", "index.js")), /ENOENT/);
    // Signature inferred from the example and the model's own output.
    assert.deepEqual(parseSchema(m.signature!.inputs), { kind: "columns", columns: [{ name: "x", type: "double", required: true }] });
    assert.deepEqual(parseSchema(m.signature!.outputs), { kind: "tensors", tensors: [{ dtype: "float64", shape: [-1] }] });
  });

  it("predicts on validated input with params", async () => {
    const { input, params } = parseJsonRequest({ dataframe_records: [{ x: 1 }, { x: 3 }], params: { mult: 10 } }, model.inputSchema);
    const out = await model.predict(validateInput(input, model.inputSchema), validateParams(params, model.signature?.params));
    assert.deepEqual(toPredictions(out), [21, 61]);
    assert.equal(model.workerSafe, true);
  });

  it("a failing predict is MLflow's BAD_REQUEST 'unexpected error while evaluating the model'", async () => {
    const input = validateInput(parseJsonRequest({ dataframe_records: [{ x: 1 }] }).input, model.inputSchema);
    await assert.rejects(model.predict(input, { fail: true }), (err: Error & { errorCode?: string }) => {
      assert.equal(err.errorCode, "BAD_REQUEST");
      assert.match(err.message, /unexpected error while evaluating the model.*boom/);
      return true;
    });
  });

  it("an entry or artifact outside the package is refused before any code runs", async () => {
    const evil = join(tmp.path, "evil");
    await mkdir(evil);
    await writeFile(join(tmp.path, "outside.mjs"), "globalThis.__cicloEvilRan = true; export function predict() { return []; }\n");
    await writeFile(join(evil, "MLmodel"), "flavors:\n  js_function:\n    entry: ../outside.mjs\n");
    await assert.rejects(loadLocalModel(evil), /points outside the model folder/);
    assert.equal((globalThis as { __cicloEvilRan?: boolean }).__cicloEvilRan, undefined);
    await writeFile(join(evil, "MLmodel"), "flavors:\n  js_function:\n    entry: /etc/passwd\n");
    await assert.rejects(loadLocalModel(evil), /points outside the model folder/);
  });
});

describe("worker threads", () => {
  it("an ONNX model loads again in a worker from model.reload; inputs and outputs cross by structured clone", async () => {
    const tmp = tempDir("ciclo-worker-");
    try {
      const dir = join(tmp.path, "m");
      await saveModel(dir, new URL("./fixtures/linear-regressor.onnx", import.meta.url).pathname);
      const main = await loadLocalModel(dir);
      const input = validateInput(parseJsonRequest({ inputs: [[1, 2, 3], [0, 0, 0]] }).input, main.inputSchema);
      const here = await main.predict(input);
      await main.close();
      assert.equal(main.workerSafe, true);
      const code = `
        const { parentPort, workerData } = require("node:worker_threads");
        // From source the worker needs tsx's loader, as bin/ciclo.js registers it (dist/ is plain JS).
        import("tsx/esm/api").then(({ register }) => { register(); return import(workerData.loader); }).then(async ({ loadLocalModel }) => {
          const m = await loadLocalModel(workerData.spec.path, workerData.spec.options);
          parentPort.postMessage(await m.predict(workerData.input));
          await m.close();
        }).catch((e) => parentPort.postMessage({ error: String(e) }));`;
      const worker = new Worker(code, {
        eval: true,
        workerData: { loader: new URL("./model-loader.ts", import.meta.url).href, spec: main.reload, input: input as ModelInput },
      });
      const there = await new Promise<ModelOutput | { error: string }>((resolve, reject) => {
        worker.once("message", resolve);
        worker.once("error", reject);
      });
      await worker.terminate();
      assert.ok(!("error" in there), JSON.stringify(there));
      assert.deepEqual(toPredictions(there as ModelOutput), toPredictions(here));
    } finally {
      tmp.remove();
    }
  });
});
