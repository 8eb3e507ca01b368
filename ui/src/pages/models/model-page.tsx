/**
 * A registered model (`/models/<name>`): description, versions with their
 * stages and aliases, alias management, tags, and the audit history. Every
 * change reloads the model, its versions and the history, so what was just
 * done shows up in the timeline at once.
 */
import { ShareButton } from "../../auth/sharing-dialog";
import { useState } from "react";
import { deleteModelTag, getRegisteredModel, searchModelVersions, setModelTag, updateModelDescription, type WireModelVersion } from "../../api/registry-api";
import { useApi } from "../../api/use-api";
import { EmptyState, ErrorBanner, Loading } from "../../components/states";
import { quoteValue } from "../../filter-text";
import { formatRelative, formatTime } from "../../format";
import { Link } from "../../router/router";
import { Breadcrumbs } from "../../components/breadcrumbs";
import type { PageProps } from "../../routes";
import { AliasesCard } from "./aliases-card";
import { DescriptionEditor } from "../../components/description-editor";
import { HistoryTimeline } from "./history-timeline";
import { liveStages } from "./stage-control";
import { TagsEditor } from "../../components/tags-editor";
import { VersionsTable } from "./versions-table";
import "./models.css";
import { Card } from "../../components/card";

const VERSIONS_PAGE = 50;

export default function ModelPage({ params }: PageProps) {
  const name = params.name;
  const [nonce, setNonce] = useState(0);
  const [extra, setExtra] = useState<{ items: WireModelVersion[]; next?: string }>();
  const model = useApi((signal) => getRegisteredModel(name, signal), [name, nonce]);
  const versions = useApi(
    (signal) => searchModelVersions({ filter: `name = ${quoteValue(name)}`, order_by: ["version_number DESC"], max_results: VERSIONS_PAGE }, signal),
    [name, nonce],
  );
  const changed = () => {
    setExtra(undefined);
    setNonce((n) => n + 1);
  };
  const allVersions = [...(versions.data?.items ?? []), ...(extra?.items ?? [])];
  const next = extra ? extra.next : versions.data?.nextPageToken;
  const loadMore = async () => {
    const page = await searchModelVersions({ filter: `name = ${quoteValue(name)}`, order_by: ["version_number DESC"], max_results: VERSIONS_PAGE, page_token: next });
    setExtra((e) => ({ items: [...(e?.items ?? []), ...page.items], next: page.nextPageToken }));
  };

  if (model.error && !model.data) {
    return (
      <div className="page">
        <Breadcrumbs trail={[{ label: "Models", to: "/models" }]} current={name} />
        <ErrorBanner error={model.error} onRetry={model.reload} />
      </div>
    );
  }
  if (!model.data) return <div className="page"><Loading label="Loading model…" /></div>;
  const m = model.data;
  const stages = new Map(liveStages(m.latest_versions).map((v) => [v.current_stage, v.version]));

  return (
    <div className="page model-page">
      <header className="page-header">
        <div>
          <Breadcrumbs trail={[{ label: "Models", to: "/models" }]} current={m.name} />
          <div className="title-row">
            <h1 title={m.name}>{m.name}</h1>
            {[...stages].map(([stage, v]) => (
              <span key={stage} className={`badge stage-${stage.toLowerCase()}`}>
                {stage} · v{v}
              </span>
            ))}
          </div>
          <div className="muted small page-sub">
            Created {formatTime(m.creation_timestamp)} · updated <span title={formatTime(m.last_updated_timestamp)}>{formatRelative(m.last_updated_timestamp)}</span> ·{" "}
            <span className="mono">models:/{m.name}</span>
          </div>
        </div>
        <div className="page-actions">
          <ShareButton target={{ kind: "registered-model", id: m.name }} label={m.name} />
        </div>
      </header>
      {model.error && <ErrorBanner error={model.error} onRetry={model.reload} />}
      <DescriptionEditor text={m.description ?? ""} emptyHint="No description. Say what the model does, its inputs, and how it was validated." onSave={async (t) => { await updateModelDescription(name, t); changed(); }} />
      <Card title="Versions" count={`${allVersions.length}${next ? "+" : ""}`}>
        {versions.error ? (
          <ErrorBanner error={versions.error} onRetry={versions.reload} />
        ) : !versions.data ? (
          <Loading />
        ) : allVersions.length === 0 ? (
          <div className="card-empty">
            <EmptyState title="No versions yet">
              Register one from a run: <span className="mono">mlflow.register_model("runs:/&lt;run_id&gt;/model", "{m.name}")</span>
            </EmptyState>
          </div>
        ) : (
          <VersionsTable name={name} versions={allVersions} onChanged={changed} />
        )}
        {next && (
          <div className="load-more table-note">
            <button className="btn btn-small" onClick={loadMore}>
              More versions
            </button>
          </div>
        )}
      </Card>
      <div className="two-col">
        <AliasesCard name={name} aliases={m.aliases ?? []} versions={allVersions.map((v) => v.version)} onChanged={changed} />
        <TagsEditor
          tags={m.tags ?? []}
          onSet={async (k, v) => {
            await setModelTag(name, k, v);
            changed();
          }}
          onDelete={async (k) => {
            await deleteModelTag(name, k);
            changed();
          }}
        />
      </div>
      <HistoryTimeline name={name} reloadKey={nonce} />
    </div>
  );
}
