/**
 * The experiments list: search by name, active/deleted view, create, rename,
 * delete and restore; each row shows its run count and last activity (one
 * summary query for the whole page, computed in SQL).
 */
import { useEffect, useState } from "react";
import { experimentSummaries, type ExperimentSummary } from "../../api/ciclo-api";
import { searchExperiments, type ViewType, type WireExperiment } from "../../api/tracking-api";
import { useApi } from "../../api/use-api";
import { EmptyState, ErrorBanner, Loading } from "../../components/states";
import { containsPattern, quoteValue } from "../../filter-text";
import { formatCount, formatRelative, formatTime } from "../../format";
import { Link, navigate, setSearch, useUrl } from "../../router/router";
import { ExperimentDialog, type ExperimentAction } from "./experiment-dialogs";

const PAGE = 100;
const VIEWS: Record<string, ViewType> = { active: "ACTIVE_ONLY", deleted: "DELETED_ONLY", all: "ALL" };

interface Loaded {
  experiments: WireExperiment[];
  next?: string;
  summaries: Map<string, ExperimentSummary>;
}

async function loadPage(q: string, view: ViewType, pageToken: string | undefined, signal: AbortSignal): Promise<Loaded> {
  const res = await searchExperiments(
    {
      filter: q ? `name ILIKE ${quoteValue(containsPattern(q))}` : undefined,
      view_type: view,
      max_results: PAGE,
      order_by: ["last_update_time DESC"],
      page_token: pageToken,
    },
    signal,
  );
  const experiments = res.experiments ?? [];
  const summaries = await experimentSummaries(experiments.map((e) => e.experiment_id), signal);
  return { experiments, next: res.next_page_token || undefined, summaries };
}

