/**
 * Delivers the event stream to subscribers: for each (subscriber, source) it
 * leases the durable cursor (one replica delivers at a time), reads the
 * events after it, calls the subscriber for those it wants, and moves the
 * cursor past each event only once its handler resolved. A handler that
 * throws holds its cursor and is tried again after a backoff; other
 * subscribers go on. Delivery is at least once: a replica that dies between a
 * handler's return and the cursor's write leaves that event to be delivered
 * again.
 * @module
 */
import type { EventStore } from "./job-store.js";
import { matchesType, type EventSubscriber } from "./job-types.js";
import type { RunnerLogger } from "./job-runner.js";
import { retryDelay, type BackoffPolicy } from "./retry-backoff.js";

export interface EventDispatcherDeps {
  events: EventStore;
  subscribers: readonly EventSubscriber[];
  owner: string;
  leaseMs: number;
  now: () => number;
  logger: RunnerLogger;
  /** Events read per claim (default 100). */
  batch?: number;
  backoff?: BackoffPolicy;
  random?: () => number;
}

const DEFAULT_EVENT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 5 * 60_000 };

export class EventDispatcher {
  private readonly failures = new Map<string, { count: number; retryAt: number }>();
  private readonly claimed = new Set<string>();

  constructor(private readonly deps: EventDispatcherDeps) {}

  /** One pass over every subscriber and source; resolves with the number of events handed to handlers. */
  async pass(signal: AbortSignal): Promise<number> {
    let delivered = 0;
    for (const sub of this.deps.subscribers) {
      for (const source of this.deps.events.sources) {
        if (signal.aborted) return delivered;
        const key = `${sub.name}\u0000${source}`;
        const failed = this.failures.get(key);
        if (failed && failed.retryAt > this.deps.now()) continue;
        try {
          delivered += await this.drain(sub, source, key, signal);
          this.failures.delete(key);
        } catch (err) {
          const count = (failed?.count ?? 0) + 1;
          const wait = retryDelay(count, this.deps.backoff ?? DEFAULT_EVENT_BACKOFF, this.deps.random);
          this.failures.set(key, { count, retryAt: this.deps.now() + wait });
          this.deps.logger.error({ err, subscriber: sub.name, source, failures: count, retryInMs: wait }, "jobs: event subscriber failed");
        }
      }
    }
    return delivered;
  }

  /** Gives back every cursor this dispatcher leased (shutdown). */
  async release(): Promise<void> {
    for (const key of this.claimed) {
      const [subscriber, source] = key.split("\u0000");
      await this.deps.events.releaseCursor(subscriber, source, this.deps.owner).catch(() => {});
    }
    this.claimed.clear();
  }

  private async drain(sub: EventSubscriber, source: string, key: string, signal: AbortSignal): Promise<number> {
    const { events, owner, leaseMs, now } = this.deps;
    const batch = this.deps.batch ?? 100;
    let delivered = 0;
    for (;;) {
      const list = await events.claim({ subscriber: sub.name, source, owner, leaseMs, limit: batch, from: sub.from ?? "now", now: now() });
      if (list === undefined) {
        this.claimed.delete(key);
        return delivered; // another replica delivers this one
      }
      this.claimed.add(key);
      let unsaved: string | undefined;
      for (const event of list) {
        if (signal.aborted) break;
        if (matchesType(sub.types, event.type)) {
          await sub.handle(event, signal);
          delivered++;
          if (!(await events.advance({ subscriber: sub.name, source, owner, position: event.position, leaseMs, now: now() }))) return delivered;
          unsaved = undefined;
        } else {
          unsaved = event.position;
        }
      }
      // Events nobody here wanted are passed in one write.
      if (unsaved !== undefined && !(await events.advance({ subscriber: sub.name, source, owner, position: unsaved, leaseMs, now: now() }))) return delivered;
      if (list.length < batch || signal.aborted) return delivered;
    }
  }
}
