/**
 * Streaming state of a categorical column: its category frequencies, bounded
 * to CATEGORY_CAP categories (the rest counted as `other`) whatever the
 * number of rows.
 * @module
 */
import { CATEGORY_CAP, type CategoricalColumnProfile } from "./profile-types.js";

/** Counts categories; null and undefined are missing. */
export class CategoricalAccumulator {
  count = 0;
  missing = 0;
  other = 0;
  readonly #counts = new Map<string, number>();

  constructor(
    readonly name: string,
    public dtype: "string" | "bool",
  ) {}

  add(values: ArrayLike<string | null | undefined>): void {
    const m = this.#counts;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v === null || v === undefined) {
        this.missing++;
        continue;
      }
      const c = m.get(v);
      if (c !== undefined) m.set(v, c + 1);
      else if (m.size < CATEGORY_CAP) m.set(v, 1);
      else this.other++;
    }
    this.count += values.length;
  }

  /** Adds counted categories (a dictionary page's counts by index) and missing cells. */
  addCounts(keys: readonly string[], counts: ArrayLike<number>, missing: number): void {
    const m = this.#counts;
    for (let i = 0; i < keys.length; i++) {
      const n = counts[i];
      if (n === 0) continue;
      const k = keys[i];
      const c = m.get(k);
      if (c !== undefined) m.set(k, c + n);
      else if (m.size < CATEGORY_CAP) m.set(k, n);
      else this.other += n;
      this.count += n;
    }
    this.missing += missing;
    this.count += missing;
  }

  profile(): CategoricalColumnProfile {
    const categories = [...this.#counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return { name: this.name, kind: "cat", dtype: this.dtype, count: this.count, missing: this.missing, categories, other: this.other };
  }
}
