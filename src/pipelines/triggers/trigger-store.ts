/**
 * Where triggers and their firings are kept (SQL in
 * `store/sql/pipeline-triggers/`). A firing is claimed before the pipeline
 * starts: the claim is the insert of its key, so two deliveries of the same
 * webhook, or two replicas handling the same tick, start one run.
 * @module
 */
import type { FiringOutcome, FiringRecord, TriggerKind, TriggerRecord } from "./trigger-types.js";

export interface TriggerStore {
  /** False when a trigger of that name exists. */
  insert(t: TriggerRecord): Promise<boolean>;
  get(triggerId: string): Promise<TriggerRecord | undefined>;
  getByName(name: string): Promise<TriggerRecord | undefined>;
  list(kind?: TriggerKind): Promise<TriggerRecord[]>;
  /** Deletes the trigger and its firings; false when absent. */
  delete(triggerId: string): Promise<boolean>;
  /** Compare-and-set of a cron trigger's next tick: true for the one caller that moved it from `expected`. */
  advanceCron(triggerId: string, expected: number, next: number, now: number): Promise<boolean>;
  /** Inserts a `pending` firing; false when the key was seen (a replay). */
  claimFiring(f: { triggerId: string; firingKey: string; firedAt: number; detail: Record<string, unknown> }): Promise<boolean>;
  finishFiring(triggerId: string, firingKey: string, result: { outcome: Exclude<FiringOutcome, "pending">; reason?: string; runId?: string }): Promise<void>;
  /** Forgets a claim whose pipeline could not start, so the provider's retry is not refused as a replay. */
  dropFiring(triggerId: string, firingKey: string): Promise<void>;
  getFiring(triggerId: string, firingKey: string): Promise<FiringRecord | undefined>;
  /** Newest first. */
  listFirings(triggerId: string, limit: number): Promise<FiringRecord[]>;
}
