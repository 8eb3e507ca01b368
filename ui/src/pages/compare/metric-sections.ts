/**
 * The Compare grid's layout: metric keys grouped into sections by their
 * prefix — `train/loss` and `train/acc` under "train", `val/…` under "val",
 * as W&B groups its panels — keys without a prefix together, a search that
 * narrows every section, and which sections are folded (`fold=` in the URL;
 * absent: only `system/` metrics, which MLflow logs by the dozen, start
 * folded). Pure: the prefetch uses it to load the charts the grid will show
 * first, before the page's code has arrived.
 */

export interface MetricSection {
  /** The prefix, or "" for keys without one. */
  id: string;
  title: string;
  keys: string[];
  folded: boolean;
}

/** Sections folded when the URL says nothing. */
export const DEFAULT_FOLDED = ["system"];
/** Charts a section shows before "Show all". */
export const CHARTS_PER_SECTION = 24;

export function prefixOf(key: string): string {
  const slash = key.indexOf("/");
  return slash > 0 ? key.slice(0, slash) : "";
}

/** The folded section ids from `fold=` (decoded list; "-" alone: none folded), or the defaults. */
export function foldedSections(fold: string[] | undefined): Set<string> {
  if (fold === undefined) return new Set(DEFAULT_FOLDED);
  return new Set(fold.filter((f) => f !== "-"));
}

/**
 * Sections in order — prefixes alphabetically, keys without a prefix last
 * ("Other"; "Metrics" when no key has a prefix) — each with its keys sorted
 * and filtered by `query` (case-insensitive, anywhere in the key). While a
 * search is on, matching sections show unfolded.
 */
export function metricSections(keys: string[], query: string, folded: Set<string>): MetricSection[] {
  const q = query.trim().toLowerCase();
  const by = new Map<string, string[]>();
  for (const k of keys) {
    if (q && !k.toLowerCase().includes(q)) continue;
    const p = prefixOf(k);
    let list = by.get(p);
    if (!list) by.set(p, (list = []));
    list.push(k);
  }
  const anyPrefix = keys.some((k) => prefixOf(k) !== "");
  const ids = [...by.keys()].sort((a, b) => (a === "" ? 1 : b === "" ? -1 : a.localeCompare(b)));
  return ids.map((id) => ({
    id,
    title: id !== "" ? id : anyPrefix ? "Other" : "Metrics",
    keys: by.get(id)!.sort((a, b) => a.localeCompare(b, undefined, { numeric: true })),
    folded: !q && folded.has(id),
  }));
}

/** The first charts the grid shows (unfolded sections, top to bottom): what to load before anything scrolls. */
export function firstCharts(sections: MetricSection[], count: number): string[] {
  const out: string[] = [];
  for (const s of sections) {
    if (s.folded) continue;
    for (const k of s.keys.slice(0, CHARTS_PER_SECTION)) {
      if (out.length >= count) return out;
      out.push(k);
    }
  }
  return out;
}
