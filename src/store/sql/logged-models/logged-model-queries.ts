/**
 * Logged-model queries of the SQL store: create, read (with params, tags and
 * the metric points logged with the model's id), delete, finalize, tags and
 * params. Search lives in `logged-model-search.ts`.
 * @module
 */
import { loggedModelNotFound } from "../sql-errors.js";
import type { Kysely, Selectable } from "kysely";
import { InvalidParameterValueError, ResourceDoesNotExistError } from "../../../shared/errors.js";
import {
  MODEL_VERSIONS_TAG,
  type CreateLoggedModelInput,
  type LoggedModel,
  type LoggedModelMetric,
  type LoggedModelStatus,
} from "../../../logged-models/types.js";
import { appendModelVersion } from "../../../logged-models/model-versions-tag.js";
import type { Param } from "../../../shared/tracking-types.js";
import type { Tag } from "../../../shared/types.js";
import { activeExperiment, appendToUri, dedupeTags } from "../tracking/experiment-queries.js";
import { runNotFound } from "../tracking/run-queries.js";
import type { Database, LoggedModelsTable } from "../schema.js";
import { newTimeOrderedId } from "../../../shared/node/time-ordered-id.js";

type Db = Kysely<Database>;
export type LoggedModelRow = Selectable<LoggedModelsTable>;


/** Reads a model row in any lifecycle stage (writes to a deleted model are allowed, as in MLflow). */
export async function getLoggedModelRow(db: Db, modelId: string): Promise<LoggedModelRow> {
  const row = await db.selectFrom("logged_models").selectAll().where("model_id", "=", modelId).executeTakeFirst();
  if (!row) throw loggedModelNotFound(modelId);
  return row;
}

/** Runs inside a write transaction. */
export async function createLoggedModel(trx: Db, input: CreateLoggedModelInput, now: number): Promise<LoggedModelRow> {
  const exp = await activeExperiment(trx, input.experimentId);
  if (input.sourceRunId) {
    const run = await trx.selectFrom("runs").select("id").where("run_uuid", "=", input.sourceRunId).executeTakeFirst();
    if (!run) throw runNotFound(input.sourceRunId);
  }
  // MLflow's shape (`m-` and 32 hex digits), time-ordered: the id keys `logged_models`.
  const modelId = `m-${newTimeOrderedId(now)}`;
  const row: LoggedModelRow = {
    model_id: modelId,
    experiment_id: exp.experiment_id,
    name: input.name,
    model_type: input.modelType,
    source_run_id: input.sourceRunId,
    status: "LOGGED_MODEL_PENDING",
    status_message: null,
    artifact_uri: appendToUri(exp.artifact_location, `models/${modelId}/artifacts`),
    creator: input.creator ?? null,
    lifecycle_stage: "active",
    creation_timestamp_ms: now,
    last_updated_timestamp_ms: now,
  };
  await trx.insertInto("logged_models").values(row).execute();
  if (input.params.length > 0) {
    await trx
      .insertInto("logged_model_params")
      .values(input.params.map((p) => ({ model_id: modelId, key: p.key, value: p.value })))
      .execute();
  }
  const tags = dedupeTags(input.tags);
  if (tags.length > 0) {
    await trx
      .insertInto("logged_model_tags")
      .values(tags.map((t) => ({ model_id: modelId, key: t.key, value: t.value })))
      .execute();
  }
  return row;
}

function byKey(a: { key: string }, b: { key: string }): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/**
 * Loads the params, tags and metrics of many models with one query per table.
 * Metrics are every point logged with the model's id, in (key, step, timestamp)
 * order, each with the run that logged it (MLflow's `data.metrics`).
 */
export async function loadLoggedModels(db: Db, rows: LoggedModelRow[]): Promise<LoggedModel[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.model_id);
  const [params, tags, metrics] = await Promise.all([
    db.selectFrom("logged_model_params").select(["model_id", "key", "value"]).where("model_id", "in", ids).execute(),
    db.selectFrom("logged_model_tags").select(["model_id", "key", "value"]).where("model_id", "in", ids).execute(),
    db
      .selectFrom("metrics as m")
      .innerJoin("runs as r", "r.id", "m.run_id")
      .select([
        "m.model_id",
        "m.key",
        "m.value",
        "m.is_nan",
        "m.timestamp",
        "m.step",
        "m.dataset_name",
        "m.dataset_digest",
        "r.run_uuid",
      ])
      .where("m.model_id", "in", ids)
      .orderBy("m.model_id")
      .orderBy("m.key")
      .orderBy("m.step")
      .orderBy("m.timestamp")
      .orderBy("r.run_uuid")
      .execute(),
  ]);
  const byId = new Map<string, LoggedModel>();
  const out = rows.map((r) => {
    const model: LoggedModel = { info: toInfo(r), data: { params: [], metrics: [] } };
    byId.set(r.model_id, model);
    return model;
  });
  for (const p of params) byId.get(p.model_id)!.data.params.push({ key: p.key, value: p.value });
  for (const t of tags) byId.get(t.model_id)!.info.tags.push({ key: t.key, value: t.value });
  for (const m of metrics) {
    byId.get(m.model_id!)!.data.metrics.push({
      key: m.key,
      value: m.is_nan ? NaN : Number(m.value),
      timestamp: Number(m.timestamp),
      step: Number(m.step),
      modelId: m.model_id,
      datasetName: m.dataset_name,
      datasetDigest: m.dataset_digest,
      runId: m.run_uuid,
    } satisfies LoggedModelMetric);
  }
  for (const model of out) {
    model.data.params.sort(byKey);
    model.info.tags.sort(byKey);
  }
  return out;
}

