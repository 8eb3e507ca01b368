/** Request-schema pieces shared by the tracking routes. */
import Type from "typebox";
import { InvalidParameterValueError, missingValue } from "../../shared/errors.js";
import { Int64 } from "../../shared/wire/tracking-wire.js";
import type { Tag, ViewType } from "../../shared/types.js";

/** A required string; MLflow treats "" as missing. */
export const Required = Type.String({ minLength: 1 });
/** MLflow stringifies experiment ids that arrive as numbers. */
export const ExperimentId = Type.Union([Type.String({ minLength: 1 }), Type.Integer()]);
export const KeyValueIn = Type.Object({ key: Type.String(), value: Type.Optional(Type.String()) });
export const KeyValueList = Type.Array(KeyValueIn, { maxItems: 1000 });
const StringList = Type.Array(Type.String(), { maxItems: 1000 });
/** A ViewType by name or number. */
export const ViewTypeIn = Type.Union([Type.String(), Type.Integer()]);
export { Int64 };

/** MLflow compat: run calls carry `run_id`, `run_uuid` (deprecated) or both. */
export const RunIdFields = {
  run_id: Type.Optional(Type.String()),
  run_uuid: Type.Optional(Type.String()),
};

export function runIdOf(req: { run_id?: string; run_uuid?: string }): string {
  const id = req.run_id || req.run_uuid;
  if (!id) throw missingValue("run_id");
  return id;
}

export function toTags(list: Array<{ key: string; value?: string }> | undefined): Tag[] {
  return (list ?? []).map((t) => ({ key: t.key, value: t.value ?? "" }));
}

export function toInt(v: number | string | undefined): number | undefined {
  return v === undefined ? undefined : Number(v);
}

const VIEW_BY_NUMBER: Record<number, ViewType> = { 1: "ACTIVE_ONLY", 2: "DELETED_ONLY", 3: "ALL" };

export function toViewType(v: string | number | undefined, param: string): ViewType | undefined {
  if (v === undefined || v === "") return undefined;
  const s = typeof v === "number" || /^\d+$/.test(v) ? VIEW_BY_NUMBER[Number(v)] : v.toUpperCase();
  if (s === "ACTIVE_ONLY" || s === "DELETED_ONLY" || s === "ALL") return s;
  throw new InvalidParameterValueError(
    `Invalid value ${JSON.stringify(v)} for parameter '${param}' supplied. Valid values are ACTIVE_ONLY, DELETED_ONLY, ALL.`,
  );
}

/** GET search calls may send order_by as one value or repeated keys. */
export function toList(v: string | string[] | undefined): string[] | undefined {
  return v === undefined ? undefined : Array.isArray(v) ? v : [v];
}
