/**
 * log-batch for a whole group commit at once: the concurrent log-batch and
 * log-metric requests of a group share their statements (one lookup of their
 * runs, one insert per table), so a group costs a fixed few round trips
 * whatever its size.
 *
 * Every input is validated before anything is written — its run exists and is
 * active, its params agree with the stored ones and with the group's earlier
 * inputs — and a failing input is rejected alone, having written nothing. What
 * cannot be known up front (a param another transaction inserted meanwhile, a
 * point that gains a model link) makes `many` throw, and the group runs again
 * one input at a time (`one`, the plain log-batch of log-batch.ts).
 * @module
 */
import { sql, type Kysely } from "kysely";
import { RUN_NAME_TAG } from "../../../shared/system-tags.js";
import type { LogBatchInput } from "../../../tracking/tracking-store.js";
import { dedupeTags } from "./experiment-queries.js";
import { deferToCommit, type GroupedWrite, type WriteOutcome } from "../group-commit-queue.js";
import { logBatch, paramChanged } from "./log-batch.js";
import { METRIC_TAIL, POINT_COLUMNS } from "./metric-tail.js";
import { requireActiveRun, runNotFound } from "./run-queries.js";
import type { Database } from "../schema.js";
import type { BulkColumn, SqlDialect } from "../sql-dialect.js";

type Db = Kysely<Database>;

export interface LogBatchWrite {
  runId: string;
  batch: LogBatchInput;
}

const KV_COLUMNS: BulkColumn[] = [
  { name: "run_id", pgType: "int4" },
  { name: "key", pgType: "text" },
  { name: "value", pgType: "text" },
];
const TAG_UPSERT = "on conflict (run_id, key) do update set value = excluded.value";

/** Thrown to run the group one input at a time; never reaches a caller. */
class NotBatchable extends Error {}

const pairKey = (runPk: number, key: string) => `${runPk}\u0000${key}`;

async function runManyLogBatches(trx: Db, inputs: readonly LogBatchWrite[], dialect: SqlDialect): Promise<Array<WriteOutcome<void>>> {
  // MLflow 3.x model links on points need the per-input path (an existing point may gain its link).
  if (inputs.some((w) => w.batch.metrics.some((m) => m.modelId || m.datasetName || m.datasetDigest))) {
    throw new NotBatchable("linked metric points");
  }
  const uuids = [...new Set(inputs.map((w) => w.runId))];
  const runs = await sql<{ id: number; run_uuid: string; lifecycle_stage: string }>`
    select id, run_uuid, lifecycle_stage from runs where run_uuid = any(${uuids}::text[])`.execute(trx);
  const runByUuid = new Map(runs.rows.map((r) => [r.run_uuid, r]));

  // Stored values of the params the group sends, to refuse changes before writing anything.
  const stored = new Map<string, string>();
  const paramPairs: Array<[number, string]> = [];
  for (const w of inputs) {
    const run = runByUuid.get(w.runId);
    if (run) for (const p of w.batch.params) paramPairs.push([run.id, p.key]);
  }
  if (paramPairs.length > 0) {
    const rows = await sql<{ run_id: number; key: string; value: string }>`
      select p.run_id, p.key, p.value from params p
      join unnest(${paramPairs.map((p) => p[0])}::int4[], ${paramPairs.map((p) => p[1])}::text[]) u(run_id, key)
        on p.run_id = u.run_id and p.key = u.key`.execute(trx);
    for (const r of rows.rows) stored.set(pairKey(r.run_id, r.key), r.value);
  }

  const outcomes: Array<WriteOutcome<void>> = [];
  const newParams = new Map<string, unknown[]>();
  const tags = new Map<string, unknown[]>();
  const runNames = new Map<number, string>();
  const metricRows: unknown[][] = [];
  const accepted: Array<{ runPk: number; w: LogBatchWrite }> = [];
  for (const w of inputs) {
    const run = runByUuid.get(w.runId);
    try {
      if (!run) throw runNotFound(w.runId);
      requireActiveRun(run);
      // Params: write-once, checked against the stored values and the group's earlier inputs.
      const mine = new Map<string, unknown[]>();
      for (const p of w.batch.params) {
        const id = pairKey(run.id, p.key);
        const old = (mine.get(id)?.[2] as string | undefined) ?? stored.get(id) ?? (newParams.get(id)?.[2] as string | undefined);
        if (old !== undefined && old !== p.value) throw paramChanged(p.key, old, w.runId, p.value);
        mine.set(id, [run.id, p.key, p.value]);
      }
      for (const [id, row] of mine) if (!stored.has(id)) newParams.set(id, row);
    } catch (error) {
      outcomes.push({ ok: false, error });
      continue;
    }
    // Tags: the group's last value of a key wins, as if the inputs had run one after another.
    for (const t of dedupeTags(w.batch.tags)) {
      const id = pairKey(run.id, t.key);
      tags.delete(id);
      tags.set(id, [run.id, t.key, t.value]);
      if (t.key === RUN_NAME_TAG) runNames.set(run.id, t.value);
    }
    for (const m of w.batch.metrics) {
      const nan = Number.isNaN(m.value);
      metricRows.push([run.id, m.key, m.step, m.timestamp, nan ? 0 : m.value, nan ? 1 : 0]);
    }
    accepted.push({ runPk: run.id, w });
    outcomes.push({ ok: true, value: undefined });
  }

  if (newParams.size > 0) {
    const inserted = await dialect.bulkInsert(trx, "params", KV_COLUMNS, [...newParams.values()], "on conflict do nothing");
    // Fewer rows than expected: another transaction logged one of these params since the check above.
    if (inserted !== newParams.size) throw new NotBatchable("a param was logged concurrently");
  }
  if (tags.size > 0) await dialect.bulkInsert(trx, "tags", KV_COLUMNS, [...tags.values()], TAG_UPSERT);
  if (runNames.size > 0) {
    // MLflow compat: setting the mlflow.runName tag renames the run.
    await sql`update runs set name = u.name
      from unnest(${[...runNames.keys()]}::int4[], ${[...runNames.values()]}::text[]) u(id, name) where runs.id = u.id`.execute(trx);
  }
  if (metricRows.length > 0) {
    const inserted = await dialect.bulkInsertCountBy(trx, "metrics", POINT_COLUMNS, metricRows, "on conflict do nothing", 0);
    const sent = new Map<number, number>();
    for (const r of metricRows) sent.set(r[0] as number, (sent.get(r[0] as number) ?? 0) + 1);
    for (const { runPk, w } of accepted) {
      if (w.batch.metrics.length === 0) continue;
      // Retried points (skipped by the primary key) make the run's summaries be recounted rather than added to.
      const allNew = (inserted.get(runPk) ?? 0) === sent.get(runPk);
      await deferToCommit(trx, dialect, METRIC_TAIL, { runPk, metrics: w.batch.metrics, allNew });
    }
  }
  return outcomes;
}

/** log-batch (and log-metric, log-param, set-tag: one-item batches) through the group commit. */
export const LOG_BATCH: GroupedWrite<LogBatchWrite, void> = {
  name: "tracking.log-batch",
  many: runManyLogBatches,
  one: (trx, w, dialect) => logBatch(trx, dialect, w.runId, w.batch),
};
