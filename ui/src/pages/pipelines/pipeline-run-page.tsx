/**
 * A pipeline run (`/pipelines/runs/:runId`): its step graph with live states
 * (polled while the run goes on), each step's state, attempt, cache hit and
 * child run, the selected step's logs, and its approvals (answered here).
 */
import { useState } from "react";
import { cancelPipelineRun, getPipelineRun, type WirePipelineRun, type WireStep } from "../../api/pipelines-api";
import { useApi } from "../../api/use-api";
import { ErrorBanner, Loading } from "../../components/states";
import { useAction } from "../../components/use-action";
import { formatDuration, formatTime } from "../../format";
import { Link } from "../../router/router";
import { Breadcrumbs } from "../../components/breadcrumbs";
import type { PageProps } from "../../routes";
import { usePolling } from "../deployments/use-polling";
import { ApprovalForm } from "./approval-form";
import { StepGraph } from "./step-graph";
import { StepLogs } from "./step-logs";
import { tookText } from "./took-text";
import { triggerText } from "./trigger-text";
import { shortRunId } from "../../../../src/shared/short-run-id";
import "./pipelines.css";

const FINISHED = new Set(["succeeded", "failed", "cancelled"]);

export default function PipelineRunPage({ params }: PageProps) {
  const runId = params.runId!;
  const tick = usePolling(1500);
  const [finished, setFinished] = useState(false);
  // Once finished, the run no longer changes: stop asking.
  const run = useApi((signal) => getPipelineRun(runId, signal), [runId, finished ? -1 : tick]);
  const [selected, setSelected] = useState<string>();
  const cancel = useAction();
  if (run.data && FINISHED.has(run.data.status) && !finished) setFinished(true);
  if (run.error && !run.data) return <div className="page"><ErrorBanner error={run.error} onRetry={run.reload} /></div>;
  if (!run.data) return <div className="page"><Loading /></div>;
  const r = run.data;
  const step = selected ?? firstInteresting(r);
  const pending = r.approvals.filter((a) => a.state === "pending");
  return (
    <div className="page pipeline-run-page">
      <header className="page-header">
        <div>
          <Breadcrumbs trail={[{ label: "Pipelines", to: "/pipelines" }]} current={r.pipeline} />
          <h1>
            {r.pipeline} <span className={`run-status status-${r.status}`} data-status={r.status}>{r.status}</span>
          </h1>
          <div className="small muted">
            {triggerText(r.trigger)} · started {formatTime(r.created_at)}
            {r.finished_at ? ` · took ${tookText(r, true)}` : ""} · <Link to={`/runs/${r.run_id}`}>tracked run</Link>
          </div>
        </div>
        {!FINISHED.has(r.status) && (
          <button type="button" className="btn btn-danger" disabled={cancel.busy} onClick={() => void cancel.run(() => cancelPipelineRun(runId)).then((ok) => ok && run.reload())}>
            Cancel run
          </button>
        )}
      </header>
      {cancel.error && <ErrorBanner error={cancel.error} onDismiss={cancel.clearError} />}
      {r.error && <ErrorBanner error={r.error} />}
      {pending.length > 0 && (
        <section className="card approvals-on-run">
          <h2>Waiting for approval</h2>
          {pending.map((a) => (
            <div key={a.step_id}>
              <strong>{a.step_id}</strong>
              <ApprovalForm approval={a} onAnswered={run.reload} />
            </div>
          ))}
        </section>
      )}
      <section className="card graph-card">
        <StepGraph steps={r.steps} selected={step} onSelect={setSelected} />
      </section>
      <section className="card">
        <table className="table steps-table">
          <thead><tr><th>Step</th><th>Uses</th><th>State</th><th>Try</th><th>Cache</th><th>Took</th><th>Run</th></tr></thead>
          <tbody>
            {r.steps.map((s) => (
              <tr key={s.step_id} data-step={s.step_id} className={s.step_id === step ? "selected" : undefined} onClick={() => setSelected(s.step_id)}>
                <td>{s.step_id}</td>
                <td>{s.uses}</td>
                <td><span className={`run-status status-${s.status}`}>{s.status}</span>{s.error ? <div className="small muted">{s.error}</div> : null}</td>
                <td>{s.attempt}</td>
                <td className="cache-cell">{cacheText(s)}</td>
                <td>{s.started_at && s.finished_at ? formatDuration(s.finished_at - s.started_at) : ""}</td>
                <td>{s.child_run_id ? <Link to={`/runs/${s.child_run_id}`}>{shortRunId(s.child_run_id)}</Link> : ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {step && (
        <section className="card">
          <h2>Logs: {step}</h2>
          <StepLogs runId={r.run_id} stepId={step} tick={finished ? -1 : tick} />
        </section>
      )}
    </div>
  );
}

function cacheText(s: WireStep): string {
  if (s.status === "cached" || s.cached_from) return `hit (run ${s.cached_from ? shortRunId(s.cached_from) : "?"})`;
  return s.cache_key ? "miss" : "";
}

/** The step worth looking at first: a failed one, a running one, else the first. */
function firstInteresting(r: WirePipelineRun): string | undefined {
  return (r.steps.find((s) => s.status === "failed") ?? r.steps.find((s) => s.status === "running" || s.status === "waiting") ?? r.steps[0])?.step_id;
}
