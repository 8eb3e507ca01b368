/**
 * What the TrackingStore contract's parts share: the store under test (once
 * opened), whether the backend is available, and the helpers the suites use.
 * @module
 */
import type { Run } from "../../shared/tracking-types.js";
import type { ViewType } from "../../shared/types.js";
import type { TrackingStore } from "../../tracking/tracking-store.js";

export interface ContractContext {
  store(): TrackingStore;
  available(): boolean;
  /** The default artifact root the store was opened with. */
  artifactRoot(): string;
  uniq(prefix: string): string;
  newRun(experimentId: string, name?: string, startTime?: number | null): Promise<Run>;
  searchRuns(
    experimentIds: string[],
    filter?: string,
    orderBy?: string[],
    maxResults?: number,
    viewType?: ViewType,
    pageToken?: string,
  ): ReturnType<TrackingStore["searchRuns"]>;
  names(runs: Run[]): string[];
  it(title: string, fn: () => Promise<void>): void;
}
