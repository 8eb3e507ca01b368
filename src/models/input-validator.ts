/**
 * Checks a parsed input against a model's input schema and coerces it to the
 * schema's types — the one place every flavor and protocol goes through
 * (MLflow's `_enforce_schema`). Errors are {@link ModelInputError}s
 * (BAD_REQUEST → HTTP 400) naming the column or tensor.
 *
 * Column schema: columns are matched by name, extra ones dropped, result in
 * schema order; tensors are accepted as columns (named 1-d tensors by name; a
 * single unnamed `[n, k]` tensor by position when k equals the column count).
 * Tensor schema: tensors matched by name (a single spec takes a single tensor);
 * data-frame input becomes tensors (named columns for named specs, else all
 * columns stacked into `[n, k]`, like MLflow's `DataFrame.values`). Shapes are
 * checked dimension by dimension (-1 = any).
 * @module
 */
import { flattenNested } from "./input-parser.js";
import { inferColumnValues, inferTensorData, ModelInputError, toColumnValues, toTensorData } from "./input-coercion.js";
import type { ColumnsInput, InputColumn, ModelInput, ModelParams, Tensor, TensorsInput } from "./model-input.js";
import type { ColSpec, ColumnType, ParamSpec, Schema, TensorSpec } from "./model-signature.js";

function listNames(names: string[]): string {
  return `[${names.map((n) => `'${n}'`).join(", ")}]`;
}

/** MLflow's wording; "extra" lists given inputs the schema does not know. */
function missing(need: string[], got: string[], known: string[] = need): ModelInputError {
  const extra = got.filter((g) => !known.includes(g));
  return new ModelInputError(
    `Model is missing inputs ${listNames(need)}.` + (extra.length > 0 ? ` Note that there were extra inputs: ${listNames(extra)}.` : ""),
  );
}

/** A tensor given for a column: one value per row. */
function tensorAsColumn(t: Tensor, name: string): unknown[] | ArrayLike<unknown> {
  if (t.shape.length > 2 || (t.shape.length === 2 && t.shape[1] !== 1)) {
    throw new ModelInputError(`Column '${name}' needs one value per row, but its input has shape [${t.shape.join(", ")}].`);
  }
  return t.data;
}

function columnsFromTensors(input: TensorsInput, specs: ColSpec[]): ColumnsInput {
  const ts = input.tensors;
  if (ts.length === 1 && ts[0].name === undefined) {
    const t = ts[0];
    const rows = t.shape.length === 0 ? 1 : t.shape[0];
    if (specs.length === 1 && t.shape.length <= 1) {
      return { kind: "columns", rowCount: rows, columns: [{ name: specs[0].name ?? "0", values: t.data as unknown[] }] };
    }
    if (t.shape.length === 2 && t.shape[1] === specs.length) {
      // ciclo extension: an unnamed matrix maps to the signature's columns by position.
      const k = specs.length;
      const columns = specs.map((s, c) => {
        const values = new Array<unknown>(rows);
        for (let r = 0; r < rows; r++) values[r] = (t.data as ArrayLike<unknown>)[r * k + c];
        return { name: s.name ?? String(c), values };
      });
      return { kind: "columns", rowCount: rows, columns };
    }
    const err = missing(
      specs.map((s, i) => s.name ?? String(i)),
      [],
    );
    // MLflow's wording alone ("missing inputs ['a', 'b', …]") does not say why a matrix of numbers was not taken.
    const width = t.shape.length === 2 ? `${t.shape[1]} column(s)` : `shape [${t.shape.join(", ")}]`;
    err.message += ` An unnamed matrix is taken by position only with one column per input: this one has ${width}, the signature ${specs.length}.`;
    throw err;
  }
  const columns = ts.map((t, i) => ({ name: t.name ?? String(i), values: tensorAsColumn(t, t.name ?? String(i)) as unknown[] }));
  return { kind: "columns", rowCount: input.rowCount, columns };
}

function validateColumns(input: ModelInput, specs: ColSpec[]): ColumnsInput {
  const cols = input.kind === "columns" ? input : columnsFromTensors(input, specs);
  const byName = new Map(cols.columns.map((c) => [c.name, c]));
  const need = specs.flatMap((s, i) => (s.required && !byName.has(s.name ?? String(i)) ? [s.name ?? String(i)] : []));
  if (need.length > 0) throw missing(need, [...byName.keys()], specs.map((s, i) => s.name ?? String(i)));
  const columns: InputColumn[] = [];
  specs.forEach((s, i) => {
    const name = s.name ?? String(i);
    const col = byName.get(name);
    if (!col) return;
    if (col.values.length !== cols.rowCount) throw new ModelInputError(`Column '${name}' has ${col.values.length} values for ${cols.rowCount} rows.`);
    columns.push({ name, type: s.type, values: toColumnValues(name, s.type, col.values, s.required) });
  });
  return { kind: "columns", rowCount: cols.rowCount, columns };
}

function checkShape(label: string, spec: TensorSpec, shape: number[]): void {
  const ok = spec.shape.length === shape.length && spec.shape.every((d, i) => d === -1 || d === shape[i]);
  if (!ok) {
    throw new ModelInputError(
      `Shape of ${label} [${shape.join(", ")}] does not match the expected shape [${spec.shape.join(", ")}] (-1 = any size).`,
    );
  }
}

