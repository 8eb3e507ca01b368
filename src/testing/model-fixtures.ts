/**
 * Model folders for serving and batch-scoring tests, written with the model
 * package's own `saveModel`:
 * - {@link linearModel}: the linear-regressor ONNX fixture (input `X` float32 [-1, 3], output `variable`);
 * - {@link slowModel}: a js_function model that doubles column `x` and keeps
 *   its thread busy (a CPU loop, not a timer) for `busy_ms` per call — the
 *   deliberately slow model that proves health stays responsive, batching
 *   batches, queues overflow and deadlines fire; `crash: true` ends the thread
 *   it runs in (a dying inference thread is replaced).
 * @module
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ParamSpec } from "../models/model-signature.js";
import { saveModel } from "../models/model-package-writer.js";

const LINEAR_ONNX = fileURLToPath(new URL("../models/fixtures/linear-regressor.onnx", import.meta.url));
export const FIXTURE_EXPECTED = fileURLToPath(new URL("../models/fixtures/expected.json", import.meta.url));

export async function linearModel(parent: string, name = "linear"): Promise<string> {
  const dir = join(parent, name);
  await saveModel(dir, LINEAR_ONNX);
  return dir;
}

const SLOW_MODULE = `// Test model: doubles column x; spends busy_ms of CPU per call (blocking its thread on purpose).
export function load(context) {
  return { busyMs: Number(context.modelConfig.busy_ms ?? 0) };
}
export function predict(input, params, state) {
  if (params.crash) process.exit(3); // ends the inference thread it runs in
  const ms = params.busy_ms ?? state.busyMs;
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // busy
  }
  const x = input.columns.find((c) => c.name === "x").values;
  return Array.from(x, (v) => v * 2);
}
`;

export async function slowModel(parent: string, opts: { busyMs?: number; name?: string } = {}): Promise<string> {
  return xyJsModel(parent, opts.name ?? "slow", SLOW_MODULE, { busy_ms: opts.busyMs ?? 0 }, [
    { name: "busy_ms", type: "long", default: null, shape: null },
    { name: "crash", type: "boolean", default: false, shape: null },
  ]);
}

/**
 * A js_function model of one double column `x` → one double column `y`, from `module`'s source, with `modelConfig`
 * (and the inference params its signature declares, if any).
 */
export async function xyJsModel(parent: string, name: string, module: string, modelConfig: Record<string, unknown>, params?: ParamSpec[]): Promise<string> {
  const src = join(parent, `${name}-src`);
  await mkdir(src, { recursive: true });
  await writeFile(join(src, "model.mjs"), module);
  const dir = join(parent, name);
  await saveModel(
    dir,
    { jsFunction: src },
    {
      signature: {
        inputs: { kind: "columns", columns: [{ name: "x", type: "double", required: true }] },
        outputs: { kind: "columns", columns: [{ name: "y", type: "double", required: true }] },
        ...(params && { params }),
      },
      jsFunction: { modelConfig },
    },
  );
  return dir;
}
