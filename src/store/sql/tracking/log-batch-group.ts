/**
 * log-batch for a whole group commit at once (PostgreSQL): the concurrent
 * log-batch and log-metric requests of a group share one statement
 * (log-batch-statement.ts: every table, latest values and summaries included),
 * so a group costs a fixed few round trips whatever its size — one, without a
 * transaction, when no input carries params (`solo`).
 *
 * Every input is validated before anything is written — its run exists and is
 * active, its params agree with the stored ones and with the group's earlier
 * inputs — and a failing input is rejected alone, having written nothing. What
 * cannot be known up front (a param another transaction inserted meanwhile, a
 * point that gains a model link) makes `many` throw, and the group runs again
 * one input at a time (`one`, the plain log-batch of log-batch.ts).
 *
 * With the connection's metric inbox (metric-inbox.ts), a group of small writes sends its plain points as ONE
 * inbox row in the same statement instead of chunks, latest values and summaries (folded later).
 * @module
 */
import type { Kysely } from "kysely";
import { RUN_NAME_TAG } from "../../../shared/system-tags.js";
import type { Metric } from "../../../shared/tracking-types.js";
import type { LogBatchInput } from "../../../tracking/tracking-store.js";
import { dedupeTags } from "./experiment-queries.js";
import type { GroupedWrite, WriteOutcome } from "../group-commit-queue.js";
import { logBatch, paramChanged } from "./log-batch.js";
import { groupStatement, type GroupAnswerRow, type GroupRows } from "./log-batch-statement.js";
import { aggregateBuckets } from "./metric-buckets.js";
import { buildChunks, OVERLAP_SQLSTATE, sortUnique } from "./metric-chunks.js";
import { inboxOf, inboxPays } from "./metric-inbox.js";
import { packInboxPoints, type PlacedPoints } from "./metric-inbox-points.js";
import { splitSeries } from "./open-bucket.js";
import { requireActiveRun, runNotFound } from "./run-queries.js";
import type { Database } from "../schema.js";
import type { SqlDialect } from "../sql-dialect.js";

type Db = Kysely<Database>;

export interface LogBatchWrite {
  runId: string;
  batch: LogBatchInput;
}

/** Thrown to run the group one input at a time; never reaches a caller. */
class NotBatchable extends Error {}

const pairKey = (runPk: number, key: string) => `${runPk}\u0000${key}`;

/** Runs the group statement; a series whose row holds a point at or after its first point sent makes the group run the careful way (chunk-writes.ts). */
async function runGroupStatement(db: Db, dialect: SqlDialect, rows: GroupRows): Promise<GroupAnswerRow[]> {
  const { text, values } = groupStatement(rows);
  try {
    return await dialect.runPrepared<GroupAnswerRow>(db, text, values);
  } catch (err) {
    if ((err as { code?: string }).code === OVERLAP_SQLSTATE) throw new NotBatchable("points may meet stored ones");
    throw err;
  }
}

