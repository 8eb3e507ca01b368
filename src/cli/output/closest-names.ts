/**
 * Names close to one that was not found, for "did you mean" hints: the same name in another case, names that contain
 * it or that it contains, and names within a small edit distance (a typo or two; two letters swapped count as one).
 * Best first, at most `limit`.
 * @module
 */

/** Edit distance with adjacent swaps (optimal string alignment), stopping once it exceeds `max` (then max + 1). */
function distance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2]! + 1);
      row[j] = d;
      best = Math.min(best, d);
    }
    if (best > max) return max + 1;
    before = prev;
    prev = row;
  }
  return prev[b.length]!;
}

export function closestNames(wanted: string, names: Iterable<string>, limit = 3): string[] {
  const w = wanted.toLowerCase();
  // Up to 2 edits, 1 for names of 3–5 letters, none below, so "a" does not match every short name.
  const max = w.length >= 6 ? 2 : w.length >= 3 ? 1 : 0;
  const scored: Array<{ name: string; score: number }> = [];
  for (const name of names) {
    const n = name.toLowerCase();
    // 0: the same but for case; then one edit, a part of the other, two edits.
    const d = distance(w, n, max);
    const score = d <= max ? d : w.length >= 3 && (n.includes(w) || w.includes(n)) ? 1.5 : undefined;
    if (score !== undefined) scored.push({ name, score });
  }
  scored.sort((a, b) => a.score - b.score || a.name.localeCompare(b.name));
  return scored.slice(0, limit).map((s) => s.name);
}
