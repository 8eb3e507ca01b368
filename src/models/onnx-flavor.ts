/**
 * The `onnx` flavor, run by onnxruntime-node (loaded lazily, so js_function
 * users never load the native runtime).
 *
 * MLmodel entry, as `mlflow.onnx.save_model` writes it:
 * ```yaml
 * onnx: {code: null, data: model.onnx, onnx_version: 1.12.0, providers: [CPUExecutionProvider]}
 * ```
 * One warm `InferenceSession` per loaded model. Feeds follow MLflow's
 * `_OnnxModelWrapper.predict`: named tensors go to the inputs of the same
 * name (a single tensor to a single-input model whatever its name); a data
 * frame is stacked into the only input, or split by column name for
 * multi-input models; float64 is cast to the input's float32 (MLflow issue
 * #1286). Data-frame input answers with one column per output, tensor input
 * with named tensors — what MLflow returns for the same model.
 *
 * Only tensor outputs are computed: ZipMap (sequence-of-map) outputs are
 * skipped, and naming one in `outputNames` is refused (export classifiers
 * with `zipmap=False`).
 * @module
 */
import { join } from "node:path";
import type * as Ort from "onnxruntime-node";
import { InvalidParameterValueError, MlflowError } from "../shared/errors.js";
import { ModelInputError, toTensorData } from "./input-coercion.js";
import type { OnnxLoadOptions } from "./loaded-model.js";
import type { ColumnsInput, ModelInput, Tensor, TensorData } from "./model-input.js";
import type { ModelOutput, OutputColumn } from "./model-output.js";
import type { TensorDtype, TensorSpec } from "./model-signature.js";

type OrtModule = typeof Ort;
let ortModule: Promise<OrtModule> | undefined;

/** onnxruntime-node, imported on first use. */
function loadOrt(): Promise<OrtModule> {
  ortModule ??= import("onnxruntime-node").then(
    (m) => ((m as unknown as { default?: OrtModule }).default ?? m) as OrtModule,
    (err: NodeJS.ErrnoException) => {
      ortModule = undefined; // installing it later in the same process works
      if (err.code !== "ERR_MODULE_NOT_FOUND") throw err;
      // An optional peer dependency of ciclo and @ciclo/sdk: a project adds it when it runs ONNX models.
      throw new MlflowError(
        "Running an ONNX model needs the onnxruntime-node package, which is not installed. Install it next to ciclo with " +
          "`ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm i onnxruntime-node` (the variable skips its CUDA download; drop it for GPU hosts).",
        "NOT_IMPLEMENTED",
      );
    },
  );
  return ortModule;
}

const ORT_TO_NUMPY: Record<string, TensorDtype> = {
  float32: "float32",
  float64: "float64",
  float16: "float16",
  int8: "int8",
  int16: "int16",
  int32: "int32",
  int64: "int64",
  uint8: "uint8",
  uint16: "uint16",
  uint32: "uint32",
  uint64: "uint64",
  bool: "bool",
  string: "str",
};

export interface OnnxRunner {
  /** The model's inputs as tensor specs (-1 for symbolic dimensions). */
  readonly inputs: TensorSpec[];
  /** Tensor outputs that will be computed. */
  readonly outputNames: string[];
  /** Those outputs as tensor specs. */
  readonly outputs: TensorSpec[];
  /** Non-tensor outputs left out (ZipMap etc.). */
  readonly skippedOutputs: string[];
  predict(input: ModelInput): Promise<ModelOutput>;
  close(): Promise<void>;
}

function toSpec(meta: Ort.InferenceSession.ValueMetadata): TensorSpec {
  if (!meta.isTensor) throw new InvalidParameterValueError(`ONNX value '${meta.name}' is not a tensor; ciclo handles tensors only.`);
  const dtype = ORT_TO_NUMPY[meta.type];
  if (!dtype) throw new InvalidParameterValueError(`ONNX value '${meta.name}' has element type ${meta.type}, which ciclo cannot handle.`);
  return { name: meta.name, dtype, shape: meta.shape.map((d) => (typeof d === "number" && d >= 0 ? d : -1)) };
}

function pickOutputs(metas: readonly Ort.InferenceSession.ValueMetadata[], wanted: string[] | undefined): { names: string[]; skipped: string[] } {
  const tensor = metas.filter((m) => m.isTensor).map((m) => m.name);
  const skipped = metas.filter((m) => !m.isTensor).map((m) => m.name);
  if (wanted) {
    for (const w of wanted) {
      if (skipped.includes(w)) {
        throw new InvalidParameterValueError(
          `ONNX output '${w}' is not a tensor (a ZipMap or sequence output); onnxruntime-node cannot return it. ` +
            `Request tensor outputs only (${tensor.join(", ") || "none"}), or export the classifier without ZipMap (skl2onnx options={'zipmap': False}).`,
        );
      }
      if (!tensor.includes(w)) throw new InvalidParameterValueError(`ONNX model has no output '${w}' (outputs: ${metas.map((m) => m.name).join(", ")}).`);
    }
    return { names: wanted, skipped };
  }
  if (tensor.length === 0) {
    throw new InvalidParameterValueError(
      `ONNX model has no tensor outputs (only ${skipped.join(", ")}): export it without ZipMap (skl2onnx options={'zipmap': False}).`,
    );
  }
  return { names: tensor, skipped };
}

