/**
 * The models a run produced: the registered model versions whose `run_id`
 * is the run (stage and aliases) and the MLflow 3.x logged models whose
 * `source_run_id` is, each linking to its page — the way back from a run to
 * what was made of it (the version page links the other way).
 */
import { runModels, type RunModels } from "../../api/ciclo-api";
import { loggedModelStatus } from "../../api/logged-models-api";
import { useApi } from "../../api/use-api";
import { ErrorBanner } from "../../components/states";
import { Link } from "../../router/router";
import { loggedModelPath, versionPath } from "../models/model-links";
import { StageBadge } from "../models/stage-control";
import { Card } from "../../components/card";

export function RunModelsCard({ runId }: { runId: string }) {
  const res = useApi((signal) => runModels([runId], signal).then((m) => m.get(runId)!), [runId]);
  const m: RunModels | undefined = res.data;
  const count = m ? m.versions.length + m.loggedModels.length : 0;
  return (
    <Card title="Models" count={m ? count : ""} aside={<span className="muted small">registered versions and logged models this run produced</span>}>
      {res.error ? (
        <ErrorBanner error={res.error} onRetry={res.reload} />
      ) : !m ? (
        <div className="card-empty muted">Loading…</div>
      ) : count === 0 ? (
        <div className="card-empty muted">This run produced no logged or registered model.</div>
      ) : (
        <table className="table kv-table run-models-table">
          <tbody>
            {m.versions.map((v) => (
              <tr key={`v:${v.name}:${v.version}`}>
                <td>
                  <Link to={versionPath(v.name, v.version)} className="run-model-link">
                    <span className="model-icon" aria-hidden="true">◆</span> {v.name} <span className="muted">v{v.version}</span>
                  </Link>
                </td>
                <td>
                  <span className="run-model-meta">
                    <span className="muted small">Registered</span>
                    {v.current_stage !== "None" && <StageBadge stage={v.current_stage} />}
                    {v.aliases.map((a) => (
                      <span key={a} className="alias-chip">
                        @{a}
                      </span>
                    ))}
                  </span>
                </td>
              </tr>
            ))}
            {m.loggedModels.map((lm) => (
              <tr key={`m:${lm.model_id}`}>
                <td>
                  <Link to={loggedModelPath(lm.model_id)} className="run-model-link">
                    <span className="model-icon logged" aria-hidden="true">◇</span> {lm.name} <span className="muted mono small">{lm.model_id}</span>
                  </Link>
                </td>
                <td>
                  <span className="run-model-meta">
                    <span className="muted small">Logged model</span>
                    <span className={`badge lmstatus-${lm.status.toLowerCase()}`}>{loggedModelStatus(lm.status)}</span>
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}
