/**
 * The jobs capability's public entry: what other capabilities may use.
 * Other capabilities import from here, never from the files behind it
 * (the boundary test in src/architecture.test.ts enforces it).
 * @module
 */

export type { JobType, ScheduleDefinition } from "./job-types.js";
export { nextTick, validateCron, type CronSpec } from "./cron-schedule.js";