async function runManyLogBatches(trx: Db, inputs: readonly LogBatchWrite[], dialect: SqlDialect): Promise<Array<WriteOutcome<void>>> {
  // MLflow 3.x model links on points need the per-input path (an existing point may gain its link).
  if (inputs.some((w) => w.batch.metrics.some((m) => m.modelId || m.datasetName || m.datasetDigest))) {
    throw new NotBatchable("linked metric points");
  }
  const uuids = [...new Set(inputs.map((w) => w.runId))];
  const keys = [...new Set(inputs.flatMap((w) => w.batch.params.map((p) => p.key)))];
  // The runs, and the stored values of the params the group sends (to refuse changes before writing anything).
  const found = await dialect.runPrepared<{ id: number; run_uuid: string; lifecycle_stage: string; key: string | null; value: string | null }>(
    trx,
    "select r.id, r.run_uuid, r.lifecycle_stage, p.key, p.value from runs r " +
      "left join params p on p.run_id = r.id and p.key = any($2::text[]) where r.run_uuid = any($1::text[]) for key share of r",
    [uuids, keys],
  );
  const runByUuid = new Map(found.map((r) => [r.run_uuid, r]));
  const stored = new Map<string, string>();
  for (const r of found) if (r.key !== null) stored.set(pairKey(r.id, r.key), r.value!);

  const outcomes: Array<WriteOutcome<void>> = [];
  const newParams = new Map<string, [string, string, string]>();
  const accepted: LogBatchWrite[] = [];
  for (const w of inputs) {
    const run = runByUuid.get(w.runId);
    try {
      if (!run) throw runNotFound(w.runId);
      requireActiveRun(run);
      // Params: write-once, checked against the stored values and the group's earlier inputs.
      const mine = new Map<string, [string, string, string]>();
      for (const p of w.batch.params) {
        const id = pairKey(run.id, p.key);
        const old = mine.get(id)?.[2] ?? stored.get(id) ?? newParams.get(id)?.[2];
        if (old !== undefined && old !== p.value) throw paramChanged(p.key, old, w.runId, p.value);
        mine.set(id, [w.runId, p.key, p.value]);
      }
      for (const [id, row] of mine) if (!stored.has(id)) newParams.set(id, row);
    } catch (error) {
      outcomes.push({ ok: false, error });
      continue;
    }
    accepted.push(w);
    outcomes.push({ ok: true, value: undefined });
  }
  if (accepted.length === 0) return outcomes;
  const inbox = inboxOf(dialect);
  const rows = groupRows(accepted, inbox !== undefined);
  rows.params = [...newParams.values()];
  const answer = await runGroupStatement(trx, dialect, rows);
  // Fewer rows than expected: another transaction logged one of these params since the check above.
  if (rows.params.length > 0 && answer[0]?.params_inserted !== rows.params.length) throw new NotBatchable("a param was logged concurrently");
  // A run deleted since the check above was skipped by the statement: its inputs must fail, not succeed.
  if (answer.length !== rows.uuids.length || answer.some((r) => r.lifecycle_stage !== "active")) throw new NotBatchable("a run changed meanwhile");
  if (rows.inbox) inbox?.noteWritten(rows.inbox.cnt);
  return outcomes;
}

/**
 * The rows of `inputs` (runs by uuid): tags with the group's last value of a key winning, renames, points, and
 * what they derive per series — its latest point and the summary of its points in that point's bucket, the
 * summaries of its other points per bucket.
 */
