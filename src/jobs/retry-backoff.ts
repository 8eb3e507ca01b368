/**
 * How long a failed attempt waits before the next: exponential backoff with
 * "equal jitter" (half the delay fixed, half random), so that jobs failing
 * together on a shared cause do not all come back in the same instant.
 * @module
 */

export interface BackoffPolicy {
  /** Delay after the first failed attempt, ms. */
  baseMs: number;
  /** Upper bound of one delay, ms. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 5_000, maxMs: 10 * 60_000 };

/**
 * The wait after failed attempt number `attempt` (1-based): base·2^(attempt-1),
 * capped, then drawn from [d/2, d] with `random` in [0, 1).
 */
export function retryDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  return Math.round(exp / 2 + random() * (exp / 2));
}
