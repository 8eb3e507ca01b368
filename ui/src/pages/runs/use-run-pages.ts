/**
 * Infinite paging through runs/search: the first page on a scope change, the
 * next when the table scrolls near the end (page tokens; the server cuts
 * pages by keyset, so page 500 costs what page 1 does). Never loads all runs.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { searchRuns, type SearchRunsRequest, type WireRun } from "../../api/tracking-api";

export const PAGE_SIZE = 200;

export interface RunPages {
  runs: WireRun[];
  hasMore: boolean;
  loading: boolean;
  error: Error | undefined;
  /** Fetches the next page unless one is in flight or there is none. */
  loadMore(): void;
  reload(): void;
}

export function useRunPages(req: Omit<SearchRunsRequest, "page_token" | "max_results">, enabled = true): RunPages {
  const [runs, setRuns] = useState<WireRun[]>([]);
  const [next, setNext] = useState<string | undefined>();
  const [hasMore, setHasMore] = useState(false);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<Error>();
  const [nonce, setNonce] = useState(0);
  const inFlight = useRef<AbortController | undefined>(undefined);
  const key = JSON.stringify(req);

  const fetchPage = useCallback(
    (pageToken: string | undefined, reset: boolean) => {
      inFlight.current?.abort();
      const ctl = new AbortController();
      inFlight.current = ctl;
      setLoading(true);
      searchRuns({ ...(JSON.parse(key) as SearchRunsRequest), max_results: PAGE_SIZE, page_token: pageToken }, ctl.signal).then(
        (res) => {
          if (ctl.signal.aborted) return;
          const page = res.runs ?? [];
          setRuns((prev) => (reset ? page : prev.concat(page)));
          setNext(res.next_page_token || undefined);
          setHasMore(Boolean(res.next_page_token));
          setError(undefined);
          setLoading(false);
          inFlight.current = undefined;
        },
        (e: Error) => {
          if (ctl.signal.aborted || e.name === "AbortError") return;
          if (reset) setRuns([]);
          setError(e);
          setHasMore(false);
          setLoading(false);
          inFlight.current = undefined;
        },
      );
    },
    [key],
  );

  useEffect(() => {
    if (!enabled) return;
    setRuns([]);
    setHasMore(false);
    fetchPage(undefined, true);
    return () => inFlight.current?.abort();
  }, [fetchPage, nonce, enabled]);

  const loadMore = useCallback(() => {
    if (inFlight.current || !next) return;
    fetchPage(next, false);
  }, [fetchPage, next]);

  return { runs, hasMore, loading, error, loadMore, reload: useCallback(() => setNonce((n) => n + 1), []) };
}
