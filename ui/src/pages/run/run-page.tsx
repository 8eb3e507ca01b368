/**
 * One run: header (name, status, experiment), then tabs — Overview (details,
 * description, params, metrics, tags, datasets), Charts, Artifacts and Traces
 * (MLflow 3 traces logged in the run or linked to it). The
 * tab and its settings live in the URL.
 */
import { getExperiment, getRun } from "../../api/tracking-api";
import { useApi } from "../../api/use-api";
import { ErrorBanner, Loading, StatusBadge } from "../../components/states";
import { Link, setSearch, useUrl } from "../../router/router";
import { Breadcrumbs } from "../../components/breadcrumbs";
import type { PageProps } from "../../routes";
import { ArtifactBrowser } from "./artifact-browser";
import { RunCharts } from "./run-charts";
import { RunOverview } from "./run-overview";
import { RunTraces } from "./run-traces";

const TABS = [
  { id: "overview", label: "Overview" },
  { id: "charts", label: "Charts" },
  { id: "artifacts", label: "Artifacts" },
  { id: "traces", label: "Traces" },
] as const;

export default function RunPage({ params }: PageProps) {
  const runId = params.runId;
  const { search } = useUrl();
  const tab = search.get("tab") ?? "overview";
  const run = useApi((signal) => getRun(runId, signal), [runId]);
  const experimentId = run.data?.info.experiment_id;
  const experiment = useApi((signal) => (experimentId ? getExperiment(experimentId, signal) : Promise.resolve(undefined)), [experimentId]);

  if (run.error) {
    return (
      <div className="page">
        <Breadcrumbs trail={[{ label: "Experiments", to: "/experiments" }]} current={`Run ${runId}`} />
        <ErrorBanner error={run.error} onRetry={run.reload} />
      </div>
    );
  }
  if (!run.data) return <div className="page"><Loading label="Loading run…" /></div>;
  const r = run.data;
  const name = r.info.run_name || r.info.run_id;
  const metricCount = r.data.metrics?.length ?? 0;

  return (
    <div className="page">
      <header className="page-header">
        <div>
          <Breadcrumbs
            trail={[
              { label: "Experiments", to: "/experiments" },
              { label: experiment.data?.name ?? `Experiment ${r.info.experiment_id}`, to: `/experiments/${r.info.experiment_id}` },
            ]}
            current={name}
          />
          <div className="title-row">
            <h1 title={name}>{name}</h1>
            <StatusBadge status={r.info.status} />
            {r.info.lifecycle_stage === "deleted" && <span className="badge badge-deleted">Deleted</span>}
          </div>
        </div>
      </header>
      <nav className="tabs" role="tablist" aria-label="Run sections">
        {TABS.map((t) => (
          <button
            key={t.id}
            role="tab"
            aria-selected={tab === t.id}
            className={`tab${tab === t.id ? " active" : ""}`}
            onClick={() => setSearch({ tab: t.id === "overview" ? undefined : t.id })}
          >
            {t.label}
            {t.id === "charts" && metricCount > 0 && <span className="tab-count">{metricCount}</span>}
          </button>
        ))}
      </nav>
      {tab === "charts" ? (
        <RunCharts run={r} />
      ) : tab === "artifacts" ? (
        <ArtifactBrowser runId={r.info.run_id} />
      ) : tab === "traces" ? (
        <RunTraces runId={r.info.run_id} experimentId={r.info.experiment_id} />
      ) : (
        <RunOverview run={r} onChanged={run.reload} />
      )}
    </div>
  );
}
