/**
 * A run's traces: those logged inside it (their `mlflow.sourceRun` metadata)
 * and those linked to it afterwards (`link_traces_to_run`), newest first —
 * SearchTracesV3 with `run_id = '<run>'` over the run's experiment, as
 * `mlflow.search_traces(run_id=...)` asks. Traces of other experiments linked
 * to the run are not searched (nor does the client search them).
 */
import { EmptyState, ErrorBanner, Loading } from "../../components/states";
import { Link } from "../../router/router";
import { TracesTable } from "../traces/traces-table";
import { LoadMoreTraces, useTraceSearch } from "../traces/use-trace-search";

export function RunTraces({ runId, experimentId }: { runId: string; experimentId: string }) {
  const filter = `run_id = '${runId.replace(/'/g, "")}'`;
  const search = useTraceSearch(experimentId, filter);
  const { first, rows, next } = search;
  if (first.error) return <ErrorBanner error={first.error} onRetry={first.reload} />;
  if (!first.data) return <Loading label="Loading traces…" />;
  if (rows.length === 0) {
    return (
      <EmptyState title="No traces in this run">
        Traces logged while the run is active (<span className="mono">@mlflow.trace</span> inside <span className="mono">mlflow.start_run()</span>) and
        traces linked to it with <span className="mono">MlflowClient().link_traces_to_run(...)</span> appear here.
      </EmptyState>
    );
  }
  return (
    <>
      <div className="muted small run-traces-note">
        {rows.length}
        {next ? "+" : ""} trace{rows.length === 1 && !next ? "" : "s"} logged in or linked to this run ·{" "}
        <Link to={`/experiments/${experimentId}/traces?filter=${encodeURIComponent(filter)}`}>open in the experiment's traces</Link>
      </div>
      <TracesTable traces={rows} experimentId={experimentId} />
      <LoadMoreTraces search={search} />
    </>
  );
}
