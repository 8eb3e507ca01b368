/**
 * Jobs as the API and other capabilities see them: enqueue (checked against
 * the registered types and the payload limit), list, get, log lines, cancel
 * and retry. Routes call this; so does a capability that hands work to the
 * background.
 * @module
 */
import { setTimeout as delay } from "node:timers/promises";
import { InvalidParameterValueError } from "../shared/errors.js";
import type { Page } from "../shared/types.js";
import type { JobStore } from "./job-store.js";
import type { JobRegistry } from "./job-types.js";
import { FINISHED_STATES, JOB_LIMITS, JOB_STATES, type EnqueueJobInput, type Job, type JobLogLine, type JobSchedule, type JobState } from "./types.js";

/** How often a follow request re-reads a job's log while it waits. */
const FOLLOW_POLL_MS = 250;

export interface JobServiceDeps {
  store: JobStore;
  registry: JobRegistry;
  now?: () => number;
  /** Called after a job is enqueued (the local runner wakes instead of waiting for its poll). */
  onEnqueue?(): void;
}

export interface ListJobsInput {
  states?: string[];
  types?: string[];
  excludeTypes?: string[];
  maxResults?: number;
  pageToken?: string;
}

export class JobService {
  private readonly now: () => number;
  constructor(private readonly deps: JobServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  async enqueue(input: EnqueueJobInput): Promise<{ job: Job; created: boolean }> {
    const type = this.deps.registry.require(input.type);
    const text = JSON.stringify(input.payload ?? null);
    if (text === undefined) throw new InvalidParameterValueError("A job payload must be JSON.");
    if (Buffer.byteLength(text) > JOB_LIMITS.payloadBytes) {
      throw new InvalidParameterValueError(`A job payload is at most ${JOB_LIMITS.payloadBytes} bytes of JSON; this one is ${Buffer.byteLength(text)}.`);
    }
    type.validatePayload?.(input.payload ?? null);
    const maxAttempts = input.maxAttempts ?? type.maxAttempts ?? 3;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > JOB_LIMITS.maxAttempts) {
      throw new InvalidParameterValueError(`max_attempts must be an integer from 1 to ${JOB_LIMITS.maxAttempts}.`);
    }
    if (input.priority !== undefined && (!Number.isInteger(input.priority) || Math.abs(input.priority) > 1_000_000)) {
      throw new InvalidParameterValueError("priority must be an integer from -1000000 to 1000000.");
    }
    const key = input.idempotencyKey;
    if (key !== undefined && (key.length === 0 || key.length > JOB_LIMITS.idempotencyKeyChars)) {
      throw new InvalidParameterValueError(`An idempotency key has 1 to ${JOB_LIMITS.idempotencyKeyChars} characters.`);
    }
    const pin = input.pinnedTo;
    if (pin !== undefined && (pin.length === 0 || pin.length > JOB_LIMITS.workerChars)) {
      throw new InvalidParameterValueError(`A worker's name has 1 to ${JOB_LIMITS.workerChars} characters.`);
    }
    const out = await this.deps.store.enqueue({ ...input, payload: JSON.parse(text) as unknown, maxAttempts }, this.now());
    if (out.created) this.deps.onEnqueue?.();
    return out;
  }

  get(jobId: string): Promise<Job> {
    return this.deps.store.getJob(jobId);
  }

  list(q: ListJobsInput): Promise<Page<Job>> {
    for (const s of q.states ?? []) {
      if (!(JOB_STATES as readonly string[]).includes(s)) throw new InvalidParameterValueError(`Invalid job state '${s}'. Valid states: ${JOB_STATES.join(", ")}.`);
    }
    const maxResults = q.maxResults ?? JOB_LIMITS.listDefault;
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > JOB_LIMITS.listMax) {
      throw new InvalidParameterValueError(`max_results must be between 1 and ${JOB_LIMITS.listMax}.`);
    }
    return this.deps.store.listJobs({ states: q.states as JobState[] | undefined, types: q.types, excludeTypes: q.excludeTypes, maxResults, pageToken: q.pageToken });
  }

  /**
   * Log lines after `afterSeq`. With `waitMs` (follow), waits up to that long
   * for a line to appear while the job is unfinished, re-reading every
   * {@link FOLLOW_POLL_MS}; resolves early when `signal` fires (the client left).
   */
  async logs(jobId: string, q: { afterSeq?: number; maxResults?: number; waitMs?: number; signal?: AbortSignal } = {}): Promise<{ lines: JobLogLine[]; job: Job }> {
    const afterSeq = q.afterSeq ?? 0;
    const maxResults = q.maxResults ?? JOB_LIMITS.logsDefault;
    if (!Number.isInteger(afterSeq) || afterSeq < 0) throw new InvalidParameterValueError("after_seq must be a non-negative integer.");
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > JOB_LIMITS.logsMax) {
      throw new InvalidParameterValueError(`max_results must be between 1 and ${JOB_LIMITS.logsMax}.`);
    }
    const until = Date.now() + (q.waitMs ?? 0);
    for (;;) {
      // The state is read first: a line written after it is found by the next call, never lost.
      const job = await this.deps.store.getJob(jobId);
      const lines = await this.deps.store.readLogs(jobId, afterSeq, maxResults);
      if (lines.length > 0 || FINISHED_STATES.includes(job.state) || Date.now() >= until || q.signal?.aborted) return { lines, job };
      await delay(FOLLOW_POLL_MS, undefined, { signal: q.signal }).catch(() => {});
    }
  }

  schedules(): Promise<JobSchedule[]> {
    return this.deps.store.listSchedules();
  }

  cancel(jobId: string): Promise<Job> {
    return this.deps.store.cancel(jobId, this.now());
  }

  async retry(jobId: string): Promise<Job> {
    const job = await this.deps.store.retry(jobId, this.now());
    this.deps.onEnqueue?.();
    return job;
  }
}
