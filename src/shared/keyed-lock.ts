/**
 * Mutual exclusion by key inside one process: work holding a set of keys runs
 * after all earlier work holding any of them. Keys are taken in sorted order,
 * so two holders of overlapping sets cannot wait on each other.
 * @module
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(keys: readonly string[], fn: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    const releases: (() => void)[] = [];
    try {
      for (const key of sorted) {
        const before = this.tails.get(key) ?? Promise.resolve();
        let release!: () => void;
        const mine = new Promise<void>((resolve) => (release = resolve));
        const tail = before.then(() => mine);
        this.tails.set(key, tail);
        releases.push(() => {
          release();
          // The last holder leaves no entry behind.
          if (this.tails.get(key) === tail) this.tails.delete(key);
        });
        await before;
      }
      return await fn();
    } finally {
      for (const r of releases) r();
    }
  }

  /** Keys someone holds or waits for (for tests: nothing is left behind). */
  get size(): number {
    return this.tails.size;
  }
}
