/**
 * Garbage-collection queries: finding deleted experiments, runs and logged
 * models, and hard-deleting them.
 *
 * Deletes name every child table explicitly, children before parents, rather
 * than trusting ON DELETE CASCADE: MLflow's gc broke on PostgreSQL databases
 * whose constraints lacked the cascade (mlflow#13254, #6127) and on tables
 * added later (#20184 logged_model_params). The order here never depends on
 * what the constraints say. Set-based statements (`where run_id in (select …)`)
 * keep an experiment with 100,000 runs to a handful of statements.
 *
 * Rows are locked (`for update` on PostgreSQL; SQLite writes are serialized)
 * before they are checked, so a run restored concurrently is either restored
 * first (and then refused here) or deleted whole — never half.
 * @module
 */
import type { Kysely, SelectQueryBuilder } from "kysely";
import { InvalidParameterValueError, ResourceDoesNotExistError } from "../../../shared/errors.js";
import type { GcEntities, GcLoggedModel, GcQuery, GcRun, PurgedExperiment } from "../../../tracking/tracking-store.js";
import type { SqlDialectName } from "../sql-dialect.js";
import { experimentIdNumber, experimentNotFound } from "./experiment-queries.js";
import { runNotFound } from "./run-queries.js";
import type { Database } from "../schema.js";

type Db = Kysely<Database>;

interface RunRowLite {
  id: number;
  run_uuid: string;
  experiment_id: number;
  name: string;
  artifact_uri: string;
  lifecycle_stage: string;
  deleted_time: number | null;
}

function toGcRun(r: RunRowLite): GcRun {
  return {
    runId: r.run_uuid,
    experimentId: String(r.experiment_id),
    runName: r.name,
    artifactUri: r.artifact_uri,
    deletedTime: r.deleted_time === null ? null : Number(r.deleted_time),
  };
}

interface ModelRowLite {
  model_id: string;
  experiment_id: number;
  name: string;
  artifact_uri: string;
  source_run_id: string | null;
  lifecycle_stage: string;
}

function toGcModel(m: ModelRowLite): GcLoggedModel {
  return { modelId: m.model_id, experimentId: String(m.experiment_id), name: m.name, artifactUri: m.artifact_uri, sourceRunId: m.source_run_id };
}

function groupByExperiment<T extends { experiment_id: number }>(rows: T[]): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const r of rows) {
    const list = out.get(r.experiment_id);
    if (list) list.push(r);
    else out.set(r.experiment_id, [r]);
  }
  return out;
}

const RUN_COLUMNS = ["id", "run_uuid", "experiment_id", "name", "artifact_uri", "lifecycle_stage", "deleted_time"] as const;
const MODEL_COLUMNS = ["model_id", "experiment_id", "name", "artifact_uri", "source_run_id", "lifecycle_stage"] as const;

/** Experiment ids as numbers; ids that cannot exist are dropped (they match nothing). */
function experimentNumbers(ids: string[] | undefined): number[] | undefined {
  if (!ids) return undefined;
  return ids.map(experimentIdNumber).filter((n): n is number => n !== undefined);
}

export async function findGcCandidates(db: Db, q: GcQuery): Promise<GcEntities> {
  const scope = experimentNumbers(q.experimentIds);
  if (scope && scope.length === 0) return { experiments: [], runs: [], loggedModels: [] };
  let eq = db
    .selectFrom("experiments")
    .select(["experiment_id", "name", "artifact_location", "deleted_time"])
    .where("lifecycle_stage", "=", "deleted")
    .where("experiment_id", "<>", 0);
  if (q.deletedBefore !== undefined) eq = eq.where("deleted_time", "<=", q.deletedBefore);
  if (scope) eq = eq.where("experiment_id", "in", scope);
  const expRows = await eq.orderBy("experiment_id").execute();
  const purgedExps = expRows.map((e) => e.experiment_id);

  let rq = db.selectFrom("runs").select([...RUN_COLUMNS]).where("lifecycle_stage", "=", "deleted");
  if (q.deletedBefore !== undefined) rq = rq.where("deleted_time", "<=", q.deletedBefore);
  if (scope) rq = rq.where("experiment_id", "in", scope);
  if (purgedExps.length > 0) rq = rq.where("experiment_id", "not in", purgedExps);
  const runs = await rq.orderBy("deleted_time").orderBy("id").execute();

  let mq = db.selectFrom("logged_models").select([...MODEL_COLUMNS]).where("lifecycle_stage", "=", "deleted");
  if (q.deletedBefore !== undefined) mq = mq.where("last_updated_timestamp_ms", "<=", q.deletedBefore);
  if (scope) mq = mq.where("experiment_id", "in", scope);
  if (purgedExps.length > 0) mq = mq.where("experiment_id", "not in", purgedExps);
  const models = await mq.orderBy("model_id").execute();

  const [expRuns, expModels] =
    purgedExps.length === 0
      ? [[], []]
      : await Promise.all([
          db.selectFrom("runs").select([...RUN_COLUMNS]).where("experiment_id", "in", purgedExps).orderBy("id").execute(),
          db.selectFrom("logged_models").select([...MODEL_COLUMNS]).where("experiment_id", "in", purgedExps).orderBy("model_id").execute(),
        ]);
  const runsOf = groupByExperiment(expRuns);
  const modelsOf = groupByExperiment(expModels);
  return {
    experiments: expRows.map(
      (e): PurgedExperiment => ({
        experimentId: String(e.experiment_id),
        name: e.name,
        artifactLocation: e.artifact_location,
        deletedTime: e.deleted_time === null ? null : Number(e.deleted_time),
        runs: (runsOf.get(e.experiment_id) ?? []).map(toGcRun),
        loggedModels: (modelsOf.get(e.experiment_id) ?? []).map(toGcModel),
      }),
    ),
    runs: runs.map(toGcRun),
    loggedModels: models.map(toGcModel),
  };
}

