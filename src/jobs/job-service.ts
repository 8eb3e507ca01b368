/**
 * Jobs as the API and other capabilities see them: enqueue (checked against
 * the registered types and the payload limit), list, get, log lines, cancel
 * and retry. Routes call this; so does a capability that hands work to the
 * background.
 * @module
 */
import { InvalidParameterValueError } from "../shared/errors.js";
import type { Page } from "../tracking/types.js";
import type { JobStore } from "./job-store.js";
import type { JobRegistry } from "./job-types.js";
import { JOB_LIMITS, JOB_STATES, type EnqueueJobInput, type Job, type JobLogLine, type JobState } from "./types.js";

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
    return this.deps.store.listJobs({ states: q.states as JobState[] | undefined, types: q.types, maxResults, pageToken: q.pageToken });
  }

  logs(jobId: string, afterSeq = 0, maxResults: number = JOB_LIMITS.logsDefault): Promise<JobLogLine[]> {
    if (!Number.isInteger(afterSeq) || afterSeq < 0) throw new InvalidParameterValueError("after_seq must be a non-negative integer.");
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > JOB_LIMITS.logsMax) {
      throw new InvalidParameterValueError(`max_results must be between 1 and ${JOB_LIMITS.logsMax}.`);
    }
    return this.deps.store.readLogs(jobId, afterSeq, maxResults);
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
