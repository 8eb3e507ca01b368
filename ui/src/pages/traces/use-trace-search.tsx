/**
 * An experiment's traces as the Traces page and a run's Traces tab page
 * through them: the first page of SearchTracesV3 for the filter (again when it
 * changes), more pages by the search's page token on request, and the
 * "Load more" footer with its error.
 */
import { useEffect, useState } from "react";
import { searchTraces, type WireTraceInfo } from "../../api/traces-api";
import { useApi, type ApiState } from "../../api/use-api";
import { ErrorBanner } from "../../components/states";

const PAGE_SIZE = 50;

export interface TraceSearch {
  /** The first page's load (its error, reload). */
  first: ApiState<{ traces?: WireTraceInfo[]; next_page_token?: string }>;
  /** The first page's traces and those loaded after it. */
  rows: WireTraceInfo[];
  /** The token of the next page, if there is one. */
  next: string | undefined;
  loadMore(): Promise<void>;
  moreError: Error | undefined;
  dismissMoreError(): void;
}

export function useTraceSearch(experimentId: string, filter: string): TraceSearch {
  const first = useApi((signal) => searchTraces({ experimentId, filter, maxResults: PAGE_SIZE }, signal), [experimentId, filter]);
  const [more, setMore] = useState<{ traces: WireTraceInfo[]; next?: string }>();
  const [moreError, setMoreError] = useState<Error>();
  useEffect(() => setMore(undefined), [first.data]);
  const next = more ? more.next : first.data?.next_page_token;
  return {
    first,
    rows: [...(first.data?.traces ?? []), ...(more?.traces ?? [])],
    next,
    loadMore: async () => {
      try {
        const page = await searchTraces({ experimentId, filter, maxResults: PAGE_SIZE, pageToken: next });
        setMore({ traces: [...(more?.traces ?? []), ...(page.traces ?? [])], next: page.next_page_token });
      } catch (e) {
        setMoreError(e as Error);
      }
    },
    moreError,
    dismissMoreError: () => setMoreError(undefined),
  };
}

/** Below the table: a failed "load more" and the button while there is a next page. */
export function LoadMoreTraces({ search }: { search: TraceSearch }) {
  return (
    <>
      {search.moreError && <ErrorBanner error={search.moreError} onDismiss={search.dismissMoreError} />}
      {search.next && search.rows.length > 0 && (
        <div className="load-more">
          <button className="btn" onClick={search.loadMore}>
            Load more traces
          </button>
        </div>
      )}
    </>
  );
}