/** `for update` on PostgreSQL; SQLite has no row locks (its writes are serialized anyway). */
function locked<O>(q: SelectQueryBuilder<Database, keyof Database, O>, dialect: SqlDialectName) {
  return dialect === "postgres" ? q.forUpdate() : q;
}

/** Only what was deleted can be purged: each of `ids` must be among the rows found (`byId`, by `key(id)`) and deleted. */
function requireDeleted<R extends { lifecycle_stage: string }>(
  kind: string,
  ids: string[],
  byId: Map<string, R>,
  notFound: (id: string) => Error,
  key: (id: string) => string = (id) => id,
): void {
  for (const id of ids) {
    const row = byId.get(key(id));
    if (!row) throw notFound(id);
    if (row.lifecycle_stage !== "deleted") {
      throw new InvalidParameterValueError(
        `${kind} ${id} is not in the 'deleted' lifecycle stage (it is '${row.lifecycle_stage}'). Only deleted ${kind.toLowerCase()}s can be purged.`,
      );
    }
  }
}

/** Deletes every row that hangs off the selected runs, children first, then the runs. */
async function purgeRunRows(trx: Db, runIds: (db: Db) => SelectQueryBuilder<Database, "runs", { id: number }>): Promise<void> {
  for (const table of ["metric_buckets", "metric_bucket_parts", "metric_chunks", "latest_metrics", "metrics", "params", "tags", "input_tags", "run_inputs", "run_outputs", "run_model_inputs"] as const) {
    await trx.deleteFrom(table).where("run_id", "in", runIds(trx)).execute();
  }
  await trx.deleteFrom("runs").where("id", "in", runIds(trx)).execute();
}

/** Deletes the selected logged models with their params, tags and run links. */
async function purgeModelRows(trx: Db, modelIds: (db: Db) => SelectQueryBuilder<Database, "logged_models", { model_id: string }>): Promise<void> {
  for (const table of ["logged_model_params", "logged_model_tags", "run_outputs", "run_model_inputs"] as const) {
    await trx.deleteFrom(table).where("model_id", "in", modelIds(trx)).execute();
  }
  await trx.deleteFrom("logged_models").where("model_id", "in", modelIds(trx)).execute();
}

export async function hardDeleteRuns(trx: Db, dialect: SqlDialectName, runIds: string[]): Promise<GcRun[]> {
  const ids = [...new Set(runIds)];
  if (ids.length === 0) return [];
  const rows = await locked(trx.selectFrom("runs").select([...RUN_COLUMNS]).where("run_uuid", "in", ids), dialect).execute();
  const byId = new Map(rows.map((r) => [r.run_uuid, r]));
  requireDeleted("Run", ids, byId, runNotFound);
  const pks = rows.map((r) => r.id);
  await purgeRunRows(trx, (db) => db.selectFrom("runs").select("id").where("id", "in", pks));
  return ids.map((id) => toGcRun(byId.get(id)!));
}

