/**
 * Cron expressions, read by croner (zero dependencies, Node ≥18, IANA time
 * zones through Intl, five fields or six with seconds first). Only the
 * parsing and "next tick after" are used: ticks are fired by the scheduler
 * against the database, not by croner's timers, so replicas agree.
 * @module
 */
import { Cron } from "croner";
import { InvalidParameterValueError } from "../shared/errors.js";

export interface CronSpec {
  cron: string;
  timezone: string;
}


/** Throws INVALID_PARAMETER_VALUE for a pattern or zone croner cannot read, or one that never fires. */
export function validateCron(spec: CronSpec): void {
  if (nextTick(spec, Date.now()) === undefined) throw new InvalidParameterValueError(`Cron schedule '${spec.cron}' never fires.`);
}

/** The first tick strictly after `after` (epoch ms), or undefined if there is none. */
export function nextTick(spec: CronSpec, after: number): number | undefined {
  let next: Date | null;
  try {
    // An unknown zone surfaces only when a date is converted, hence both steps inside.
    next = new Cron(spec.cron, { timezone: spec.timezone, paused: true }).nextRun(new Date(after));
  } catch (err) {
    throw new InvalidParameterValueError(`Invalid cron schedule '${spec.cron}' (${spec.timezone}): ${(err as Error).message}`);
  }
  return next ? next.getTime() : undefined;
}
