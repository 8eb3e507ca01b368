/**
 * How a capability adds background work: a {@link JobType} (a handler and
 * its retry policy), optionally a cron {@link ScheduleDefinition} that
 * enqueues it, and {@link EventSubscriber}s for the event stream. The server
 * collects them into one {@link JobRegistry} and the runner leases only the
 * types it has handlers for.
 * @module
 */
import { InvalidParameterValueError } from "../shared/errors.js";
import type { BackoffPolicy } from "./retry-backoff.js";
import type { JobLogLevel, StreamEvent } from "./types.js";

/** What a handler gets besides its payload. */
export interface JobContext {
  jobId: string;
  /** 1 on the first attempt. */
  attempt: number;
  maxAttempts: number;
  /**
   * Fires when the job is cancelled, its lease is lost, or the server shuts
   * down; the handler should stop soon after (pass it to fetch, streams, loops).
   */
  signal: AbortSignal;
  /** A log line, readable through `GET /api/ciclo/v1/jobs/{id}/logs` (written with the next heartbeat). */
  log(message: string, level?: JobLogLevel): void;
  /** Progress in [0, 1] with an optional message (written with the next heartbeat). */
  progress(fraction: number, message?: string): void;
}

export interface JobType<P = unknown> {
  /** `<capability>.<verb>`, e.g. `gc.purge`. */
  type: string;
  /**
   * Runs one attempt. Resolves with a JSON-serializable result (stored, at
   * most 64 KiB); throws to fail the attempt (retried with backoff while
   * attempts remain). Must tolerate running again after a crash: delivery is
   * at least once.
   */
  handle(payload: P, ctx: JobContext): Promise<unknown>;
  /** Attempts in all (default 3). */
  maxAttempts?: number;
  backoff?: BackoffPolicy;
  /** Checks a payload at enqueue time; throw InvalidParameterValueError to refuse it. */
  validatePayload?(payload: unknown): void;
}

/** A cron schedule a capability declares; fired once per tick across all replicas. */
export interface ScheduleDefinition {
  name: string;
  type: string;
  cron: string;
  /** Default UTC. */
  timezone?: string;
  payload?: unknown;
}

/** A named consumer of the event stream with a durable cursor per source. */
export interface EventSubscriber {
  /** Stable: the cursor is stored under it. */
  name: string;
  /** Event types it wants (exact, or a prefix ending in `*`); others pass by without a call. */
  types: string[];
  /** Where a new subscriber starts: at the end of each source (default) or at its start. */
  from?: "now" | "start";
  /**
   * Called at least once per matching event, in order within a source; the
   * cursor moves past an event only after this resolves, so a throw means
   * "again later" (with backoff). Keep it quick and idempotent: enqueue a job
   * (idempotency key = the event's source and position) for real work.
   */
  handle(event: StreamEvent, signal: AbortSignal): Promise<void>;
}

const TYPE_NAME = /^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)+$/;

export class JobRegistry {
  private readonly types = new Map<string, JobType>();
  readonly schedules: ScheduleDefinition[] = [];
  readonly subscribers: EventSubscriber[] = [];
  /** Schedules this server no longer declares (e.g. one switched off in its config): deleted at start. */
  readonly retired: string[] = [];

  add(...types: JobType<never>[]): this {
    for (const t of types) {
      if (!TYPE_NAME.test(t.type) || t.type.length > 200) throw new Error(`Job type '${t.type}' must look like capability.verb (lowercase).`);
      if (this.types.has(t.type)) throw new Error(`Job type '${t.type}' is registered twice.`);
      this.types.set(t.type, t as JobType);
    }
    return this;
  }

  schedule(...defs: ScheduleDefinition[]): this {
    this.schedules.push(...defs);
    return this;
  }

  retire(...names: string[]): this {
    this.retired.push(...names);
    return this;
  }

  subscribe(...subs: EventSubscriber[]): this {
    for (const s of subs) {
      if (this.subscribers.some((x) => x.name === s.name)) throw new Error(`Event subscriber '${s.name}' is registered twice.`);
      this.subscribers.push(s);
    }
    return this;
  }

  get(type: string): JobType | undefined {
    return this.types.get(type);
  }

  /** The registered type, or INVALID_PARAMETER_VALUE naming the known ones. */
  require(type: string): JobType {
    const t = this.types.get(type);
    if (!t) throw new InvalidParameterValueError(`Unknown job type '${type}'. Known types: ${this.names().join(", ") || "(none)"}.`);
    return t;
  }

  names(): string[] {
    return [...this.types.keys()].sort();
  }
}

/** Does `type` match one of the subscriber's patterns (`registry.*`, or exact)? */
export function matchesType(patterns: readonly string[], type: string): boolean {
  return patterns.some((p) => (p.endsWith("*") ? type.startsWith(p.slice(0, -1)) : p === type));
}