function toInfo(r: LoggedModelRow): LoggedModel["info"] {
  return {
    modelId: r.model_id,
    experimentId: String(r.experiment_id),
    name: r.name,
    creationTimestampMs: Number(r.creation_timestamp_ms),
    lastUpdatedTimestampMs: Number(r.last_updated_timestamp_ms),
    artifactUri: r.artifact_uri,
    status: r.status as LoggedModelStatus,
    modelType: r.model_type,
    sourceRunId: r.source_run_id,
    statusMessage: r.status_message,
    creator: r.creator,
    lifecycleStage: r.lifecycle_stage as "active" | "deleted",
    tags: [],
  };
}

async function touch(trx: Db, modelId: string, now: number, set: Partial<LoggedModelRow> = {}): Promise<void> {
  await trx
    .updateTable("logged_models")
    .set({ ...set, last_updated_timestamp_ms: now })
    .where("model_id", "=", modelId)
    .execute();
}

export async function deleteLoggedModel(trx: Db, modelId: string, now: number): Promise<void> {
  await getLoggedModelRow(trx, modelId);
  await touch(trx, modelId, now, { lifecycle_stage: "deleted" });
}

export async function finalizeLoggedModel(
  trx: Db,
  modelId: string,
  status: LoggedModelStatus,
  statusMessage: string | null,
  now: number,
): Promise<LoggedModelRow> {
  const row = await getLoggedModelRow(trx, modelId);
  const set = { status, status_message: statusMessage };
  await touch(trx, modelId, now, set);
  return { ...row, ...set, last_updated_timestamp_ms: now };
}

export async function setLoggedModelTags(trx: Db, modelId: string, tags: Tag[], now: number): Promise<void> {
  await getLoggedModelRow(trx, modelId);
  const unique = dedupeTags(tags);
  if (unique.length === 0) return;
  await trx
    .insertInto("logged_model_tags")
    .values(unique.map((t) => ({ model_id: modelId, key: t.key, value: t.value })))
    .onConflict((oc) => oc.columns(["model_id", "key"]).doUpdateSet((eb) => ({ value: eb.ref("excluded.value") })))
    .execute();
  await touch(trx, modelId, now);
}

export async function deleteLoggedModelTag(trx: Db, modelId: string, key: string, now: number): Promise<void> {
  await getLoggedModelRow(trx, modelId);
  const res = await trx.deleteFrom("logged_model_tags").where("model_id", "=", modelId).where("key", "=", key).executeTakeFirst();
  if (Number(res.numDeletedRows) === 0) {
    throw new ResourceDoesNotExistError(`No tag with key '${key}' found for model with ID '${modelId}'.`);
  }
  await touch(trx, modelId, now);
}

/** Params are immutable: a key logged again with the same value is skipped, with another value refused. */
export async function logLoggedModelParams(trx: Db, modelId: string, params: Param[], now: number): Promise<void> {
  await getLoggedModelRow(trx, modelId);
  if (params.length === 0) return;
  const existing = await trx
    .selectFrom("logged_model_params")
    .select(["key", "value"])
    .where("model_id", "=", modelId)
    .where(
      "key",
      "in",
      params.map((p) => p.key),
    )
    .execute();
  const old = new Map(existing.map((p) => [p.key, p.value]));
  const changed = params.filter((p) => old.has(p.key) && old.get(p.key) !== p.value);
  if (changed.length > 0) {
    const p = changed[0];
    throw new InvalidParameterValueError(
      `Changing param values is not allowed. Param with key='${p.key}' was already logged with ` +
        `value='${old.get(p.key)}' for logged model ID='${modelId}'. Attempted logging new value '${p.value}'.`,
    );
  }
  const fresh = params.filter((p) => !old.has(p.key));
  if (fresh.length === 0) return;
  await trx
    .insertInto("logged_model_params")
    .values(fresh.map((p) => ({ model_id: modelId, key: p.key, value: p.value })))
    .execute();
  await touch(trx, modelId, now);
}

/**
 * Appends `{"name", "version"}` to `mlflow.modelVersions` inside one write
 * transaction. The model row is updated before the tag is read: on PostgreSQL
 * that row lock makes concurrent registrations of one model wait for each
 * other, so every append lands (SQLite serialises writers anyway).
 */
export async function recordModelVersion(trx: Db, modelId: string, name: string, version: string, now: number): Promise<void> {
  await getLoggedModelRow(trx, modelId);
  await touch(trx, modelId, now);
  const tag = await trx
    .selectFrom("logged_model_tags")
    .select("value")
    .where("model_id", "=", modelId)
    .where("key", "=", MODEL_VERSIONS_TAG)
    .executeTakeFirst();
  const value = appendModelVersion(tag?.value, name, version);
  await setLoggedModelTags(trx, modelId, [{ key: MODEL_VERSIONS_TAG, value }], now);
}