function stack(cols: ColumnsInput): unknown[] | Float64Array {
  const k = cols.columns.length;
  const n = cols.rowCount;
  const out = new Float64Array(n * k);
  let numeric = true;
  for (let j = 0; j < k && numeric; j++) {
    const v = cols.columns[j].values;
    if (!(v instanceof Float64Array || v instanceof Float32Array || v instanceof Int32Array)) {
      numeric = false;
      break;
    }
    for (let r = 0; r < n; r++) out[r * k + j] = v[r];
  }
  if (numeric) return out;
  const generic = new Array<unknown>(n * k);
  cols.columns.forEach((c, j) => {
    for (let r = 0; r < n; r++) generic[r * k + j] = (c.values as ArrayLike<unknown>)[r];
  });
  return generic;
}

/** Shape for `rows` rows of an input spec (-1 dims after the first are taken from `width`). */
function rowShape(spec: TensorSpec, rows: number, width: number): number[] {
  if (spec.shape.length <= 1) return [rows];
  const rest = spec.shape.slice(1).map((d) => (d === -1 ? 1 : d));
  const fixed = rest.reduce((a, b) => a * b, 1);
  if (spec.shape.length === 2) return [rows, width];
  if (fixed !== width) throw new ModelInputError(`ONNX input '${spec.name}' needs ${fixed} values per row; got ${width}.`);
  return [rows, ...rest];
}

function feedsFor(input: ModelInput, specs: TensorSpec[]): Tensor[] {
  if (input.kind === "tensors") {
    if (specs.length === 1 && input.tensors.length === 1) return [{ ...input.tensors[0], name: specs[0].name }];
    const byName = new Map(input.tensors.map((t) => [t.name, t]));
    return specs.map((s) => {
      const t = byName.get(s.name);
      if (!t) throw new ModelInputError(`ONNX input '${s.name}' is missing (inputs given: ${[...byName.keys()].join(", ") || "one unnamed tensor"}).`);
      return t;
    });
  }
  if (specs.length === 1) {
    const k = input.columns.length;
    return [{ name: specs[0].name, dtype: "float64", shape: rowShape(specs[0], input.rowCount, k), data: stack(input) as TensorData }];
  }
  return specs.map((s) => {
    const col = input.columns.find((c) => c.name === s.name);
    if (!col) throw new ModelInputError(`ONNX input '${s.name}' is missing: no column of that name (columns: ${input.columns.map((c) => c.name).join(", ")}).`);
    return { name: s.name, dtype: "float64", shape: rowShape(s, input.rowCount, 1), data: col.values as TensorData };
  });
}

function toOrtTensor(ort: OrtModule, t: Tensor, spec: TensorSpec): Ort.Tensor {
  let data: unknown = toTensorData(`input '${spec.name}'`, spec.dtype, t.data as ArrayLike<unknown>);
  const type = spec.dtype === "str" || spec.dtype === "object" || spec.dtype === "bytes" ? "string" : spec.dtype;
  if (type === "bool") data = Uint8Array.from(data as boolean[], (b) => (b ? 1 : 0));
  return new ort.Tensor(type as "float32", data as Float32Array, t.shape);
}

function fromOrt(name: string, v: Ort.Tensor): Tensor {
  let data = v.data as TensorData;
  const dtype = ORT_TO_NUMPY[v.type] ?? "float32";
  if (dtype === "bool") data = Array.from(v.data as Uint8Array, (b) => b !== 0);
  return { name, dtype, shape: [...v.dims], data };
}

export async function loadOnnxRunner(dir: string, flavorConf: Record<string, unknown>, options: OnnxLoadOptions = {}): Promise<OnnxRunner> {
  const ort = await loadOrt();
  const file = typeof flavorConf.data === "string" ? flavorConf.data : "model.onnx";
  const session = await ort.InferenceSession.create(join(dir, file), {
    executionProviders: ["cpu"],
    intraOpNumThreads: options.intraOpNumThreads ?? 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
  });
  const inputs = session.inputMetadata.map(toSpec);
  const { names: outputNames, skipped } = pickOutputs(session.outputMetadata, options.outputNames);
  const outputs = outputNames.map((n) => toSpec(session.outputMetadata.find((m) => m.name === n)!));
  return {
    inputs,
    outputNames,
    outputs,
    skippedOutputs: skipped,
    async predict(input: ModelInput): Promise<ModelOutput> {
      const feeds: Record<string, Ort.Tensor> = {};
      feedsFor(input, inputs).forEach((t, i) => {
        feeds[inputs[i].name!] = toOrtTensor(ort, t, inputs[i]);
      });
      let results: Ort.InferenceSession.ReturnType;
      try {
        results = await session.run(feeds, outputNames);
      } catch (err) {
        // ORT's shape/type complaints are about the request, not the server.
        throw new ModelInputError(`Encountered an unexpected error while evaluating the model: ${(err as Error).message}`);
      }
      const outs = outputNames.map((n) => fromOrt(n, results[n] as Ort.Tensor));
      if (input.kind === "columns") {
        const rows = input.rowCount;
        const columns: OutputColumn[] = outs.map((t) => ({ name: t.name!, data: t.data, width: rows === 0 ? 1 : t.data.length / rows }));
        return { kind: "columns", rowCount: rows, columns };
      }
      return { kind: "tensors", rowCount: input.rowCount, tensors: outs };
    },
    async close(): Promise<void> {
      await session.release();
    },
  };
}
