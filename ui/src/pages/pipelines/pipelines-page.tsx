/** Pipelines (`/pipelines`): start a run, recent pipeline runs with their state and trigger, the approvals waiting, and the triggers. */
import { listApprovals, listPipelineRuns } from "../../api/pipelines-api";
import { useApi } from "../../api/use-api";
import { EmptyState, ErrorBanner, Loading } from "../../components/states";
import { formatTime } from "../../format";
import { Link } from "../../router/router";
import { stepsDone } from "../../../../src/shared/wire/pipeline-progress";
import { usePolling } from "../deployments/use-polling";
import { StartRunForm } from "./start-run-form";
import { tookText } from "./took-text";
import { triggerText } from "./trigger-text";
import { TriggersCard } from "./triggers-card";
import "./pipelines.css";

export default function PipelinesPage() {
  const tick = usePolling(3000);
  const runs = useApi((signal) => listPipelineRuns({ max_results: 100 }, signal), [tick]);
  const pending = useApi((signal) => listApprovals("pending", signal), [tick]);
  if (runs.error && !runs.data) return <div className="page"><ErrorBanner error={runs.error} onRetry={runs.reload} /></div>;
  if (!runs.data) return <div className="page"><Loading /></div>;
  const waiting = pending.data?.length ?? 0;
  return (
    <div className="page pipelines-page">
      <header className="page-header">
        <div><h1>Pipelines</h1></div>
        <Link to="/pipelines/approvals" className={`btn${waiting > 0 ? " btn-primary" : ""}`} data-testid="approvals-link">
          Approvals{waiting > 0 ? ` (${waiting} waiting)` : ""}
        </Link>
      </header>
      <StartRunForm />
      {runs.data.length === 0 ? (
        <EmptyState title="No pipeline runs yet">
          Define pipelines in your project's <code>ciclo.yaml</code> and start one above or with <code>ciclo pipelines run &lt;name&gt;</code>; see docs/pipelines.md.
        </EmptyState>
      ) : (
        <table className="table pipeline-runs-table">
          <thead><tr><th>Pipeline</th><th>State</th><th>Steps</th><th>Trigger</th><th>Started</th><th>Took</th></tr></thead>
          <tbody>
            {runs.data.map((r) => {
              const done = stepsDone(r.steps);
              const cached = r.steps.filter((s) => s.status === "cached" || s.cached_from).length;
              return (
                <tr key={r.run_id} data-run={r.run_id}>
                  <td><Link to={`/pipelines/runs/${r.run_id}`}>{r.pipeline}</Link></td>
                  <td><span className={`run-status status-${r.status}`}>{r.status}</span></td>
                  <td className="small">{`${done}/${r.steps.length} done${cached ? `, ${cached} cached` : ""}`}</td>
                  <td className="small">{triggerText(r.trigger)}</td>
                  <td className="small">{formatTime(r.created_at)}</td>
                  <td className="small" title={r.resumed_at !== undefined ? tookText(r, true) : undefined}>{tookText(r, false)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <TriggersCard />
    </div>
  );
}
