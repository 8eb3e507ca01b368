/**
 * Turns JSON-schema validation errors into MLflow's request-validation wording:
 * "Missing value for required parameter 'x'." and
 * "Invalid value 5 for parameter 'x' supplied. Hint: Value was of type 'int'."
 * @module
 */
import type { FastifySchemaValidationError } from "fastify/types/schema.js";

const SUFFIX = " See the API docs for more information about request parameters.";

/** `/metrics/0/value` → `metrics[0].value` (MLflow 3.x's JSON paths). */
function jsonPath(instancePath: string, extra?: string): string {
  const parts = instancePath.split("/").filter(Boolean);
  if (extra) parts.push(extra);
  let out = "";
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${p}` : p;
  return out;
}

/** The Python type name MLflow's hint shows for a JSON value. */
function pythonType(v: unknown): string {
  if (v === null) return "NoneType";
  if (Array.isArray(v)) return "list";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float";
  if (typeof v === "string") return "str";
  return "dict";
}

export function validationMessage(errors: FastifySchemaValidationError[], context?: string): string {
  const e = errors[0] as FastifySchemaValidationError & { data?: unknown };
  if (!e) return `Invalid request ${context ?? ""}.`;
  if (e.keyword === "required") {
    const missing = (e.params as { missingProperty?: string }).missingProperty ?? "";
    return `Missing value for required parameter '${jsonPath(e.instancePath, missing)}'.${SUFFIX}`;
  }
  const path = jsonPath(e.instancePath) || (context ?? "request");
  if (e.keyword === "minLength" && e.data === "") {
    return `Missing value for required parameter '${path}'.${SUFFIX}`;
  }
  if (e.keyword === "maxItems" || e.keyword === "maxLength" || e.keyword === "maximum" || e.keyword === "minimum") {
    return `Invalid value ${formatValue(e.data)} for parameter '${path}' supplied: ${e.message ?? ""}.${SUFFIX}`;
  }
  return `Invalid value ${formatValue(e.data)} for parameter '${path}' supplied. Hint: Value was of type '${pythonType(e.data)}'.${SUFFIX}`;
}

function formatValue(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    // A value nested thousands deep overflows JSON.stringify; name its type instead.
    s = `<${pythonType(v)}>`;
  }
  return s.length > 200 ? `${s.slice(0, 200)}...` : s;
}
