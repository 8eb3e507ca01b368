/**
 * log-batch: metrics, params and tags of one run in one transaction.
 *
 * - All or nothing: the whole batch is validated by the service first, and any
 *   conflict found here (a param with another value, a run that is not active)
 *   rolls the transaction back.
 * - Idempotent: metric points identical to stored ones are stored once
 *   (chunk-writes.ts: a write's chunk meets no stored chunk, the usual case,
 *   or the chunks it meets are read and its stored points dropped), so a
 *   retried batch changes nothing and the history is never scanned (mlflow#24577).
 * - The latest value of each key (`latest_metrics`) and the history summaries
 *   (`metric_buckets`) are kept on write, merged per group commit (metric-tail.ts) — or, for plain points
 *   when the connection has a metric inbox, when the inbox is folded (metric-inbox.ts).
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
import { METRIC_POINTS } from "./chunk-writes.js";
import { inboxOf, METRIC_INBOX } from "./metric-inbox.js";
import { POINT_COLUMNS } from "./metric-tail.js";
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
 * id: identical points (once in the history) gain the link they lacked in `metrics`, so they count
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
  const linked = metrics.filter((m) => m.modelId || m.datasetName || m.datasetDigest);
  if (linked.length > 0) {
    const rows = linked.map((m) => {
      const nan = Number.isNaN(m.value);
      return [runPk, m.key, m.step, m.timestamp, nan ? 0 : m.value, nan ? 1 : 0, m.modelId ?? null, m.datasetName ?? null, m.datasetDigest ?? null];
    });
    const inserted = await dialect.bulkInsert(db, "metrics", METRIC_COLUMNS, rows, "on conflict do nothing");
    if (inserted < linked.length) await linkExistingPoints(db, runPk, linked);
  }
  // Plain points go through the metric inbox when the connection has one (metric-inbox.ts): one row per group
  // commit, folded into the history later. Otherwise history (chunks, exactly: chunk-writes.ts), then latest
  // values and summaries of the new points: merged per group commit when one is running, else written now.
  if (linked.length === 0 && inboxOf(dialect)) await deferToCommit(db, dialect, METRIC_INBOX, { runPk, metrics });
  else await deferToCommit(db, dialect, METRIC_POINTS, { runPk, metrics });
}