export async function hardDeleteLoggedModels(trx: Db, dialect: SqlDialectName, modelIds: string[]): Promise<GcLoggedModel[]> {
  const ids = [...new Set(modelIds)];
  if (ids.length === 0) return [];
  const rows = await locked(trx.selectFrom("logged_models").select([...MODEL_COLUMNS]).where("model_id", "in", ids), dialect).execute();
  const byId = new Map(rows.map((r) => [r.model_id, r]));
  requireDeleted("Logged model", ids, byId, (id) => new ResourceDoesNotExistError(`Logged model with ID '${id}' not found.`));
  await purgeModelRows(trx, (db) => db.selectFrom("logged_models").select("model_id").where("model_id", "in", ids));
  return ids.map((id) => toGcModel(byId.get(id)!));
}

export async function hardDeleteExperiments(trx: Db, dialect: SqlDialectName, experimentIds: string[]): Promise<PurgedExperiment[]> {
  const ids = [...new Set(experimentIds)];
  if (ids.length === 0) return [];
  const nums = experimentNumbers(ids)!;
  const rows =
    nums.length === 0
      ? []
      : await locked(
          trx.selectFrom("experiments").select(["experiment_id", "name", "artifact_location", "lifecycle_stage", "deleted_time"]).where("experiment_id", "in", nums),
          dialect,
        ).execute();
  const byId = new Map(rows.map((e) => [String(e.experiment_id), e]));
  requireDeleted("Experiment", ids, byId, experimentNotFound, (id) => String(experimentIdNumber(id) ?? id));
  const expNums = rows.map((e) => e.experiment_id);
  const runs = await locked(trx.selectFrom("runs").select([...RUN_COLUMNS]).where("experiment_id", "in", expNums), dialect).execute();
  // Restoring a run needs an active experiment, so none should be active; if one is, the data wins over gc.
  const active = runs.find((r) => r.lifecycle_stage !== "deleted");
  if (active) {
    throw new InvalidParameterValueError(
      `Experiment ${active.experiment_id} still holds run ${active.run_uuid} in the '${active.lifecycle_stage}' stage; it cannot be purged.`,
    );
  }
  const models = await trx.selectFrom("logged_models").select([...MODEL_COLUMNS]).where("experiment_id", "in", expNums).execute();

  await purgeRunRows(trx, (db) => db.selectFrom("runs").select("id").where("experiment_id", "in", expNums));
  await purgeModelRows(trx, (db) => db.selectFrom("logged_models").select("model_id").where("experiment_id", "in", expNums));
  const traces = await purgeTraceRows(trx, expNums);
  await trx.deleteFrom("datasets").where("experiment_id", "in", expNums).execute();
  await trx.deleteFrom("experiment_tags").where("experiment_id", "in", expNums).execute();
  await trx.deleteFrom("experiments").where("experiment_id", "in", expNums).execute();

  const runsOf = groupByExperiment(runs);
  const modelsOf = groupByExperiment(models);
  return ids.map((id) => {
    const e = byId.get(String(experimentIdNumber(id) ?? id))!;
    return {
      experimentId: String(e.experiment_id),
      name: e.name,
      artifactLocation: e.artifact_location,
      deletedTime: e.deleted_time === null ? null : Number(e.deleted_time),
      runs: (runsOf.get(e.experiment_id) ?? []).map(toGcRun),
      loggedModels: (modelsOf.get(e.experiment_id) ?? []).map(toGcModel),
      traces: traces.filter((t) => t.experiment_id === e.experiment_id).map((t) => ({ traceId: t.request_id, artifactUri: t.value ?? "" })),
    };
  });
}

/** Deletes the experiments' MLflow 3 traces (tags, metadata, assessments and run links first); answers them with their artifact locations. */
async function purgeTraceRows(trx: Db, expNums: number[]) {
  const traces = await trx
    .selectFrom("trace_info as ti")
    .leftJoin("trace_tags as tt", (j) => j.onRef("tt.request_id", "=", "ti.request_id").on("tt.key", "=", "mlflow.artifactLocation"))
    .select(["ti.request_id", "ti.experiment_id", "tt.value"])
    .where("ti.experiment_id", "in", expNums)
    .execute();
  const ofExperiments = (db: Db) => db.selectFrom("trace_info").select("request_id").where("experiment_id", "in", expNums);
  await trx.deleteFrom("trace_tags").where("request_id", "in", ofExperiments(trx)).execute();
  await trx.deleteFrom("trace_request_metadata").where("request_id", "in", ofExperiments(trx)).execute();
  await trx.deleteFrom("assessments").where("trace_id", "in", ofExperiments(trx)).execute();
  await trx.deleteFrom("trace_run_links").where("request_id", "in", ofExperiments(trx)).execute();
  await trx.deleteFrom("trace_info").where("experiment_id", "in", expNums).execute();
  return traces;
}
