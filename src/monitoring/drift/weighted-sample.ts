/**
 * A sample as its sorted distinct values with their counts — what a profile
 * keeps for a column of few distinct values, and what a raw array becomes
 * before any test. Every exact test works on this form, so an exact profile
 * and the raw data give the same numbers.
 * @module
 */

export interface WeightedSample {
  /** Distinct finite values, ascending. */
  values: Float64Array;
  /** How often each value occurs (positive integers). */
  counts: Float64Array;
  /** Σ counts. */
  n: number;
}

/** Sorts and groups raw values; NaN and ±Infinity are dropped, as Evidently drops them before testing. */
export function weightedSampleOf(raw: ArrayLike<number>): WeightedSample {
  const finite = new Float64Array(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i];
    if (Number.isFinite(v)) finite[n++] = v === 0 ? 0 : v; // -0 and 0 are one value
  }
  const sorted = finite.subarray(0, n).sort();
  return groupSorted(sorted);
}

/** Groups an ascending array into distinct values and counts. */
export function groupSorted(sorted: Float64Array): WeightedSample {
  const values: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const v = sorted[i];
    if (values.length > 0 && values[values.length - 1] === v) counts[counts.length - 1]++;
    else {
      values.push(v);
      counts.push(1);
    }
  }
  return { values: Float64Array.from(values), counts: Float64Array.from(counts), n: sorted.length };
}

/** Builds a sample from (value, count) pairs in any order. */
export function weightedSampleFromPairs(pairs: Iterable<readonly [number, number]>): WeightedSample {
  const list = [...pairs].filter(([, c]) => c > 0).sort((a, b) => a[0] - b[0]);
  let n = 0;
  for (const [, c] of list) n += c;
  return { values: Float64Array.from(list, (p) => p[0]), counts: Float64Array.from(list, (p) => p[1]), n };
}

/** Population mean and standard deviation (numpy's `np.std`, ddof = 0), two passes. */
export function meanStd(s: WeightedSample): { mean: number; std: number } {
  let sum = 0;
  for (let i = 0; i < s.values.length; i++) sum += s.values[i] * s.counts[i];
  const mean = sum / s.n;
  let ss = 0;
  for (let i = 0; i < s.values.length; i++) {
    const d = s.values[i] - mean;
    ss += d * d * s.counts[i];
  }
  return { mean, std: Math.sqrt(ss / s.n) };
}

/** Distinct values of the union of two samples. */
export function unionSize(a: WeightedSample, b: WeightedSample): number {
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.values.length || j < b.values.length) {
    if (j >= b.values.length || (i < a.values.length && a.values[i] < b.values[j])) i++;
    else if (i >= a.values.length || b.values[j] < a.values[i]) j++;
    else {
      i++;
      j++;
    }
    k++;
  }
  return k;
}

/**
 * Walks the union of the two samples' values in order, giving at each the
 * cumulative counts of both (values ≤ it: the right-continuous ECDFs, as
 * scipy's `searchsorted(side="right")`).
 */
export function* ecdfSteps(a: WeightedSample, b: WeightedSample): Generator<{ x: number; ca: number; cb: number }> {
  let i = 0;
  let j = 0;
  let ca = 0;
  let cb = 0;
  while (i < a.values.length || j < b.values.length) {
    let x: number;
    if (j >= b.values.length || (i < a.values.length && a.values[i] < b.values[j])) {
      x = a.values[i];
      ca += a.counts[i++];
    } else if (i >= a.values.length || b.values[j] < a.values[i]) {
      x = b.values[j];
      cb += b.counts[j++];
    } else {
      x = a.values[i];
      ca += a.counts[i++];
      cb += b.counts[j++];
    }
    yield { x, ca, cb };
  }
}
