/**
 * Types every capability shares: a key/value tag, a lifecycle stage and the
 * view over it, and a page of results. Browser-safe (the UI imports them).
 * @module
 */

/** MLflow's lifecycle of experiments, runs and logged models: deleted ones can be restored until purged. */
export type LifecycleStage = "active" | "deleted";
const VIEW_TYPES = ["ACTIVE_ONLY", "DELETED_ONLY", "ALL"] as const;
/** Which lifecycle stages a search returns. */
export type ViewType = (typeof VIEW_TYPES)[number];

export interface Tag {
  key: string;
  value: string;
}

/** A page of results plus the opaque token of the next page ("" or undefined when done). */
export interface Page<T> {
  items: T[];
  nextPageToken?: string;
}
