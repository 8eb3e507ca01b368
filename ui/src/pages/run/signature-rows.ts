/**
 * An MLmodel signature's schemas (JSON strings in MLflow's format) as table
 * rows with a label for every column: inputs and outputs as name, type,
 * shape and optional; inference params as name, type, default and shape.
 * Column specs (`{"type": "double", "name": "x", "required": false}`, with
 * `array` / `object` / `map` types nested), tensor specs (`{"type":
 * "tensor", "tensor-spec": {"dtype", "shape"}}`) and params are read. Pure.
 */

export const SCHEMA_COLUMNS = ["Name", "Type", "Shape", "Optional"];
export const PARAM_COLUMNS = ["Name", "Type", "Default", "Shape"];

interface TypeSpec {
  type?: string;
  items?: TypeSpec;
  properties?: Record<string, TypeSpec & { required?: boolean }>;
  values?: TypeSpec;
}

interface SchemaEntry extends TypeSpec {
  name?: string;
  required?: boolean;
  "tensor-spec"?: { dtype?: string; shape?: number[] };
  default?: unknown;
  shape?: number[] | null;
}

/** `double`, `array<string>`, `object{a: long, b?: string}`, `map<string, double>`. */
export function typeName(t: TypeSpec | undefined): string {
  if (!t || typeof t.type !== "string") return "?";
  switch (t.type) {
    case "array":
      return `array<${typeName(t.items)}>`;
    case "map":
      return `map<string, ${typeName(t.values)}>`;
    case "object": {
      const props = Object.entries(t.properties ?? {}).map(([k, p]) => `${k}${p.required === false ? "?" : ""}: ${typeName(p)}`);
      return `object{${props.join(", ")}}`;
    }
    default:
      return t.type;
  }
}

const shapeText = (shape: number[] | null | undefined) => (Array.isArray(shape) ? `(${shape.join(", ")})` : "—");

function parse(json: string | undefined): SchemaEntry[] | string | undefined {
  if (!json) return undefined;
  try {
    const v = JSON.parse(json) as unknown;
    return Array.isArray(v) ? (v as SchemaEntry[]) : json;
  } catch {
    return json;
  }
}

/** Rows of an inputs or outputs schema; a schema that is not MLflow's JSON is shown as one row of its text. */
export function schemaRows(json: string | undefined): string[][] | undefined {
  const entries = parse(json);
  if (entries === undefined) return undefined;
  if (typeof entries === "string") return [[entries, "", "", ""]];
  return entries.map((e, i) => {
    const name = e.name ?? `#${i}`;
    if (e.type === "tensor") {
      const spec = e["tensor-spec"] ?? {};
      return [name, `tensor (${spec.dtype ?? "?"})`, shapeText(spec.shape), "no"];
    }
    return [name, typeName(e), "—", e.required === false ? "yes" : "no"];
  });
}

/** Rows of the inference params schema (`signature.params`). */
export function paramRows(json: string | undefined): string[][] | undefined {
  const entries = parse(json);
  if (entries === undefined) return undefined;
  if (typeof entries === "string") return [[entries, "", "", ""]];
  return entries.map((e, i) => [e.name ?? `#${i}`, typeName(e), e.default === undefined || e.default === null ? "—" : JSON.stringify(e.default), shapeText(e.shape)]);
}
