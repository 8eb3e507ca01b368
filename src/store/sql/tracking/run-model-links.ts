/**
 * Links between runs and logged models (MLflow 3.x): a run's model outputs
 * (`runs/outputs`, written by `log_model`) and model inputs (`runs/log-inputs`
 * `models`), and the batched read that puts them on `runs/get` and
 * `runs/search` results.
 * @module
 */
import type { Kysely } from "kysely";
import type { RunModelInput, RunModelOutput } from "../../../shared/tracking-types.js";
import { loggedModelNotFound } from "../sql-errors.js";
import { getRunRow, requireActiveRun } from "./run-queries.js";
import type { Database } from "../schema.js";
import type { SqlConnection } from "../sql-dialect.js";

type Db = Kysely<Database>;

/** RESOURCE_DOES_NOT_EXIST for the first of `modelIds` that is not a logged model. */
async function requireModels(db: Db, modelIds: string[]): Promise<void> {
  const unique = [...new Set(modelIds)];
  if (unique.length === 0) return;
  const found = await db.selectFrom("logged_models").select("model_id").where("model_id", "in", unique).execute();
  const known = new Set(found.map((r) => r.model_id));
  const missing = unique.find((id) => !known.has(id));
  if (missing !== undefined) throw loggedModelNotFound(missing);
}

/** `runs/outputs`; runs inside a write transaction. Repeating an output is a no-op. */
export async function logOutputs(trx: Db, runId: string, outputs: RunModelOutput[]): Promise<void> {
  const run = await getRunRow(trx, runId);
  requireActiveRun(run);
  await requireModels(
    trx,
    outputs.map((o) => o.modelId),
  );
  if (outputs.length === 0) return;
  await trx
    .insertInto("run_outputs")
    .values(outputs.map((o) => ({ run_id: run.id, model_id: o.modelId, step: o.step })))
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/**
 * The `models` of `runs/log-inputs`, for the run with internal id `runPk`
 * (the caller has checked the run is active, in the same transaction).
 */
export async function insertModelInputs(trx: Db, runPk: number, inputs: RunModelInput[]): Promise<void> {
  if (inputs.length === 0) return;
  await requireModels(
    trx,
    inputs.map((i) => i.modelId),
  );
  await trx
    .insertInto("run_model_inputs")
    .values([...new Set(inputs.map((i) => i.modelId))].map((modelId) => ({ run_id: runPk, model_id: modelId })))
    .onConflict((oc) => oc.doNothing())
    .execute();
}

export interface RunModelLinks {
  modelInputs: RunModelInput[];
  modelOutputs: RunModelOutput[];
}

/**
 * The model inputs and outputs of many runs (by internal id), with one query
 * per table; runs without links are absent from the map.
 */
export async function loadRunModelLinks(conn: SqlConnection, runPks: number[]): Promise<Map<number, RunModelLinks>> {
  const out = new Map<number, RunModelLinks>();
  if (runPks.length === 0) return out;
  const { db, dialect } = conn;
  const [inputs, outputs] = await Promise.all([
    dialect.readRows(
      db,
      db.selectFrom("run_model_inputs").select(["run_id", "model_id"]).where("run_id", "in", runPks).orderBy("run_id").orderBy("model_id").compile(),
    ),
    dialect.readRows(
      db,
      db
        .selectFrom("run_outputs")
        .select(["run_id", "model_id", "step"])
        .where("run_id", "in", runPks)
        .orderBy("run_id")
        .orderBy("step")
        .orderBy("model_id")
        .compile(),
    ),
  ]);
  const of = (runPk: number): RunModelLinks => {
    let links = out.get(runPk);
    if (!links) out.set(runPk, (links = { modelInputs: [], modelOutputs: [] }));
    return links;
  };
  for (const [runPk, modelId] of inputs as Array<[number, string]>) of(runPk).modelInputs.push({ modelId });
  for (const [runPk, modelId, step] of outputs as Array<[number, string, number]>) {
    of(runPk).modelOutputs.push({ modelId, step: Number(step) });
  }
  return out;
}
