/**
 * Delivers one buffered batch: to the server (log-batch / log-inputs), or to
 * the offline spool. The transport has already retried network errors, 429
 * and 5xx; what is still transient here makes the run fall back to the spool.
 *
 * A 4xx means some entity is bad (a key MLflow refuses, a too-long value).
 * log-batch is all or nothing, so the batch is halved and the halves re-sent
 * until the refused entities are isolated: one bad key costs about
 * 2·log2(1000) ≈ 20 calls instead of 1,000 dropped points (at most 64 extra
 * calls per batch). A refusal about the run itself (deleted, unknown, not
 * allowed) drops the batch at once: every entity would fail.
 * @module
 */
import type { DatasetInput, Metric, Param } from "../shared/tracking-types.js";
import type { Tag } from "../shared/types.js";
import { isTransientError } from "./http-client.js";
import { LoggingError, type Dropped } from "./logging-errors.js";
import type { RunSpool } from "./offline-spool.js";
import type { LoggerTarget, RunLoggerStats } from "./run-logger-options.js";

export interface Batch {
  metrics: Metric[];
  params: Param[];
  tags: Tag[];
}

export interface DeliveryContext {
  /** Undefined when the run could not be created (already reported): the batch is dropped. */
  target: LoggerTarget | undefined;
  stats: RunLoggerStats;
  offlineFallback: boolean;
  /** Switches the run to the offline spool and returns it. */
  fallBack(err: unknown): RunSpool;
  report(err: LoggingError): void;
  /** Called after each call the server accepted. */
  onSent?(sent: Dropped): void;
  runId: string | undefined;
}

const MAX_BATCH_SAMPLES = 10_000;
/** Extra calls one refused batch may cost while its bad entities are isolated. */
const MAX_ISOLATION_CALLS = 64;

/** Refusals about the run itself (gone, deleted, not allowed): every entity would fail, so splitting is pointless. */
function refusesEverything(err: unknown): boolean {
  const e = err as { errorCode?: string; message?: string };
  if (e.errorCode === "RESOURCE_DOES_NOT_EXIST" || e.errorCode === "INVALID_STATE") return true;
  if (e.errorCode === "PERMISSION_DENIED" || e.errorCode === "UNAUTHENTICATED" || e.errorCode === "CUSTOMER_UNAUTHORIZED") return true;
  return /must be in the 'active' state/.test(e.message ?? "");
}

export async function deliverBatch(ctx: DeliveryContext, batch: Batch, inputs?: DatasetInput[]): Promise<void> {
  const t = ctx.target;
  if (!t) return;
  if (t.mode === "offline") return toSpool(ctx, t.spool, batch, inputs);
  const state = { spool: undefined as RunSpool | undefined };
  /** Sends a part; undefined when it is done with (sent, or spooled after a fallback), else the refusal. */
  const sendPart = async (part: Batch, ins?: DatasetInput[]): Promise<unknown> => {
    if (state.spool) return void toSpool(ctx, state.spool, part, ins);
    try {
      if (ins) await t.client.logInputs(t.run.runId, ins);
      else await t.client.logBatch(t.run.runId, part);
      count(ctx.stats, part, ins);
      ctx.onSent?.(dropped(part, ins));
      return undefined;
    } catch (err) {
      if (!isTransientError(err)) return err;
      if (!ctx.offlineFallback) {
        ctx.report(new LoggingError(`${(err as Error).message}; ${describe(part, ins)} dropped (offline fallback is off).`,
          "unreachable", ctx.runId, dropped(part, ins), { cause: err }));
        return undefined;
      }
      state.spool = ctx.fallBack(err);
      toSpool(ctx, state.spool, part, ins);
      return undefined;
    }
  };
  let budget = MAX_ISOLATION_CALLS;
  const isolate = async (part: Batch, err: unknown): Promise<void> => {
    if (size(part) <= 1 || budget <= 0 || refusesEverything(err)) return reject(ctx, part, err);
    const [a, b] = halve(part);
    budget -= 2;
    const ea = await sendPart(a);
    const eb = await sendPart(b);
    if (ea !== undefined) await isolate(a, ea);
    if (eb !== undefined) await isolate(b, eb);
  };

  const err = await sendPart(batch, inputs);
  if (err === undefined) return;
  if (inputs) {
    ctx.report(new LoggingError(`The server refused ${describe(batch, inputs)} for run ${ctx.runId}: ${(err as Error).message}`,
      "rejected", ctx.runId, dropped(batch, inputs), { cause: err }));
    return;
  }
  await isolate(batch, err);
}

