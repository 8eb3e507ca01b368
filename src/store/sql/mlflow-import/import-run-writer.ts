/**
 * Imported runs, a page at a time, in one transaction: the run rows with
 * their MLflow ids, params, tags, dataset and model inputs, model outputs and
 * every metric point, with the latest values and history summaries ciclo
 * keeps on write (metric-tail.ts), so an imported run reads, searches and
 * charts exactly like a logged one.
 * @module
 */
import type { Kysely } from "kysely";
import type { ImportMetricPoint, ImportRun } from "../../../mlflow-import/import-target.js";
import type { Metric } from "../../../shared/tracking-types.js";
import { writePoints } from "../tracking/chunk-writes.js";
import { POINT_COLUMNS, writeDerived } from "../tracking/metric-tail.js";
import { linkDataset } from "../tracking/run-queries.js";
import type { Database } from "../schema.js";
import type { BulkColumn, SqlDialect } from "../sql-dialect.js";

type Db = Kysely<Database>;

const KV_COLUMNS: BulkColumn[] = [
  { name: "run_id", pgType: "int4" },
  { name: "key", pgType: "text" },
  { name: "value", pgType: "text" },
];
const METRIC_COLUMNS: BulkColumn[] = [
  ...POINT_COLUMNS,
  { name: "model_id", pgType: "text" },
  { name: "dataset_name", pgType: "text" },
  { name: "dataset_digest", pgType: "text" },
];

/** Inserts the runs (none may exist yet); resolves with run id → ciclo's row id. */
export async function insertRuns(trx: Db, dialect: SqlDialect, runs: ImportRun[]): Promise<Map<string, number>> {
  if (dialect.name === "postgres") await lockExperiments(trx, runs);
  await trx
    .insertInto("runs")
    .values(
      runs.map((r) => ({
        run_uuid: r.runId,
        experiment_id: r.experimentId,
        name: r.name,
        user_id: r.userId,
        status: r.status,
        start_time: r.startTime,
        end_time: r.endTime,
        artifact_uri: r.artifactUri,
        lifecycle_stage: r.lifecycleStage,
        deleted_time: r.deletedTime,
        deleted_with_experiment: r.deletedWithExperiment ? 1 : 0,
      })),
    )
    .execute();
  const rows = await trx
    .selectFrom("runs")
    .select(["id", "run_uuid"])
    .where(
      "run_uuid",
      "in",
      runs.map((r) => r.runId),
    )
    .execute();
  const pks = new Map(rows.map((r) => [r.run_uuid, Number(r.id)]));
  const params: unknown[][] = [];
  const tags: unknown[][] = [];
  for (const r of runs) {
    const pk = pks.get(r.runId)!;
    for (const p of r.params) params.push([pk, p.key, p.value]);
    for (const t of r.tags) tags.push([pk, t.key, t.value]);
  }
  await dialect.bulkInsert(trx, "params", KV_COLUMNS, params, "on conflict do nothing");
  await dialect.bulkInsert(trx, "tags", KV_COLUMNS, tags, "on conflict do nothing");
  for (const r of runs) await insertInputs(trx, r, pks.get(r.runId)!);
  return pks;
}

/**
 * PostgreSQL: runs have no foreign key to experiments (migration 21). Their experiments are checked and locked
 * `FOR KEY SHARE` here instead, as the key's check did: a run never names a missing experiment, and a purge of one
 * waits for this transaction.
 */
async function lockExperiments(trx: Db, runs: ImportRun[]): Promise<void> {
  const ids = [...new Set(runs.map((r) => r.experimentId))];
  const found = await trx.selectFrom("experiments").select("experiment_id").where("experiment_id", "in", ids).forKeyShare().execute();
  const have = new Set(found.map((e) => Number(e.experiment_id)));
  const missing = ids.find((id) => !have.has(id));
  if (missing !== undefined) throw new Error(`Imported runs name experiment ${missing}, which is not in the target store.`);
}

async function insertInputs(trx: Db, run: ImportRun, pk: number): Promise<void> {
  for (const input of run.datasetInputs) {
    const datasetId = await linkDataset(trx, run.experimentId, pk, input.dataset);
    if (input.tags.length > 0) {
      await trx
        .insertInto("input_tags")
        .values(input.tags.map((t) => ({ run_id: pk, dataset_id: datasetId, key: t.key, value: t.value })))
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
  }
  const models = await existingModels(trx, [...run.modelInputs, ...run.modelOutputs.map((o) => o.modelId)]);
  const inputs = [...new Set(run.modelInputs)].filter((m) => models.has(m));
  if (inputs.length > 0) {
    await trx.insertInto("run_model_inputs").values(inputs.map((m) => ({ run_id: pk, model_id: m }))).onConflict((oc) => oc.doNothing()).execute();
  }
  const outputs = run.modelOutputs.filter((o) => models.has(o.modelId));
  if (outputs.length > 0) {
    await trx
      .insertInto("run_outputs")
      .values(outputs.map((o) => ({ run_id: pk, model_id: o.modelId, step: o.step })))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}

async function existingModels(trx: Db, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await trx.selectFrom("logged_models").select("model_id").where("model_id", "in", [...new Set(ids)]).execute();
  return new Set(rows.map((r) => r.model_id));
}

/** Writes a chunk of points of runs inserted by {@link insertRuns}; resolves with the points written (new to the history). */
export async function insertPoints(trx: Db, dialect: SqlDialect, pks: Map<string, number>, points: ImportMetricPoint[]): Promise<number> {
  const byRun = new Map<number, Metric[]>();
  const linked: unknown[][] = [];
  for (const p of points) {
    const pk = pks.get(p.runId);
    if (pk === undefined) continue;
    const list = byRun.get(pk);
    if (list) list.push(p);
    else byRun.set(pk, [p]);
    if (!p.modelId && !p.datasetName && !p.datasetDigest) continue;
    const nan = Number.isNaN(p.value);
    linked.push([pk, p.key, p.step, p.timestamp, nan ? 0 : p.value, nan ? 1 : 0, p.modelId ?? null, p.datasetName ?? null, p.datasetDigest ?? null]);
  }
  // The history in chunks, a point a file store holds twice stored once (chunk-writes.ts); links also as rows of metrics.
  const entries: Array<{ runPk: number; metrics: Metric[] }> = [];
  let written = 0;
  for (const [runPk, metrics] of byRun) {
    const added = await writePoints(trx, dialect, runPk, metrics);
    written += added.length;
    if (added.length > 0) entries.push({ runPk, metrics: added });
  }
  if (linked.length > 0) await dialect.bulkInsert(trx, "metrics", METRIC_COLUMNS, linked, "on conflict do nothing");
  await writeDerived(trx, dialect, entries);
  return written;
}
