/**
 * Test helper: waits until a condition holds, checking it every few
 * milliseconds, and fails with the last value seen once `timeoutMs` passes.
 * For waiting on background work (jobs, child processes) without a sleep
 * that guesses how long it takes; the timeout only bounds a broken run.
 * @module
 */
import { setTimeout as delay } from "node:timers/promises";

export async function waitFor<T>(
  probe: () => Promise<T> | T,
  done: (value: T) => boolean,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${opts.what ?? "a condition"}; last value: ${JSON.stringify(value)?.slice(0, 500)}`);
    }
    await delay(opts.intervalMs ?? 20);
  }
}
