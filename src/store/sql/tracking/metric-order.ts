/**
 * MLflow's order of a series' points, which decides its latest value: later by step, then timestamp, then value
 * (NaN smallest).
 * @module
 */
import type { Metric } from "../../../shared/tracking-types.js";

/** Whether `a` comes after `b` in MLflow's order of a key's points. */
export function isLaterPoint(a: Metric, b: Metric): boolean {
  if (a.step !== b.step) return a.step > b.step;
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  const av = Number.isNaN(a.value) ? -Infinity : a.value;
  const bv = Number.isNaN(b.value) ? -Infinity : b.value;
  return av > bv;
}
