/**
 * Registered models (`/models`): search (plain text matches names; the
 * registry's filter syntax — `tags.team = 'risk'`, `name LIKE 'fr%'` — is
 * used as written), sort, and pages of 50 from the server's page tokens.
 * The search, the sort and the page are in the URL.
 */
import { useEffect, useState } from "react";
import { modelFilter, searchRegisteredModels, type WireRegisteredModel } from "../../api/registry-api";
import { useApi } from "../../api/use-api";
import { EmptyState, ErrorBanner, Loading } from "../../components/states";
import { formatRelative, formatTime } from "../../format";
import { Link, setSearch, useUrl } from "../../router/router";
import { modelPath, versionPath } from "./model-links";
import { liveStages, StageBadge } from "./stage-control";
import "./models.css";

const PAGE = 50;
const SORTS: Record<string, { label: string; order: string[] }> = {
  name: { label: "Name", order: ["name ASC"] },
  updated: { label: "Last updated", order: ["last_updated_timestamp DESC"] },
};

function latestVersion(m: WireRegisteredModel): string | undefined {
  const nums = (m.latest_versions ?? []).map((v) => Number(v.version));
  return nums.length > 0 ? String(Math.max(...nums)) : undefined;
}

export default function ModelsPage() {
  const { search } = useUrl();
  const q = search.get("q") ?? "";
  const sort = SORTS[search.get("sort") ?? ""] ? search.get("sort")! : "name";
  const token = search.get("page") ?? undefined;
  const [draft, setDraft] = useState(q);
  // Tokens of the pages before this one, for Previous (a token only leads forward).
  const [trail, setTrail] = useState<string[]>([]);
  useEffect(() => setDraft(q), [q]);
  const filter = modelFilter(q);
  const res = useApi((signal) => searchRegisteredModels({ filter, max_results: PAGE, order_by: SORTS[sort].order, page_token: token }, signal), [filter, sort, token]);
  const badFilter = res.error && (res.error as { status?: number }).status === 400 ? res.error.message : undefined;
  const models = res.data?.items ?? [];

  const apply = (text: string) => {
    setTrail([]);
    setSearch({ q: text.trim() || undefined, page: undefined }, { push: true });
  };
  return (
    <div className="page models-page">
      <header className="page-header">
        <div>
          <h1>Models</h1>
          <div className="muted small page-sub">Registered models, their versions, aliases and stages.</div>
        </div>
      </header>
      <form
        className="filter-bar"
        onSubmit={(e) => {
          e.preventDefault();
          apply(draft);
        }}
      >
        <div className="filter-input-wrap">
          <input
            className={`input filter-input${badFilter ? " input-error" : ""}`}
            type="search"
            placeholder="Search models: a name, or a filter such as tags.team = 'risk'"
            aria-label="Search models"
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
          />
        </div>
        <button className="btn">Search</button>
        <label className="inline-field">
          <span>Sort</span>
          <select className="select" aria-label="Sort models" value={sort} onChange={(e) => { setTrail([]); setSearch({ sort: e.target.value === "name" ? undefined : e.target.value, page: undefined }); }}>
            {Object.entries(SORTS).map(([k, s]) => (
              <option key={k} value={k}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
        {badFilter && <div className="filter-error" role="alert">{badFilter}</div>}
      </form>
      {res.error && !badFilter && <ErrorBanner error={res.error} onRetry={res.reload} />}
      {!res.data && !res.error ? (
        <Loading label="Loading models…" />
      ) : models.length === 0 && !res.error ? (
        q ? (
          <EmptyState title="No model matches this search">Change or clear the search.</EmptyState>
        ) : (
          <EmptyState title="No registered models yet">
            Register a run's model to name it and track its versions: <span className="mono">mlflow.register_model("runs:/&lt;run_id&gt;/model", "fraud")</span>, or{" "}
            <span className="mono">registered_model_name=</span> when logging it.
          </EmptyState>
        )
      ) : models.length > 0 ? (
        <div className="table-card">
          <div className="table-scroll">
            <table className="table models-table" aria-label="Registered models">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Latest</th>
                  <th>Stages</th>
                  <th>Aliases</th>
                  <th>Tags</th>
                  <th>Updated</th>
                </tr>
              </thead>
              <tbody>
                {models.map((m) => {
                  const latest = latestVersion(m);
                  return (
                    <tr key={m.name}>
                      <td className="cell-name">
                        <Link to={modelPath(m.name)}>{m.name}</Link>
                        {m.description && <div className="muted small truncate model-desc">{m.description.split("\n")[0].replace(/[#*_`>]/g, "")}</div>}
                      </td>
                      <td>{latest ? <Link to={versionPath(m.name, latest)}>v{latest}</Link> : <span className="muted">—</span>}</td>
                      <td>
                        <span className="chips">
                          {liveStages(m.latest_versions).map((v) => (
                              <span key={v.current_stage} className="stage-pair">
                                <StageBadge stage={v.current_stage} /> <span className="small muted">v{v.version}</span>
                              </span>
                            ))}
                        </span>
                      </td>
                      <td>
                        <span className="chips">
                          {(m.aliases ?? []).map((a) => (
                            <span key={a.alias} className="alias-chip" title={`version ${a.version}`}>
                              @{a.alias} <span className="muted">v{a.version}</span>
                            </span>
                          ))}
                        </span>
                      </td>
                      <td>
                        <span className="chips">
                          {(m.tags ?? []).slice(0, 3).map((t) => (
                            <span key={t.key} className="chip small" title={`${t.key}=${t.value}`}>
                              {t.key}: {t.value}
                            </span>
                          ))}
                          {(m.tags ?? []).length > 3 && <span className="muted small">+{(m.tags ?? []).length - 3}</span>}
                        </span>
                      </td>
                      <td title={formatTime(m.last_updated_timestamp)} className="nowrap">
                        {formatRelative(m.last_updated_timestamp)}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          {(token || res.data?.nextPageToken) && (
            <div className="pager table-note">
              <button
                className="btn btn-small"
                disabled={!token}
                onClick={() => {
                  const prev = trail[trail.length - 1];
                  setTrail((t) => t.slice(0, -1));
                  setSearch({ page: prev || undefined });
                }}
              >
                Previous
              </button>
              <button
                className="btn btn-small"
                disabled={!res.data?.nextPageToken}
                onClick={() => {
                  setTrail((t) => [...t, token ?? ""]);
                  setSearch({ page: res.data!.nextPageToken });
                }}
              >
                Next
              </button>
            </div>
          )}
        </div>
      ) : null}
    </div>
  );
}
