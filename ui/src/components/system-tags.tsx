/**
 * One "Show system tags" preference for the whole UI: the run page's tags,
 * the runs table's group-by choices and tag columns, and Compare's diff fold
 * the `mlflow.*` and `ciclo.*` tags away until it is on. Every toggle reads
 * and writes the same setting, remembered in the browser like the theme.
 */
import { useSyncExternalStore } from "react";
import { isSystemTag } from "../../../src/shared/system-tag-prefixes";

export { isSystemTag };

const KEY = "ciclo.showSystemTags";
const listeners = new Set<() => void>();

function read(): boolean {
  try {
    return localStorage.getItem(KEY) === "1";
  } catch {
    return false;
  }
}

let current = read();

function subscribe(l: () => void) {
  listeners.add(l);
  return () => listeners.delete(l);
}

// Another tab changed it.
window.addEventListener("storage", (e) => {
  if (e.key === KEY) {
    current = read();
    listeners.forEach((l) => l());
  }
});

export function setShowSystemTags(on: boolean): void {
  current = on;
  try {
    if (on) localStorage.setItem(KEY, "1");
    else localStorage.removeItem(KEY);
  } catch {
    // private mode: the choice lasts for this page only
  }
  listeners.forEach((l) => l());
}

export function useShowSystemTags(): boolean {
  return useSyncExternalStore(subscribe, () => current);
}

/** Keys without the system's, unless the user asked to see them. */
export function visibleTagKeys(keys: string[], showSystem: boolean): string[] {
  return showSystem ? keys : keys.filter((k) => !isSystemTag(k));
}

export function SystemTagsToggle({ count }: { count?: number }) {
  const on = useShowSystemTags();
  return (
    <label className="inline-field system-tags-toggle" title="mlflow.* and ciclo.* tags">
      <input type="checkbox" checked={on} onChange={(e) => setShowSystemTags(e.target.checked)} />
      <span>
        Show system tags{count !== undefined && count > 0 ? <span className="muted"> ({count})</span> : null}
      </span>
    </label>
  );
}
