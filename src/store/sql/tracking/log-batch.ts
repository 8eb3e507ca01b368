/**
 * log-batch: metrics, params and tags of one run in one transaction.
 *
 * - All or nothing: the whole batch is validated by the service first, and any
 *   conflict found here (a param with another value, a run that is not active)
 *   rolls the transaction back.
 * - Idempotent: metric points identical to stored ones are skipped by the
 *   primary key (`ON CONFLICT DO NOTHING`), so a retried batch neither
 *   duplicates points nor reads the metric history (mlflow#24577).
 * - The latest value of each key (`latest_metrics`) and the history summaries
 *   (`metric_buckets`) are kept on write, merged per group commit (metric-tail.ts).
 * @module
 */
import type { Kysely } from "kysely";
import { InvalidParameterValueError } from "../../../shared/errors.js";
import { RUN_NAME_TAG } from "../../../shared/system-tags.js";
import type { Metric, Param } from "../../../shared/tracking-types.js";
import type { Tag } from "../../../shared/types.js";
import type { LogBatchInput } from "../../../tracking/tracking-store.js";
import { dedupeTags } from "./experiment-queries.js";
import { deferToCommit } from "../group-commit-queue.js";
import { METRIC_TAIL, POINT_COLUMNS } from "./metric-tail.js";
import { requireActiveRun, runNotFound } from "./run-queries.js";
import type { Database } from "../schema.js";
import type { BulkColumn, SqlDialect } from "../sql-dialect.js";

type Db = Kysely<Database>;

const METRIC_COLUMNS: BulkColumn[] = [
  ...POINT_COLUMNS,
  { name: "model_id", pgType: "text" },
  { name: "dataset_name", pgType: "text" },
  { name: "dataset_digest", pgType: "text" },
];
const UNLINKED_METRIC_COLUMNS = POINT_COLUMNS;
const KV_COLUMNS: BulkColumn[] = [
  { name: "run_id", pgType: "int4" },
  { name: "key", pgType: "text" },
  { name: "value", pgType: "text" },
];
const TAG_UPSERT = "on conflict (run_id, key) do update set value = excluded.value";

/** Runs inside a write transaction (`trx`). */
export async function logBatch(trx: Db, dialect: SqlDialect, runId: string, batch: LogBatchInput): Promise<void> {
  const query = trx.selectFrom("runs").select(["id", "run_uuid", "lifecycle_stage"]).where("run_uuid", "=", runId);
  // PostgreSQL: the metric tables have no foreign key (migration 19); this lock does what its check did.
  const run = await (dialect.name === "postgres" ? query.forKeyShare() : query).executeTakeFirst();
  if (!run) throw runNotFound(runId);
  requireActiveRun(run);
  if (batch.params.length > 0) await writeParams(trx, dialect, run.id, runId, batch.params);
  if (batch.tags.length > 0) await writeTags(trx, dialect, run.id, batch.tags);
  if (batch.metrics.length > 0) await writeMetrics(trx, dialect, run.id, batch.metrics);
}

async function writeParams(db: Db, dialect: SqlDialect, runPk: number, runId: string, params: Param[]): Promise<void> {
  await dialect.bulkInsert(db, "params", KV_COLUMNS, params.map((p) => [runPk, p.key, p.value]), "on conflict do nothing");
  // Params are write-once: compare what is stored now with what was sent.
  const stored = await db
    .selectFrom("params")
    .select(["key", "value"])
    .where("run_id", "=", runPk)
    .where(
      "key",
      "in",
      params.map((p) => p.key),
    )
    .execute();
  const storedValue = new Map(stored.map((r) => [r.key, r.value]));
  for (const p of params) {
    const old = storedValue.get(p.key);
    if (old !== undefined && old !== p.value) throw paramChanged(p.key, old, runId, p.value);
  }
}

/** MLflow's error for a param logged again with another value. */
export function paramChanged(key: string, old: string, runId: string, value: string): InvalidParameterValueError {
  return new InvalidParameterValueError(
    `Changing param values is not allowed. Param with key='${key}' was already logged with ` +
      `value='${old}' for run ID='${runId}'. Attempted logging new value '${value}'.`,
  );
}

async function writeTags(db: Db, dialect: SqlDialect, runPk: number, tags: Tag[]): Promise<void> {
  const unique = dedupeTags(tags);
  await dialect.bulkInsert(db, "tags", KV_COLUMNS, unique.map((t) => [runPk, t.key, t.value]), TAG_UPSERT);
  const runName = unique.find((t) => t.key === RUN_NAME_TAG);
  // MLflow compat: setting the mlflow.runName tag renames the run.
  if (runName) await db.updateTable("runs").set({ name: runName.value }).where("id", "=", runPk).execute();
}

/**
 * MLflow 3.x's `log_model` re-logs a run's step-0 points with the new model's
 * id: identical points (skipped above) gain the link they lacked, so they count
 * as the model's metrics (MLflow keeps them in a second table). A point keeps
 * the first model and dataset it was linked to.
 */
async function linkExistingPoints(db: Db, runPk: number, metrics: Metric[]): Promise<void> {
  for (const m of metrics) {
    if (!m.modelId && !m.datasetName && !m.datasetDigest) continue;
    const nan = Number.isNaN(m.value);
    await db
      .updateTable("metrics")
      .set((eb) => ({
        model_id: eb.fn.coalesce("model_id", eb.val(m.modelId ?? null)),
        dataset_name: eb.fn.coalesce("dataset_name", eb.val(m.datasetName ?? null)),
        dataset_digest: eb.fn.coalesce("dataset_digest", eb.val(m.datasetDigest ?? null)),
      }))
      .where("run_id", "=", runPk)
      .where("key", "=", m.key)
      .where("step", "=", m.step)
      .where("timestamp", "=", m.timestamp)
      .where("value", "=", nan ? 0 : m.value)
      .where("is_nan", "=", nan ? 1 : 0)
      .where((eb) => eb.or([eb("model_id", "is", null), eb("dataset_name", "is", null), eb("dataset_digest", "is", null)]))
      .execute();
  }
}

async function writeMetrics(db: Db, dialect: SqlDialect, runPk: number, metrics: Metric[]): Promise<void> {
  // Most points carry no model/dataset link (MLflow 2.x clients): bind 6 columns instead of 9.
  const linked = metrics.some((m) => m.modelId || m.datasetName || m.datasetDigest);
  const rows: unknown[][] = new Array(metrics.length);
  for (let i = 0; i < metrics.length; i++) {
    const m = metrics[i];
    const nan = Number.isNaN(m.value);
    const row: unknown[] = [runPk, m.key, m.step, m.timestamp, nan ? 0 : m.value, nan ? 1 : 0];
    if (linked) row.push(m.modelId ?? null, m.datasetName ?? null, m.datasetDigest ?? null);
    rows[i] = row;
  }
  const columns = linked ? METRIC_COLUMNS : UNLINKED_METRIC_COLUMNS;
  const inserted = await dialect.bulkInsert(db, "metrics", columns, rows, "on conflict do nothing");
  if (linked && inserted < metrics.length) await linkExistingPoints(db, runPk, metrics);
  const entry = { runPk, metrics, allNew: inserted === metrics.length };
  // Latest values and summaries: merged per group commit when one is running, else written now.
  await deferToCommit(db, dialect, METRIC_TAIL, entry);
}
