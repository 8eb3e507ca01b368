/**
 * Assessments and trace–run links over SQL (migration 0025), for the
 * SqlTraceStore: rows ↔ domain, and the statements that run inside its
 * transactions. Values, errors and metadata are JSON text, as MLflow keeps them.
 * @module
 */
import type { Kysely, Selectable } from "kysely";
import { ResourceAlreadyExistsError, ResourceDoesNotExistError } from "../../../shared/errors.js";
import type { Assessment, AssessmentError, AssessmentSourceType, JsonValue } from "../../../tracking/traces/index.js";
import type { Database } from "../schema.js";
import { isUniqueViolation } from "../sql-errors.js";

type Db = Kysely<Database>;
type Row = Selectable<Database["assessments"]>;

export function traceNotFound(traceId: string): ResourceDoesNotExistError {
  return new ResourceDoesNotExistError(`Trace with ID '${traceId}' not found.`);
}

function assessmentNotFound(traceId: string, assessmentId: string): ResourceDoesNotExistError {
  return new ResourceDoesNotExistError(`Assessment with ID '${assessmentId}' not found for trace '${traceId}'`);
}

function errorFromJson(text: string | null): AssessmentError | null {
  if (text === null) return null;
  const e = JSON.parse(text) as Record<string, string | undefined>;
  return { errorCode: e.error_code ?? null, errorMessage: e.error_message ?? null, stackTrace: e.stack_trace ?? null };
}

function errorToJson(e: AssessmentError | null): string | null {
  if (!e) return null;
  return JSON.stringify({ error_code: e.errorCode ?? undefined, error_message: e.errorMessage ?? undefined, stack_trace: e.stackTrace ?? undefined });
}

export function toAssessment(r: Row): Assessment {
  return {
    assessmentId: r.assessment_id,
    traceId: r.trace_id,
    name: r.name,
    kind: r.assessment_type === "expectation" ? "expectation" : "feedback",
    value: JSON.parse(r.value) as JsonValue,
    error: errorFromJson(r.error),
    sourceType: r.source_type as AssessmentSourceType,
    sourceId: r.source_id,
    createTime: Number(r.created_timestamp),
    lastUpdateTime: Number(r.last_updated_timestamp),
    runId: r.run_id,
    spanId: r.span_id,
    rationale: r.rationale,
    overrides: r.overrides,
    valid: Number(r.valid) === 1,
    metadata: r.assessment_metadata === null ? {} : (JSON.parse(r.assessment_metadata) as Record<string, string>),
  };
}

function toRow(a: Assessment): Row {
  return {
    assessment_id: a.assessmentId,
    trace_id: a.traceId,
    name: a.name,
    assessment_type: a.kind,
    value: JSON.stringify(a.value),
    error: errorToJson(a.error),
    created_timestamp: a.createTime,
    last_updated_timestamp: a.lastUpdateTime,
    source_type: a.sourceType,
    source_id: a.sourceId,
    run_id: a.runId,
    span_id: a.spanId,
    rationale: a.rationale,
    overrides: a.overrides,
    valid: a.valid ? 1 : 0,
    assessment_metadata: Object.keys(a.metadata).length > 0 ? JSON.stringify(a.metadata) : null,
  };
}

/** The assessments of some traces, oldest first, by trace. */
export async function loadAssessments(db: Db, traceIds: string[]): Promise<Map<string, Assessment[]>> {
  const byTrace = new Map<string, Assessment[]>();
  if (traceIds.length === 0) return byTrace;
  const rows = await db
    .selectFrom("assessments")
    .selectAll()
    .where("trace_id", "in", traceIds)
    .orderBy("trace_id")
    .orderBy("created_timestamp")
    .orderBy("assessment_id")
    .execute();
  for (const r of rows) {
    const list = byTrace.get(r.trace_id) ?? [];
    list.push(toAssessment(r));
    byTrace.set(r.trace_id, list);
  }
  return byTrace;
}

/** Inserts assessments (a new trace's, or one created); a taken id is RESOURCE_ALREADY_EXISTS. */
export async function insertAssessments(trx: Db, list: Assessment[]): Promise<void> {
  for (let i = 0; i < list.length; i += 200) {
    try {
      await trx.insertInto("assessments").values(list.slice(i, i + 200).map(toRow)).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new ResourceAlreadyExistsError(`An assessment with one of the IDs ${list.slice(i, i + 3).map((a) => `'${a.assessmentId}'`).join(", ")} already exists.`);
      throw err;
    }
  }
}

