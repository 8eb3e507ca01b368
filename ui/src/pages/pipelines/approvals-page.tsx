/** The approvals inbox (`/pipelines/approvals`): approve steps waiting for an answer, and the latest answers. */
import { listApprovals } from "../../api/pipelines-api";
import { useApi } from "../../api/use-api";
import { EmptyState, ErrorBanner, Loading } from "../../components/states";
import { formatTime } from "../../format";
import { Link } from "../../router/router";
import { Breadcrumbs } from "../../components/breadcrumbs";
import { usePolling } from "../deployments/use-polling";
import { ApprovalForm } from "./approval-form";
import "./pipelines.css";

export default function ApprovalsPage() {
  const tick = usePolling(3000);
  const pending = useApi((signal) => listApprovals("pending", signal), [tick]);
  const answered = useApi(async (signal) => {
    const [ok, no] = await Promise.all([listApprovals("approved", signal), listApprovals("rejected", signal)]);
    return [...ok, ...no].sort((a, b) => (b.answered_at ?? 0) - (a.answered_at ?? 0)).slice(0, 50);
  }, [tick]);
  const reload = () => {
    pending.reload();
    answered.reload();
  };
  if (pending.error && !pending.data) return <div className="page"><ErrorBanner error={pending.error} onRetry={pending.reload} /></div>;
  if (!pending.data) return <div className="page"><Loading /></div>;
  return (
    <div className="page approvals-page">
      <header className="page-header">
        <div>
          <Breadcrumbs trail={[{ label: "Pipelines", to: "/pipelines" }]} current="Approvals" />
          <h1>Approvals</h1>
        </div>
      </header>
      {pending.data.length === 0 ? (
        <EmptyState title="Nothing waiting">A pipeline's <code>approve</code> step shows here while it waits for an answer.</EmptyState>
      ) : (
        <div className="approval-list">
          {pending.data.map((a) => (
            <section key={`${a.run_id}/${a.step_id}`} className="card approval-card" data-run={a.run_id}>
              <h2>
                <Link to={`/pipelines/runs/${a.run_id}`}>{a.pipeline}</Link> · {a.step_id}
              </h2>
              <div className="small muted">waiting since {formatTime(a.requested_at)}</div>
              <ApprovalForm approval={a} onAnswered={reload} />
            </section>
          ))}
        </div>
      )}
      <h2>Answered</h2>
      {answered.data && answered.data.length > 0 ? (
        <table className="table answered-table">
          <thead><tr><th>Pipeline</th><th>Step</th><th>Answer</th><th>By</th><th>When</th><th>Comment</th></tr></thead>
          <tbody>
            {answered.data.map((a) => (
              <tr key={`${a.run_id}/${a.step_id}`} data-run={a.run_id}>
                <td><Link to={`/pipelines/runs/${a.run_id}`}>{a.pipeline}</Link></td>
                <td>{a.step_id}</td>
                <td><span className={`run-status status-${a.state}`}>{a.state}</span></td>
                <td>{a.answered_by ?? ""}</td>
                <td className="small">{formatTime(a.answered_at)}</td>
                <td>{a.comment ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted small">No answers yet.</p>
      )}
    </div>
  );
}