function castTensor(t: Tensor, spec: TensorSpec, label: string): Tensor {
  let shape = t.shape;
  // A flat list for a [-1, 1] spec: one value per row.
  if (shape.length === 1 && spec.shape.length === 2 && spec.shape[1] === 1) shape = [shape[0], 1];
  checkShape(label, spec, shape);
  return { ...(spec.name !== undefined ? { name: spec.name } : t.name !== undefined ? { name: t.name } : {}), dtype: spec.dtype, shape, data: toTensorData(label, spec.dtype, t.data) };
}

function columnToTensor(col: InputColumn, rowCount: number): Tensor {
  if (!Array.isArray(col.values)) return { name: col.name, dtype: "object", shape: [rowCount], data: col.values as ArrayLike<unknown> as unknown[] };
  const { shape, data } = flattenNested(col.values, `column '${col.name}'`);
  return { name: col.name, dtype: "object", shape, data };
}

function stackColumns(cols: ColumnsInput): Tensor {
  const k = cols.columns.length;
  const n = cols.rowCount;
  const data = new Array<unknown>(n * k);
  cols.columns.forEach((c, j) => {
    const v = c.values as ArrayLike<unknown>;
    for (let r = 0; r < n; r++) {
      const x = v[r];
      if (Array.isArray(x)) throw new ModelInputError(`Column '${c.name}' holds lists; a single input tensor needs one number per column and row.`);
      data[r * k + j] = x;
    }
  });
  return { dtype: "object", shape: [n, k], data };
}

function validateTensors(input: ModelInput, specs: TensorSpec[]): TensorsInput {
  let given: Tensor[];
  if (input.kind === "columns") {
    const names = new Set(input.columns.map((c) => c.name));
    const named = specs.every((s) => s.name !== undefined && names.has(s.name));
    if (named) given = specs.map((s) => columnToTensor(input.columns.find((c) => c.name === s.name)!, input.rowCount));
    else if (specs.length === 1) {
      const t = stackColumns(input);
      given = [specs[0].shape.length === 1 && t.shape[1] === 1 ? { ...t, shape: [t.shape[0]] } : t];
    } else throw missing(specs.map((s, i) => s.name ?? String(i)), [...names]);
  } else given = input.tensors;

  let tensors: Tensor[];
  if (specs.length === 1 && given.length === 1) {
    const s = specs[0];
    if (s.name !== undefined && given[0].name !== undefined && given[0].name !== s.name) throw missing([s.name], [given[0].name]);
    tensors = [castTensor(given[0], s, `input '${s.name ?? given[0].name ?? "inputs"}'`)];
  } else {
    const byName = new Map(given.map((t, i) => [t.name ?? String(i), t]));
    const need = specs.map((s, i) => s.name ?? String(i)).filter((n) => !byName.has(n));
    if (need.length > 0) throw missing(need, [...byName.keys()], specs.map((s, i) => s.name ?? String(i)));
    tensors = specs.map((s, i) => castTensor(byName.get(s.name ?? String(i))!, s, `input '${s.name ?? i}'`));
  }
  const rowCount = tensors[0].shape.length === 0 ? 1 : tensors[0].shape[0];
  return { kind: "tensors", rowCount, tensors };
}

function inferInput(input: ModelInput): ModelInput {
  if (input.kind === "columns") {
    return { ...input, columns: input.columns.map((c) => (c.type ? c : { name: c.name, values: inferColumnValues(c.values as ArrayLike<unknown>) })) };
  }
  return {
    ...input,
    tensors: input.tensors.map((t) => {
      if (t.dtype !== "object") return t;
      const { dtype, data } = inferTensorData(`input '${t.name ?? "inputs"}'`, t.data as ArrayLike<unknown>);
      return { ...t, dtype, data };
    }),
  };
}

/**
 * Parsed input → input checked against `schema` and coerced to its types
 * (without a schema: numbers become Float64Arrays, the rest is kept).
 */
export function validateInput(input: ModelInput, schema: Schema | undefined): ModelInput {
  if (!schema) return inferInput(input);
  return schema.kind === "columns" ? validateColumns(input, schema.columns) : validateTensors(input, schema.tensors);
}

function paramValue(spec: ParamSpec, v: unknown): unknown {
  const conv = (x: unknown): unknown => {
    const out = toColumnValues(spec.name, spec.type as ColumnType, [x], true);
    return spec.type === "long" || spec.type === "double" || spec.type === "float" || spec.type === "integer"
      ? (out as Float64Array)[0]
      : (out as unknown[])[0];
  };
  try {
    if (spec.shape && spec.shape.length > 0) {
      if (!Array.isArray(v)) throw new ModelInputError(`value ${JSON.stringify(v)} is not a list`);
      return v.map(conv);
    }
    return conv(v);
  } catch (err) {
    const why = (err as Error).message.replace(/^Incompatible input types for column '[^']*' \([^)]*\): /, "");
    throw new ModelInputError(`Invalid value for param '${spec.name}' (${spec.type}${spec.shape ? ", a list" : ""}): ${why}`);
  }
}

/**
 * Request params checked against the params schema, defaults filled in. Params
 * the schema does not declare are dropped (MLflow ignores them with a warning);
 * without a params schema they are passed through as given.
 */
export function validateParams(params: ModelParams | undefined, specs: ParamSpec[] | undefined): ModelParams {
  if (!specs) return params ?? {};
  const out: ModelParams = {};
  for (const s of specs) {
    const given = params?.[s.name];
    out[s.name] = given === undefined || given === null ? s.default : paramValue(s, given);
  }
  return out;
}
