/**
 * One MLflow 3.x logged model (`/logged-models/<model_id>`): status, the run
 * that produced it and its experiment, the registered versions made from it
 * (its `mlflow.modelVersions` tag), params, the metrics logged with its id,
 * tags (editable) and its files to download.
 */
import { useState } from "react";
import { deleteLoggedModelTag, getLoggedModel, listLoggedModelFiles, loggedModelFileUrl, loggedModelStatus, setLoggedModelTag } from "../../api/logged-models-api";
import { getExperiment, wireDouble } from "../../api/tracking-api";
import { useApi } from "../../api/use-api";
import { ErrorBanner, Loading } from "../../components/states";
import { TagsEditor } from "../../components/tags-editor";
import { formatBytes, formatNumber, formatTime } from "../../format";
import { Link } from "../../router/router";
import { Breadcrumbs } from "../../components/breadcrumbs";
import type { PageProps } from "../../routes";
import { runPath, versionPath } from "./model-links";
import "./models.css";

/** The versions MLflow recorded on the model: `[{"name": ..., "version": ...}]`; anything else reads as none. */
function registeredVersions(tag: string | undefined): Array<{ name: string; version: string }> {
  try {
    const list = JSON.parse(tag ?? "[]") as Array<{ name?: unknown; version?: unknown }>;
    const seen = new Set<string>();
    return list
      .filter((e) => typeof e?.name === "string" && (typeof e.version === "string" || typeof e.version === "number"))
      .map((e) => ({ name: String(e.name), version: String(e.version) }))
      .filter((e) => !seen.has(`${e.name}\u0000${e.version}`) && Boolean(seen.add(`${e.name}\u0000${e.version}`)));
  } catch {
    return [];
  }
}

function Files({ modelId }: { modelId: string }) {
  const [dir, setDir] = useState<string>();
  const files = useApi((signal) => listLoggedModelFiles(modelId, dir, signal), [modelId, dir]);
  return (
    <section className="card" aria-label="Files">
      <div className="card-head">
        <h2>Files</h2>
        {dir && (
          <button className="btn btn-small btn-ghost" onClick={() => setDir(dir.includes("/") ? dir.slice(0, dir.lastIndexOf("/")) : undefined)}>
            ↑ Up
          </button>
        )}
      </div>
      <div className="card-body-flush">
        {files.error ? (
          <ErrorBanner error={files.error} onRetry={files.reload} />
        ) : !files.data ? (
          <div className="card-empty muted">Loading…</div>
        ) : files.data.length === 0 ? (
          <div className="card-empty muted">No files uploaded.</div>
        ) : (
          <table className="table kv-table">
            <tbody>
              {files.data.map((f) => (
                <tr key={f.path}>
                  <td className="mono small">
                    {f.is_dir ? (
                      <button className="link-button" onClick={() => setDir(f.path)}>
                        {f.path.slice(f.path.lastIndexOf("/") + 1)}/
                      </button>
                    ) : (
                      <a href={loggedModelFileUrl(modelId, f.path)} download>
                        {f.path.slice(f.path.lastIndexOf("/") + 1)}
                      </a>
                    )}
                  </td>
                  <td className="num muted small">{f.is_dir ? "" : formatBytes(f.file_size)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </section>
  );
}

export default function LoggedModelPage({ params }: PageProps) {
  const { modelId } = params;
  const model = useApi((signal) => getLoggedModel(modelId, signal), [modelId]);
  const experimentId = model.data?.info.experiment_id;
  const experiment = useApi((signal) => (experimentId ? getExperiment(experimentId, signal) : Promise.resolve(undefined)), [experimentId]);
  if (model.error && !model.data) {
    return (
      <div className="page">
        <ErrorBanner error={model.error} onRetry={model.reload} />
      </div>
    );
  }
  if (!model.data) return <div className="page"><Loading label="Loading logged model…" /></div>;
  const { info, data } = model.data;
  const tags = info.tags ?? [];
  const versions = registeredVersions(tags.find((t) => t.key === "mlflow.modelVersions")?.value);
  const metrics = (data.metrics ?? []).slice().sort((a, b) => a.key.localeCompare(b.key) || b.step - a.step);
  return (
    <div className="page">
      <header className="page-header">
        <div>
          <Breadcrumbs
            trail={[
              { label: "Experiments", to: "/experiments" },
              { label: experiment.data?.name ?? `Experiment ${info.experiment_id}`, to: `/experiments/${info.experiment_id}` },
            ]}
            current={info.name}
          />
          <div className="title-row">
            <h1>{info.name}</h1>
            <span className={`badge lmstatus-${info.status.toLowerCase()}`}>{loggedModelStatus(info.status)}</span>
          </div>
          <div className="muted small page-sub">
            Logged model · created {formatTime(info.creation_timestamp_ms)} · <span className="mono">models:/{info.model_id}</span>
          </div>
        </div>
      </header>
      <section className="card" aria-label="Details">
        <dl className="details">
          <div className="detail">
            <dt>Source run</dt>
            <dd>{info.source_run_id ? <Link to={runPath(info.source_run_id)} className="mono truncate">{info.source_run_id}</Link> : "—"}</dd>
          </div>
          <div className="detail">
            <dt>Type</dt>
            <dd>{info.model_type || "—"}</dd>
          </div>
          <div className="detail">
            <dt>Registered as</dt>
            <dd>
              {versions.length === 0
                ? "—"
                : versions.map((v, i) => (
                    <span key={`${v.name}:${v.version}`}>
                      {i > 0 && ", "}
                      <Link to={versionPath(v.name, v.version)}>
                        {v.name} v{v.version}
                      </Link>
                    </span>
                  ))}
            </dd>
          </div>
          <div className="detail detail-wide">
            <dt>Artifact URI</dt>
            <dd>
              <span className="mono truncate" title={info.artifact_uri}>
                {info.artifact_uri}
              </span>
            </dd>
          </div>
        </dl>
      </section>
      <div className="two-col">
        <section className="card" aria-label="Parameters">
          <div className="card-head">
            <h2>
              Parameters <span className="muted small">{data.params?.length ?? 0}</span>
            </h2>
          </div>
          <table className="table kv-table">
            <tbody>
              {(data.params ?? []).map((p) => (
                <tr key={p.key}>
                  <td>{p.key}</td>
                  <td>{p.value}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {(data.params ?? []).length === 0 && <div className="card-empty muted">No parameters.</div>}
        </section>
        <section className="card" aria-label="Metrics">
          <div className="card-head">
            <h2>
              Metrics <span className="muted small">{metrics.length}</span>
            </h2>
          </div>
          <table className="table kv-table">
            <tbody>
              {metrics.slice(0, 200).map((m) => (
                <tr key={`${m.key}:${m.step}:${m.timestamp}`}>
                  <td>{m.key}</td>
                  <td className="num mono">
                    {formatNumber(wireDouble(m.value))} <span className="muted small">step {m.step}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {metrics.length === 0 && <div className="card-empty muted">No metrics logged with this model.</div>}
        </section>
      </div>
      <div className="two-col">
        <TagsEditor
          tags={tags}
          onSet={async (k, v) => {
            await setLoggedModelTag(info.model_id, k, v);
            model.reload();
          }}
          onDelete={async (k) => {
            await deleteLoggedModelTag(info.model_id, k);
            model.reload();
          }}
        />
        <Files modelId={info.model_id} />
      </div>
    </div>
  );
}
