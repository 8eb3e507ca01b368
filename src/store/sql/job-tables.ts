/**
 * Table types of the job runner and the event stream (migration 0009).
 * @module
 */
import type { Generated } from "kysely";

export interface JobsTable {
  id: Generated<number>;
  type: string;
  /** JSON text. */
  payload: string;
  state: string;
  priority: number;
  attempts: number;
  max_attempts: number;
  /** Epoch ms before which the job is not leased. */
  run_after: number;
  idempotency_key: string | null;
  schedule: string | null;
  /** The only worker that may lease the job (migration 0026); null: any worker. */
  pinned_to: Generated<string | null>;
  lease_owner: string | null;
  lease_until: number | null;
  cancel_requested: Generated<number>;
  progress: number | null;
  progress_message: string | null;
  /** JSON text. */
  result: string | null;
  error: string | null;
  log_count: Generated<number>;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  finished_at: number | null;
}

export interface JobLogsTable {
  job_id: number;
  seq: number;
  time: number;
  attempt: number;
  level: string;
  message: string;
}

export interface JobSchedulesTable {
  name: string;
  type: string;
  cron: string;
  timezone: string;
  payload: string;
  next_run_at: number;
  last_run_at: number | null;
  last_job_id: number | null;
  updated_at: number;
}

/** The generic outbox: events that capabilities publish in their own write transactions. */
export interface StreamEventsTable {
  id: Generated<number>;
  /** xid8 text on PostgreSQL, 0 on SQLite (see migration 0009). */
  tx: Generated<string | number>;
  time: number;
  type: string;
  subject: string | null;
  /** JSON text. */
  payload: string;
}

export interface EventCursorsTable {
  subscriber: string;
  source: string;
  cursor_tx: string;
  cursor_id: number;
  lease_owner: string | null;
  lease_until: number | null;
  updated_at: number;
}

/** A running worker's announcement (migration 0026): alive while `seen_until` is ahead of the clock. */
export interface JobWorkersTable {
  worker: string;
  seen_until: number;
  started_at: number;
}
