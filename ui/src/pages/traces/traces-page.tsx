/**
 * An experiment's MLflow 3 traces, newest first: time, name, status,
 * execution time, request and response previews, source run and tags; the
 * filter is MLflow's trace filter string, sent to SearchTracesV3 as is, and
 * more rows come with the search's page token.
 */
import { useEffect, useState } from "react";
import { getExperiment } from "../../api/tracking-api";
import { useApi } from "../../api/use-api";
import { EmptyState, ErrorBanner, Loading } from "../../components/states";
import { Link, setSearch, useUrl } from "../../router/router";
import { Breadcrumbs } from "../../components/breadcrumbs";
import type { PageProps } from "../../routes";
import { TracesTable } from "./traces-table";
import { LoadMoreTraces, useTraceSearch } from "./use-trace-search";

export default function TracesPage({ params }: PageProps) {
  const experimentId = params.experimentId!;
  const { search } = useUrl();
  const filter = search.get("filter") ?? "";
  const [text, setText] = useState(filter);
  useEffect(() => setText(filter), [filter]);
  const experiment = useApi((signal) => getExperiment(experimentId, signal), [experimentId]);
  const traces = useTraceSearch(experimentId, filter);
  const { first, rows } = traces;
  const title = experiment.data?.name ?? `Experiment ${experimentId}`;
  const filterError = first.error && "status" in first.error && (first.error as { status: number }).status === 400 ? first.error : undefined;

  return (
    <div className="page">
      <header className="page-header">
        <div>
          <Breadcrumbs trail={[{ label: "Experiments", to: "/experiments" }, { label: title, to: `/experiments/${experimentId}` }]} current="Traces" />
          <h1>Traces</h1>
        </div>
        <div className="page-actions">
          <Link className="btn" to={`/experiments/${experimentId}`}>
            Runs
          </Link>
        </div>
      </header>
      <form
        className="filter-bar"
        onSubmit={(e) => {
          e.preventDefault();
          setSearch({ filter: text.trim() || undefined }, { push: true });
        }}
      >
        <div className="filter-input-wrap">
          <input
            className={`input filter-input mono${filterError ? " input-error" : ""}`}
            aria-label="Filter traces"
            placeholder="trace.status = 'ERROR' AND tags.`mlflow.traceName` = 'answer' AND execution_time_ms > 500"
            value={text}
            onChange={(e) => setText(e.target.value)}
          />
        </div>
        <button className="btn" type="submit">
          Apply
        </button>
        {filter && (
          <button className="btn btn-ghost" type="button" onClick={() => setSearch({ filter: undefined }, { push: true })}>
            Clear
          </button>
        )}
      </form>
      {filterError && <div className="filter-error" role="alert">{filterError.message}</div>}
      {first.error && !filterError && <ErrorBanner error={first.error} onRetry={first.reload} />}
      {!first.data && first.loading && <Loading label="Loading traces…" />}
      {first.data && rows.length === 0 && (
        <EmptyState title={filter ? "No trace matches this filter" : "No traces yet"}>
          {filter ? (
            "Change or clear the filter."
          ) : (
            <>
              Decorate a function with <span className="mono">@mlflow.trace</span> (or use <span className="mono">mlflow.start_span</span>) with this
              server as the tracking URI and this experiment set; each call appears here. docs/tracking.md#traces shows an
              example.
            </>
          )}
        </EmptyState>
      )}
      {rows.length > 0 && <TracesTable traces={rows} experimentId={experimentId} />}
      <LoadMoreTraces search={traces} />
    </div>
  );
}
