/**
 * A small history-API router: the URL is the state (pages, filters, sort,
 * columns, selections, chart settings), so any view survives a reload and can
 * be shared as a link. No dependency: the app needs matching, links and
 * query parameters, nothing more.
 */
import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from "react";

const listeners = new Set<() => void>();
const emit = () => listeners.forEach((l) => l());
window.addEventListener("popstate", emit);

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

const currentUrl = () => window.location.pathname + window.location.search;

/** The current path and query; re-renders on navigation. */
export function useUrl(): { pathname: string; search: URLSearchParams; href: string } {
  const href = useSyncExternalStore(subscribe, currentUrl);
  const q = href.indexOf("?");
  return { pathname: q < 0 ? href : href.slice(0, q), search: new URLSearchParams(q < 0 ? "" : href.slice(q)), href };
}

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (to === currentUrl()) return;
  window.history[opts.replace ? "replaceState" : "pushState"](null, "", to);
  emit();
  if (!opts.replace) window.scrollTo(0, 0);
}

/**
 * Changes some query parameters of the current URL; `undefined`, `null` and
 * "" remove one. Replaces the history entry by default (settings), or pushes
 * one (a new filter is a place the Back button should return to).
 */
export function setSearch(updates: Record<string, string | undefined | null>, opts: { push?: boolean } = {}): void {
  const params = new URLSearchParams(window.location.search);
  for (const [k, v] of Object.entries(updates)) {
    if (v === undefined || v === null || v === "") params.delete(k);
    else params.set(k, v);
  }
  const qs = params.toString();
  navigate(`${window.location.pathname}${qs ? `?${qs}` : ""}`, { replace: !opts.push });
}

/** Matches `/runs/:runId` against a path; returns the decoded params or null. */
export function matchPath(pattern: string, pathname: string): Record<string, string> | null {
  const p = pattern.split("/").filter(Boolean);
  const s = pathname.split("/").filter(Boolean);
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(":")) {
      try {
        params[p[i].slice(1)] = decodeURIComponent(s[i]);
      } catch {
        return null;
      }
    } else if (p[i] !== s[i]) return null;
  }
  return params;
}

/** An anchor that navigates in-app on a plain left click (new tab, copy link etc. still work). */
export function Link({ to, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { to: string }) {
  const handle = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={handle} {...rest} />;
}

/** Comma lists in the URL (`cols=a,b`); keys may contain commas, so items are percent-encoded first. */
export function encodeList(items: string[]): string | undefined {
  return items.length > 0 ? items.map((i) => i.replace(/%/g, "%25").replace(/,/g, "%2C")).join(",") : undefined;
}

export function decodeList(value: string | null): string[] {
  if (!value) return [];
  return value.split(",").map((i) => i.replace(/%2C/gi, ",").replace(/%25/g, "%"));
}