function groupRows(inputs: readonly LogBatchWrite[], withInbox: boolean): GroupRows {
  let points = 0;
  for (const w of inputs) points += w.batch.metrics.length;
  const inbox = withInbox && inboxPays(points, inputs.length);
  const tags = new Map<string, [string, string, string]>();
  const names = new Map<string, string>();
  const chunks: GroupRows["chunks"] = [];
  type Series = { runId: string; run: number; key: string; points: Metric[] };
  // By run, then key: no string built per point.
  const byRun = new Map<string, Map<string, Series>>();
  const uuids = [...new Set(inputs.map((w) => w.runId))];
  // Points name their run by its place in `uuids`: a few digits instead of a 32-character uuid per point.
  const place = new Map(uuids.map((u, i) => [u, i + 1]));
  // With the metric inbox, the points go into its one row as they were sent (folded later: metric-inbox.ts).
  const placed: PlacedPoints[] = [];
  for (const w of inputs) {
    // As if the inputs had run one after another: the last value of a tag wins.
    for (const t of dedupeTags(w.batch.tags)) {
      const id = `${w.runId}\u0000${t.key}`;
      tags.delete(id);
      tags.set(id, [w.runId, t.key, t.value]);
      if (t.key === RUN_NAME_TAG) names.set(w.runId, t.value);
    }
    const run = place.get(w.runId)!;
    if (inbox) {
      if (w.batch.metrics.length > 0) placed.push({ place: run - 1, metrics: w.batch.metrics });
      continue;
    }
    let keys = byRun.get(w.runId);
    if (!keys) byRun.set(w.runId, (keys = new Map()));
    for (const m of w.batch.metrics) {
      const s = keys.get(m.key);
      if (s) s.points.push(m);
      else keys.set(m.key, { runId: w.runId, run, key: m.key, points: [m] });
    }
  }
  const bySeries: Series[] = [];
  for (const keys of byRun.values()) bySeries.push(...keys.values());
  const series: unknown[][] = [];
  const rest = new Map<string, Metric[]>();
  for (const { runId, run, key, points: sent } of bySeries) {
    // A point sent twice (by two inputs, or twice in one) is one point.
    const pts = sortUnique(sent);
    for (const chunk of buildChunks(pts)) chunks.push({ run, key, chunk });
    const { latest: m, top: t, rest: others } = splitSeries(pts);
    const nan = Number.isNaN(m.value);
    series.push([runId, m.key, m.step, m.timestamp, nan ? null : m.value, nan ? 1 : 0, t.cnt, t.minV, t.minS, t.minT, t.maxV, t.maxS, t.maxT, pts[0].step, pts[0].timestamp]);
    if (others.length === 0) continue;
    const list = rest.get(runId);
    if (list) list.push(...others);
    else rest.set(runId, others);
  }
  const buckets: unknown[][] = [];
  for (const [runId, metrics] of rest) {
    for (const a of aggregateBuckets(metrics)) buckets.push([runId, a.key, a.level, a.bucket, a.cnt, a.minV, a.minS, a.minT, a.maxV, a.maxS, a.maxT]);
  }
  return {
    uuids,
    params: [],
    tags: [...tags.values()],
    names: [...names],
    chunks,
    series,
    buckets,
    inbox: placed.length > 0 ? packInboxPoints(placed) : undefined,
  };
}

/**
 * A group without params (log-metric, set-tag, log-batch of metrics and tags): one statement, no transaction,
 * its points sent as new (two statements when one was stored already: see log-batch-statement.ts).
 * Inputs whose run is missing or not active wrote nothing (the statement joins active runs) and are rejected.
 */
async function soloLogBatches(db: Db, inputs: readonly LogBatchWrite[], dialect: SqlDialect): Promise<Array<WriteOutcome<void>> | undefined> {
  if (inputs.some((w) => w.batch.params.length > 0)) return undefined;
  if (inputs.some((w) => w.batch.metrics.some((m) => m.modelId || m.datasetName || m.datasetDigest))) {
    throw new NotBatchable("linked metric points");
  }
  const inbox = inboxOf(dialect);
  const rows = groupRows(inputs, inbox !== undefined);
  const answer = await runGroupStatement(db, dialect, rows);
  if (rows.inbox) inbox?.noteWritten(rows.inbox.cnt);
  const stage = new Map(answer.map((r) => [r.run_uuid, r.lifecycle_stage]));
  return inputs.map((w): WriteOutcome<void> => {
    const lifecycle = stage.get(w.runId);
    try {
      if (lifecycle === undefined) throw runNotFound(w.runId);
      requireActiveRun({ run_uuid: w.runId, lifecycle_stage: lifecycle });
      return { ok: true, value: undefined };
    } catch (error) {
      return { ok: false, error };
    }
  });
}

/** log-batch (and log-metric, log-param, set-tag: one-item batches) through the group commit. */
export const LOG_BATCH: GroupedWrite<LogBatchWrite, void> = {
  name: "tracking.log-batch",
  many: runManyLogBatches,
  solo: soloLogBatches,
  one: (trx, w, dialect) => logBatch(trx, dialect, w.runId, w.batch),
  weight: (w) => Math.max(1, w.batch.metrics.length + w.batch.params.length + w.batch.tags.length),
};
