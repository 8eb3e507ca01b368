/**
 * The Compare grid's histories, one store for all its charts: a chart that
 * scrolls into view asks for its metric; the store starts the metric's passes
 * once (coarse first when the runs are long, then the detail — through the
 * page-wide request limiter, coarse passes ahead of any detail) and every
 * chart of that metric, the expanded view and the legend read the same
 * result. Results stay while the page lives, up to {@link KEEP_METRICS}
 * metrics (least recently asked for go first), so scrolling back redraws
 * without a request.
 */
import { useEffect, useMemo, useSyncExternalStore } from "react";
import type { CompareRun } from "./compare-data";
import { historyPasses, type Histories } from "./compare-loader";

export interface MetricHistories {
  data?: Histories;
  /** False while only the coarse first pass has landed. */
  detailed: boolean;
  error?: Error;
}

const EMPTY: MetricHistories = { detailed: false };
const KEEP_METRICS = 64;

export class HistoryStore {
  private readonly entries = new Map<string, MetricHistories>();
  private readonly listeners = new Map<string, Set<() => void>>();

  constructor(private readonly runs: CompareRun[]) {}

  get(metric: string): MetricHistories {
    return this.entries.get(metric) ?? EMPTY;
  }

  subscribe(metric: string, listener: () => void): () => void {
    let set = this.listeners.get(metric);
    if (!set) this.listeners.set(metric, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Starts loading a metric unless it is loaded or loading; `fresh` retries after an error. */
  request(metric: string, fresh = false): void {
    const have = this.entries.get(metric);
    if (have && !(fresh && have.error)) {
      // Most recently asked for: moved to the end of the eviction order.
      this.entries.delete(metric);
      this.entries.set(metric, have);
      return;
    }
    this.set(metric, { detailed: false });
    this.evict();
    const { coarse, detailed } = historyPasses(this.runs, metric, fresh);
    let detailDone = false;
    coarse?.then(
      (data) => !detailDone && this.set(metric, { data, detailed: false }),
      () => undefined,
    );
    detailed.then(
      (data) => {
        detailDone = true;
        this.set(metric, { data, detailed: true });
      },
      (error: Error) => this.set(metric, { ...this.get(metric), error }),
    );
  }

  private set(metric: string, value: MetricHistories): void {
    this.entries.set(metric, value);
    this.listeners.get(metric)?.forEach((l) => l());
  }

  private evict(): void {
    for (const key of this.entries.keys()) {
      if (this.entries.size <= KEEP_METRICS) return;
      // Never drop what a chart on screen is showing.
      if (this.listeners.get(key)?.size) continue;
      this.entries.delete(key);
    }
  }
}

/** One store per set of runs. */
export function useHistoryStore(runs: CompareRun[]): HistoryStore {
  const ids = runs.map((r) => r.id).join(",");
  // eslint-disable-next-line react-hooks/exhaustive-deps
  return useMemo(() => new HistoryStore(runs), [ids]);
}

/** A metric's histories once `active` (the chart is in view): asks the store, re-renders when they land. */
export function useMetricHistories(store: HistoryStore, metric: string, active: boolean): MetricHistories {
  useEffect(() => {
    if (active) store.request(metric);
  }, [store, metric, active]);
  return useSyncExternalStore(
    (l) => store.subscribe(metric, l),
    () => store.get(metric),
  );
}
