/**
 * Brute-force limits on password sign-in (MLflow has none: "There is no limit
 * to how many login attempts can be made"). Two layers: failures per client
 * address in a sliding window, kept in memory (a replica counts its own), and
 * a per-account lockout after consecutive failures, kept in the database so
 * every replica honours it. Tokens are not throttled: they cannot be guessed.
 * @module
 */
export interface ThrottleSettings {
  /** Failed attempts one address may make per window before it is refused. */
  maxFailuresPerAddress: number;
  windowMs: number;
  /** Consecutive failures that lock an account, and for how long. */
  maxFailuresPerAccount: number;
  lockMs: number;
}

export const DEFAULT_THROTTLE: ThrottleSettings = {
  maxFailuresPerAddress: 20,
  windowMs: 5 * 60_000,
  maxFailuresPerAccount: 10,
  lockMs: 15 * 60_000,
};

const MAX_TRACKED = 10_000;

export class AddressThrottle {
  private readonly failures = new Map<string, number[]>();
  constructor(private readonly settings: ThrottleSettings, private readonly now: () => number = Date.now) {}

  /** Seconds the address must wait, or 0 when it may try. */
  retryAfter(address: string): number {
    const list = this.recent(address);
    if (list.length < this.settings.maxFailuresPerAddress) return 0;
    return Math.max(1, Math.ceil((list[0]! + this.settings.windowMs - this.now()) / 1000));
  }

  fail(address: string): void {
    const list = this.recent(address);
    list.push(this.now());
    this.failures.set(address, list);
    if (this.failures.size > MAX_TRACKED) {
      // Bounded memory under a distributed attack: the oldest entry goes.
      const first = this.failures.keys().next().value;
      if (first !== undefined) this.failures.delete(first);
    }
  }

  succeed(address: string): void {
    this.failures.delete(address);
  }

  private recent(address: string): number[] {
    const since = this.now() - this.settings.windowMs;
    const list = (this.failures.get(address) ?? []).filter((t) => t > since);
    if (list.length === 0) this.failures.delete(address);
    return list;
  }
}