function toSpool(ctx: DeliveryContext, spool: RunSpool, batch: Batch, inputs?: DatasetInput[]): void {
  try {
    if (inputs) spool.appendInputs(inputs);
    else spool.appendBatch(batch);
    ctx.stats.spooledRecords++;
  } catch (err) {
    ctx.report(new LoggingError(`Could not write the offline spool ${spool.dir}: ${(err as Error).message}; ${describe(batch, inputs)} dropped.`,
      "failed", ctx.runId, dropped(batch, inputs), { cause: err }));
  }
}

function reject(ctx: DeliveryContext, part: Batch, err: unknown): void {
  ctx.report(new LoggingError(`The server refused ${describe(part)} for run ${ctx.runId}: ${(err as Error).message}`,
    "rejected", ctx.runId, dropped(part), { cause: err }));
}

function count(stats: RunLoggerStats, b: Batch, inputs?: DatasetInput[]): void {
  if (inputs) {
    stats.inputs += inputs.length;
    return;
  }
  stats.batches++;
  stats.metrics += b.metrics.length;
  stats.params += b.params.length;
  stats.tags += b.tags.length;
  if (stats.metricsPerBatch.length < MAX_BATCH_SAMPLES) stats.metricsPerBatch.push(b.metrics.length);
}

function size(b: Batch): number {
  return b.metrics.length + b.params.length + b.tags.length;
}

/** Splits a batch's entities (params, tags, metrics, in that order) into two halves. */
function halve(b: Batch): [Batch, Batch] {
  const mid = Math.ceil(size(b) / 2);
  const cut = <T>(list: T[], offset: number): [T[], T[]] => {
    const at = Math.max(0, Math.min(list.length, mid - offset));
    return [list.slice(0, at), list.slice(at)];
  };
  const [p1, p2] = cut(b.params, 0);
  const [t1, t2] = cut(b.tags, b.params.length);
  const [m1, m2] = cut(b.metrics, b.params.length + b.tags.length);
  return [
    { metrics: m1, params: p1, tags: t1 },
    { metrics: m2, params: p2, tags: t2 },
  ];
}

/** Entity counts of a batch (what was dropped, or sent). */
function dropped(b: Batch, inputs?: DatasetInput[]): Dropped {
  return { metrics: b.metrics.length, params: b.params.length, tags: b.tags.length, inputs: inputs?.length ?? 0 };
}

function describe(b: Batch, inputs?: DatasetInput[]): string {
  if (inputs) return `${inputs.length} dataset input(s) (${inputs.map((i) => i.dataset.name).join(", ")})`;
  const parts: string[] = [];
  const keys = (items: Array<{ key: string }>) => {
    const uniq = [...new Set(items.map((i) => i.key))];
    return uniq.length > 3 ? `${uniq.slice(0, 3).join(", ")}, ...` : uniq.join(", ");
  };
  if (b.metrics.length) parts.push(`${b.metrics.length} metric point(s) (${keys(b.metrics)})`);
  if (b.params.length) parts.push(`${b.params.length} param(s) (${keys(b.params)})`);
  if (b.tags.length) parts.push(`${b.tags.length} tag(s) (${keys(b.tags)})`);
  return parts.join(", ");
}
