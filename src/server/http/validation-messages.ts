/**
 * Turns JSON-schema validation errors into MLflow's request-validation wording:
 * "Missing value for required parameter 'x'." and
 * "Invalid value 5 for parameter 'x' supplied. Hint: Value was of type 'int'.",
 * the value printed as Python prints it (`foo`, `9.0`, `['a']`).
 * @module
 */
import type { FastifySchemaValidationError } from "fastify/types/schema.js";
import { isFloatToken, pythonStr, pythonTypeName, rawNumberAt } from "./python-format.js";

const SUFFIX = " See the API docs for more information about request parameters.";

/** `/metrics/0/value` → `metrics[0].value` (MLflow 3.x's JSON paths). */
function jsonPath(instancePath: string, extra?: string): string {
  const parts = instancePath.split("/").filter(Boolean);
  if (extra) parts.push(extra);
  let out = "";
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${p}` : p;
  return out;
}

/** `rawBody`, the request's JSON text, tells `9.0` from `9`. */
export function validationMessage(errors: FastifySchemaValidationError[], context?: string, rawBody?: string): string {
  const e = errors[0] as FastifySchemaValidationError & { data?: unknown };
  if (!e) return `Invalid request ${context ?? ""}.`;
  if (e.keyword === "required") {
    const missing = (e.params as { missingProperty?: string }).missingProperty ?? "";
    return missingMessage(e.instancePath, missing, rawBody);
  }
  const path = jsonPath(e.instancePath) || (context ?? "request");
  // MLflow compat: a JSON null is an unset proto field, so a required one is "missing".
  if (e.data === null) return missingMessage(e.instancePath, "", rawBody);
  const isFloat = typeof e.data === "number" && rawBody !== undefined && isFloatToken(rawNumberAt(rawBody, e.instancePath));
  if (e.keyword === "minLength" && e.data === "") return missingMessage(e.instancePath, "", rawBody);
  if (e.keyword === "maxItems" || e.keyword === "maxLength" || e.keyword === "maximum" || e.keyword === "minimum") {
    return `Invalid value ${formatValue(e.data, isFloat)} for parameter '${path}' supplied: ${e.message ?? ""}.${SUFFIX}`;
  }
  return `Invalid value ${formatValue(e.data, isFloat)} for parameter '${path}' supplied. Hint: Value was of type '${pythonTypeName(e.data, isFloat)}'.${SUFFIX}`;
}

/**
 * "Missing value for required parameter 'x'." A field missing inside a list (`metrics[0].timestamp`, MLflow
 * 3.x's wording) is also reported the way MLflow 2.x words it, as an invalid value of the whole list
 * ("Invalid value [{'key': 'mae', 'value': 2.5}] for parameter 'metrics' supplied"), so that both
 * generations' clients and tests find their text.
 */
function missingMessage(instancePath: string, missing: string, rawBody: string | undefined): string {
  const path = jsonPath(instancePath, missing || undefined);
  const missingText = `Missing value for required parameter '${path}'.`;
  const top = instancePath.split("/").filter(Boolean)[0];
  if (top === undefined || rawBody === undefined || !/[[.]/.test(path)) return `${missingText}${SUFFIX}`;
  let whole: unknown;
  try {
    whole = (JSON.parse(rawBody) as Record<string, unknown>)[top.replace(/~1/g, "/").replace(/~0/g, "~")];
  } catch {
    return `${missingText}${SUFFIX}`;
  }
  const hint = `Hint: Value was of type '${pythonTypeName(whole)}'.`;
  return `Invalid value ${formatValue(whole, false)} for parameter '${top}' supplied. ${hint} ${missingText}${SUFFIX}`;
}

function formatValue(v: unknown, isFloat: boolean): string {
  const s = pythonStr(v, isFloat);
  return s.length > 200 ? `${s.slice(0, 200)}...` : s;
}