export default function ExperimentsPage() {
  const { search } = useUrl();
  const q = search.get("q") ?? "";
  const viewName = search.get("view") ?? "active";
  const view = VIEWS[viewName] ?? "ACTIVE_ONLY";
  const [draft, setDraft] = useState(q);
  const [more, setMore] = useState<Loaded[]>([]);
  const [moreError, setMoreError] = useState<Error>();
  const [selected, setSelected] = useState<string[]>([]);
  const [dialog, setDialog] = useState<{ action: ExperimentAction; experiment?: WireExperiment }>();
  const first = useApi((signal) => loadPage(q, view, undefined, signal), [q, view]);

  useEffect(() => setDraft(q), [q]);
  useEffect(() => {
    setMore([]);
    setSelected([]);
  }, [q, view, first.data]);
  // Search as the user types, without a history entry per keystroke.
  useEffect(() => {
    if (draft === q) return;
    const t = setTimeout(() => setSearch({ q: draft }), 250);
    return () => clearTimeout(t);
  }, [draft, q]);

  const pages = first.data ? [first.data, ...more] : [];
  const rows = pages.flatMap((p) => p.experiments.map((e) => ({ e, s: p.summaries.get(e.experiment_id) })));
  const next = pages.length > 0 ? pages[pages.length - 1].next : undefined;
  const loadMore = async () => {
    try {
      const page = await loadPage(q, view, next, new AbortController().signal);
      setMore((m) => [...m, page]);
    } catch (e) {
      setMoreError(e as Error);
    }
  };
  const toggle = (id: string) => setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id]));

  return (
    <div className="page">
      <header className="page-header">
        <h1>Experiments</h1>
        <div className="page-actions">
          <button className="btn btn-primary" onClick={() => setDialog({ action: "create" })}>
            New experiment
          </button>
        </div>
      </header>
      <div className="toolbar">
        <input
          className="input search-input"
          type="search"
          placeholder="Search experiments by name"
          aria-label="Search experiments"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
        />
        <div className="segmented" role="group" aria-label="Lifecycle">
          {Object.keys(VIEWS).map((v) => (
            <button key={v} className={`segment${viewName === v ? " active" : ""}`} aria-pressed={viewName === v} onClick={() => setSearch({ view: v === "active" ? undefined : v })}>
              {v.charAt(0).toUpperCase() + v.slice(1)}
            </button>
          ))}
        </div>
        <div className="toolbar-spacer" />
        {selected.length > 0 && (
          <button className="btn" onClick={() => navigate(`/runs?e=${selected.join(",")}`)}>
            Compare runs of {selected.length} experiment{selected.length > 1 ? "s" : ""}
          </button>
        )}
      </div>
      {first.error && <ErrorBanner error={first.error} onRetry={first.reload} />}
      {!first.data && !first.error && <Loading label="Loading experiments…" />}
      {first.data && rows.length === 0 && (
        <EmptyState
          title={q ? `No experiment matches “${q}”` : view === "DELETED_ONLY" ? "No deleted experiments" : "No experiments yet"}
          action={!q && view !== "DELETED_ONLY" ? <button className="btn btn-primary" onClick={() => setDialog({ action: "create" })}>Create an experiment</button> : undefined}
        >
          {!q && view !== "DELETED_ONLY" && (
            <>
              Log runs with the SDK (<span className="mono">startRun()</span>) or MLflow's Python client pointed at this server; they appear here.
            </>
          )}
        </EmptyState>
      )}
      {rows.length > 0 && (
        <div className="table-card">
          <table className="table" aria-label="Experiments">
            <thead>
              <tr>
                <th className="col-check" aria-label="Select" />
                <th>Name</th>
                <th className="num">Runs</th>
                <th>Last activity</th>
                <th>Created</th>
                <th className="col-actions" aria-label="Actions" />
              </tr>
            </thead>
            <tbody>
              {rows.map(({ e, s }) => (
                <tr key={e.experiment_id} className={e.lifecycle_stage === "deleted" ? "row-deleted" : undefined}>
                  <td className="col-check">
                    <input type="checkbox" aria-label={`Select ${e.name}`} checked={selected.includes(e.experiment_id)} onChange={() => toggle(e.experiment_id)} />
                  </td>
                  <td className="cell-name">
                    <Link to={`/experiments/${e.experiment_id}`}>{e.name}</Link>
                    {e.lifecycle_stage === "deleted" && <span className="badge badge-deleted">Deleted</span>}
                    <span className="muted small mono id-hint">#{e.experiment_id}</span>
                  </td>
                  <td className="num">
                    {s ? formatCount(s.active_run_count) : "—"}
                    {s && s.deleted_run_count > 0 && <span className="muted small"> (+{formatCount(s.deleted_run_count)} deleted)</span>}
                  </td>
                  <td title={formatTime(s?.last_activity ?? e.last_update_time)}>{formatRelative(s?.last_activity ?? e.last_update_time)}</td>
                  <td>{formatTime(e.creation_time)}</td>
                  <td className="col-actions">
                    {e.lifecycle_stage === "deleted" ? (
                      <button className="btn btn-small" onClick={() => setDialog({ action: "restore", experiment: e })}>
                        Restore
                      </button>
                    ) : (
                      <>
                        <button className="btn btn-small btn-ghost" onClick={() => setDialog({ action: "rename", experiment: e })}>
                          Rename
                        </button>
                        {e.experiment_id !== "0" && (
                          <button className="btn btn-small btn-ghost btn-danger-text" onClick={() => setDialog({ action: "delete", experiment: e })}>
                            Delete
                          </button>
                        )}
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {moreError && <ErrorBanner error={moreError} onDismiss={() => setMoreError(undefined)} />}
      {next && (
        <div className="load-more">
          <button className="btn" onClick={loadMore}>
            Load more experiments
          </button>
        </div>
      )}
      {dialog && (
        <ExperimentDialog
          action={dialog.action}
          experiment={dialog.experiment}
          onClose={() => setDialog(undefined)}
          onDone={(createdId) => {
            setDialog(undefined);
            if (createdId) navigate(`/experiments/${createdId}`);
            else first.reload();
          }}
        />
      )}
    </div>
  );
}
