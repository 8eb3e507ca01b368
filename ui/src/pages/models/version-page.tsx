/**
 * A model version (`/models/<name>/versions/<n>`): its stage (changeable),
 * aliases, status and source; a description and tags (editable); its lineage
 * — run, experiment, commit, datasets, params, metrics; the signature read
 * from the version's MLmodel in the browser; and its files to download.
 */
import { lazy, Suspense, useState } from "react";
import { deleteVersionTag, getModelVersion, readVersionText, setVersionTag, updateVersionDescription, versionLineage } from "../../api/registry-api";
import { useApi } from "../../api/use-api";
import { ErrorBanner, Loading } from "../../components/states";
import { formatTime } from "../../format";
import { Link } from "../../router/router";
import { Breadcrumbs } from "../../components/breadcrumbs";
import type { PageProps } from "../../routes";
import { DescriptionEditor } from "../../components/description-editor";
import { modelPath, runPath } from "./model-links";
import { StageControl } from "./stage-control";
import { TagsEditor } from "../../components/tags-editor";
import { LineageData, LineageRun, VersionFiles } from "./version-lineage";
import "./models.css";

// The YAML parser comes with the MLmodel view, in its own chunk (shared with the run page's preview).
const MlmodelBody = lazy(() => import("../run/mlmodel-view").then((m) => ({ default: m.MlmodelBody })));

function Signature({ name, version, hasMlmodel }: { name: string; version: string; hasMlmodel: boolean }) {
  const text = useApi((signal) => (hasMlmodel ? readVersionText(name, version, "MLmodel", 256 * 1024, signal) : Promise.resolve(undefined)), [name, version, hasMlmodel]);
  return (
    <section className="card" aria-label="Signature">
      <div className="card-head">
        <h2>Model</h2>
        <span className="muted small">from the version's MLmodel</span>
      </div>
      <div className="card-body">
        {!hasMlmodel ? (
          <div className="muted">No MLmodel file at the version's source, so no flavors or signature to show.</div>
        ) : text.error ? (
          <ErrorBanner error={text.error} onRetry={text.reload} />
        ) : text.data === undefined ? (
          <Loading />
        ) : (
          <Suspense fallback={<Loading />}>
            <MlmodelBody text={text.data} />
          </Suspense>
        )}
      </div>
    </section>
  );
}

export default function VersionPage({ params }: PageProps) {
  const { name, version } = params;
  const [nonce, setNonce] = useState(0);
  const mv = useApi((signal) => getModelVersion(name, version, signal), [name, version, nonce]);
  const lineage = useApi((signal) => versionLineage(name, version, signal), [name, version]);
  const changed = () => setNonce((n) => n + 1);

  const crumbs = (
    <Breadcrumbs
      trail={[
        { label: "Models", to: "/models" },
        { label: name, to: modelPath(name) },
      ]}
      current={`Version ${version}`}
    />
  );
  if (mv.error && !mv.data) {
    return (
      <div className="page">
        {crumbs}
        <ErrorBanner error={mv.error} onRetry={mv.reload} />
      </div>
    );
  }
  if (!mv.data) return <div className="page"><Loading label="Loading version…" /></div>;
  const v = mv.data;
  const hasMlmodel = lineage.data?.artifacts.some((a) => a.path === "MLmodel" && !a.is_dir) ?? false;

  return (
    <div className="page version-page">
      <header className="page-header">
        <div>
          {crumbs}
          <div className="title-row">
            <h1>Version {v.version}</h1>
            <StageControl name={name} version={v.version} stage={v.current_stage} onChanged={changed} />
            {(v.aliases ?? []).map((a) => (
              <span key={a} className="alias-chip">
                @{a}
              </span>
            ))}
          </div>
          <div className="muted small page-sub">
            Registered {formatTime(v.creation_timestamp)}
            {v.user_id ? ` by ${v.user_id}` : ""} · <span className="mono">models:/{name}/{v.version}</span>
          </div>
        </div>
      </header>
      <section className="card" aria-label="Details">
        <dl className="details">
          <div className="detail">
            <dt>Status</dt>
            <dd>{v.status === "READY" ? "Ready" : v.status}</dd>
          </div>
          <div className="detail">
            <dt>Run</dt>
            <dd>{v.run_id ? <Link to={runPath(v.run_id)} className="mono truncate">{v.run_id}</Link> : "—"}</dd>
          </div>
          <div className="detail detail-wide">
            <dt>Source</dt>
            <dd>
              <span className="mono truncate" title={v.source}>
                {v.source}
              </span>
            </dd>
          </div>
        </dl>
      </section>
      <DescriptionEditor text={v.description ?? ""} emptyHint="No description for this version: what changed, how it was validated." onSave={async (t) => { await updateVersionDescription(name, version, t); changed(); }} />
      {lineage.error ? (
        <ErrorBanner error={lineage.error} onRetry={lineage.reload} />
      ) : !lineage.data ? (
        <Loading label="Loading lineage…" />
      ) : (
        <>
          <LineageRun lineage={lineage.data} />
          <LineageData lineage={lineage.data} />
          <Signature name={name} version={version} hasMlmodel={hasMlmodel} />
          <div className="two-col">
            <VersionFiles name={name} version={version} lineage={lineage.data} />
            <TagsEditor
              tags={v.tags ?? []}
              onSet={async (k, val) => {
                await setVersionTag(name, version, k, val);
                changed();
              }}
              onDelete={async (k) => {
                await deleteVersionTag(name, version, k);
                changed();
              }}
            />
          </div>
        </>
      )}
    </div>
  );
}