async function traceExists(db: Db, traceId: string): Promise<boolean> {
  return (await db.selectFrom("trace_info").select("request_id").where("request_id", "=", traceId).executeTakeFirst()) !== undefined;
}

/** Marks the assessment `a` overrides invalid; RESOURCE_DOES_NOT_EXIST when its trace has no such assessment. */
async function markOverridden(trx: Db, a: Assessment): Promise<void> {
  if (!a.overrides) return;
  const r = await trx
    .updateTable("assessments")
    .set({ valid: 0 })
    .where("trace_id", "=", a.traceId)
    .where("assessment_id", "=", a.overrides)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) throw assessmentNotFound(a.traceId, a.overrides);
}

export async function createAssessment(trx: Db, a: Assessment): Promise<void> {
  if (!(await traceExists(trx, a.traceId))) throw traceNotFound(a.traceId);
  await markOverridden(trx, a);
  await insertAssessments(trx, [a]);
}

/**
 * A new trace's assessments (StartTraceV3's): inserted, then each override marks the one it replaces invalid, as
 * CreateAssessment does — the replaced one travels in the same start (a new trace has no other).
 */
export async function insertStartAssessments(trx: Db, list: Assessment[]): Promise<void> {
  await insertAssessments(trx, list);
  for (const a of list) await markOverridden(trx, a);
}

export async function getAssessment(db: Db, traceId: string, assessmentId: string): Promise<Assessment> {
  const row = await db.selectFrom("assessments").selectAll().where("trace_id", "=", traceId).where("assessment_id", "=", assessmentId).executeTakeFirst();
  if (row) return toAssessment(row);
  // MLflow compat: which of the two is missing is named.
  if (!(await traceExists(db, traceId))) throw traceNotFound(traceId);
  throw assessmentNotFound(traceId, assessmentId);
}

export async function updateAssessment(trx: Db, traceId: string, assessmentId: string, apply: (stored: Assessment) => Assessment): Promise<Assessment> {
  const next = apply(await getAssessment(trx, traceId, assessmentId));
  const row = toRow(next);
  await trx
    .updateTable("assessments")
    .set({
      name: row.name,
      value: row.value,
      error: row.error,
      last_updated_timestamp: row.last_updated_timestamp,
      rationale: row.rationale,
      assessment_metadata: row.assessment_metadata,
    })
    .where("trace_id", "=", traceId)
    .where("assessment_id", "=", assessmentId)
    .execute();
  return next;
}

export async function deleteAssessment(trx: Db, traceId: string, assessmentId: string): Promise<void> {
  const row = await trx.selectFrom("assessments").select("overrides").where("trace_id", "=", traceId).where("assessment_id", "=", assessmentId).executeTakeFirst();
  if (!row) return;
  if (row.overrides) {
    await trx.updateTable("assessments").set({ valid: 1 }).where("trace_id", "=", traceId).where("assessment_id", "=", row.overrides).execute();
  }
  await trx.deleteFrom("assessments").where("trace_id", "=", traceId).where("assessment_id", "=", assessmentId).execute();
}

export async function linkTracesToRun(trx: Db, traceIds: string[], runId: string, now: number): Promise<void> {
  const unique = [...new Set(traceIds)];
  if (unique.length === 0) return;
  const found = new Set((await trx.selectFrom("trace_info").select("request_id").where("request_id", "in", unique).execute()).map((r) => r.request_id));
  const missing = unique.find((id) => !found.has(id));
  if (missing !== undefined) throw traceNotFound(missing);
  await trx
    .insertInto("trace_run_links")
    .values(unique.map((request_id) => ({ run_id: runId, request_id, created_time: now })))
    .onConflict((oc) => oc.columns(["run_id", "request_id"]).doNothing())
    .execute();
}

/** Deletes the assessments and run links of some traces (before the traces themselves). */
export async function deleteTraceChildren(trx: Db, traceIds: string[]): Promise<void> {
  await trx.deleteFrom("assessments").where("trace_id", "in", traceIds).execute();
  await trx.deleteFrom("trace_run_links").where("request_id", "in", traceIds).execute();
}
