/**
 * The runs table of one or several experiments. Everything a user sets —
 * filter, sort, columns, grouping, lifecycle view, selection — lives in the
 * URL. Rows are fetched page by page as the table scrolls; counts, keys and
 * group aggregates come from the server.
 */
import { ShareButton } from "../../auth/sharing-dialog";
import { useCallback, useMemo, useState } from "react";
import { countRuns, exportCsvUrl, runKeys, type RunScope } from "../../api/ciclo-api";
import { getExperiment, type ViewType } from "../../api/tracking-api";
import { useApi } from "../../api/use-api";
import { EmptyState, ErrorBanner, Loading } from "../../components/states";
import { useShowSystemTags, visibleTagKeys } from "../../components/system-tags";
import { orderByClause, parseColumnId, quoteKey, quoteValue } from "../../filter-text";
import { formatCount } from "../../format";
import { decodeList, encodeList, Link, navigate, setSearch, useUrl } from "../../router/router";
import { Breadcrumbs } from "../../components/breadcrumbs";
import type { PageProps } from "../../routes";
import { BulkActions } from "./bulk-actions";
import { ColumnChooser } from "./column-chooser";
import { FilterBar } from "./filter-bar";
import { GroupTable } from "./group-table";
import { columnDef, defaultColumns, type ColumnDef } from "./run-columns";
import { RunsTable } from "./runs-table";
import { useRunModels } from "./use-run-models";
import { useRunPages } from "./use-run-pages";

const VIEWS: Record<string, ViewType> = { active: "ACTIVE_ONLY", deleted: "DELETED_ONLY", all: "ALL" };
const DEFAULT_SORT = "attributes.start_time:desc";

function parseSort(s: string | null): { id: string; desc: boolean } {
  const [id, dir] = (s || DEFAULT_SORT).split(/:(?=asc$|desc$)/);
  return { id, desc: dir !== "asc" };
}

export default function RunsPage({ params }: PageProps) {
  const { search } = useUrl();
  const experimentIds = useMemo(
    () => (params.experimentId ? [params.experimentId] : decodeList(search.get("e"))),
    [params.experimentId, search.get("e")],
  );
  const filter = search.get("filter") ?? "";
  const viewName = search.get("view") ?? "active";
  const view = VIEWS[viewName] ?? "ACTIVE_ONLY";
  const sort = parseSort(search.get("sort"));
  const groupBy = search.get("group") ?? "";
  const customCols = search.get("cols");
  const selected = useMemo(() => decodeList(search.get("sel")), [search.get("sel")]);
  const selectedSet = useMemo(() => new Set(selected), [selected]);
  const [notice, setNotice] = useState<string>();

  const scope: RunScope = useMemo(() => ({ experiment_ids: experimentIds, filter: filter || undefined, run_view_type: view }), [experimentIds, filter, view]);
  const orderBy = useMemo(() => [orderByClause(sort.id, sort.desc)], [sort.id, sort.desc]);
  const enabled = experimentIds.length > 0;
  const pages = useRunPages({ ...scope, order_by: orderBy }, enabled);
  const experiments = useApi((signal) => Promise.all(experimentIds.map((id) => getExperiment(id, signal))), [experimentIds.join(",")]);
  const keys = useApi((signal) => (enabled ? runKeys({ experiment_ids: experimentIds, run_view_type: "ALL" }, signal) : Promise.resolve(undefined)), [experimentIds.join(",")]);
  const count = useApi((signal) => (enabled ? countRuns(scope, signal) : Promise.resolve(0)), [JSON.stringify(scope)]);

  const experimentNames = useMemo(() => new Map((experiments.data ?? []).map((e) => [e.experiment_id, e.name])), [experiments.data]);
  const multi = experimentIds.length > 1;
  const [defaults, setDefaults] = useState<{ key: string; cols: string[] }>();
  const defaultsKey = experimentIds.join(",");
  if (pages.runs.length > 0 && defaults?.key !== defaultsKey) setDefaults({ key: defaultsKey, cols: defaultColumns(pages.runs, multi) });
  const wanted = customCols !== null ? decodeList(customCols) : defaults?.key === defaultsKey ? defaults.cols : defaultColumns([], multi);
  const columns = useMemo(() => wanted.map(columnDef).filter((c): c is ColumnDef => c !== undefined), [wanted.join("\u0000")]);
  const columnIds = columns.map((c) => c.id);
  const models = useRunModels(pages.runs, columnIds.includes("attributes.models") && !groupBy);

  const setSelected = useCallback((ids: string[]) => setSearch({ sel: encodeList(ids) }), []);
  const onToggle = useCallback(
    (id: string) => {
      const cur = decodeList(new URLSearchParams(window.location.search).get("sel"));
      setSelected(cur.includes(id) ? cur.filter((x) => x !== id) : [...cur, id]);
    },
    [setSelected],
  );
  const onToggleAll = () => {
    const ids = pages.runs.map((r) => r.info.run_id);
    setSelected(ids.every((id) => selectedSet.has(id)) ? selected.filter((id) => !ids.includes(id)) : [...new Set([...selected, ...ids])]);
  };
  const onSort = (id: string) => {
    const desc = sort.id === id ? !sort.desc : id.startsWith("metrics.") || id === "attributes.start_time";
    setSearch({ sort: `${id}:${desc ? "desc" : "asc"}` === DEFAULT_SORT ? undefined : `${id}:${desc ? "desc" : "asc"}` });
  };
  const openGroup = (value: string | null) => {
    const c = parseColumnId(groupBy);
    if (!c) return;
    if (c.kind === "attributes" && c.key === "experiment_id") {
      navigate(`/experiments/${value}${window.location.search.replace(/([?&])group=[^&]*&?/, "$1")}`);
      return;
    }
    const clause = value === null ? `${c.kind}.${quoteKey(c.key)} IS NULL` : `${c.kind}.${quoteKey(c.key)} = ${quoteValue(value)}`;
    setSearch({ filter: filter ? `(${filter}) AND ${clause}` : clause, group: undefined }, { push: true });
  };

  const title = experimentIds.length === 1 ? (experimentNames.get(experimentIds[0]) ?? `Experiment ${experimentIds[0]}`) : `${experimentIds.length} experiments`;
  const filterError = pages.error && "status" in pages.error && (pages.error as { status: number }).status === 400 ? pages.error.message : undefined;
  const showSystemTags = useShowSystemTags();
  const groupOptions = [
    "attributes.status",
    "attributes.user_id",
    ...(multi ? ["attributes.experiment_id"] : []),
    ...(keys.data?.params ?? []).map((k) => `params.${k}`),
    ...visibleTagKeys(keys.data?.tags ?? [], showSystemTags).map((k) => `tags.${k}`),
  ];
  // A grouping from a link stays choosable even when its tag is folded away.
  if (groupBy && !groupOptions.includes(groupBy)) groupOptions.push(groupBy);

  if (!enabled) {
    return (
      <div className="page">
        <EmptyState title="No experiment chosen" action={<Link to="/experiments" className="btn">Choose experiments</Link>} />
      </div>
    );
  }

  return (
    <div className="page page-fill">
      <header className="page-header">
        <div>
          <Breadcrumbs trail={[{ label: "Experiments", to: "/experiments" }]} current={title} />
          <h1 title={title}>{title}</h1>
          {multi && experiments.data && (
            <div className="muted small">{experiments.data.map((e) => e.name).join(" · ")}</div>
          )}
        </div>
        <div className="page-actions">
          <span className="run-count" aria-live="polite">
            {count.data !== undefined ? `${formatCount(count.data)} run${count.data === 1 ? "" : "s"}` : ""}
          </span>
          {!multi && (
            <Link className="btn" to={`/experiments/${experimentIds[0]}/traces`}>
              Traces
            </Link>
          )}
          {!multi && <ShareButton target={{ kind: "experiment", id: experimentIds[0]! }} label={title} />}
          <a className="btn" href={exportCsvUrl({ ...scope, order_by: orderBy, columns: ["attributes.run_id", "attributes.run_name", ...columnIds.filter((c) => c !== "attributes.duration" && c !== "attributes.models").concat(columnIds.includes("attributes.duration") ? ["attributes.duration_ms"] : [])] })} download="runs.csv">
            Export CSV
          </a>
        </div>
      </header>
      {experiments.error && <ErrorBanner error={experiments.error} onRetry={experiments.reload} />}
      <FilterBar value={filter} keys={keys.data} error={filterError} onApply={(f) => setSearch({ filter: f, sel: undefined }, { push: true })} />
      <div className="toolbar">
        <div className="segmented" role="group" aria-label="Lifecycle">
          {Object.keys(VIEWS).map((v) => (
            <button key={v} className={`segment${viewName === v ? " active" : ""}`} aria-pressed={viewName === v} onClick={() => setSearch({ view: v === "active" ? undefined : v, sel: undefined })}>
              {v.charAt(0).toUpperCase() + v.slice(1)}
            </button>
          ))}
        </div>
        <label className="inline-field">
          <span>Group by</span>
          <select className="select" aria-label="Group by" value={groupBy} onChange={(e) => setSearch({ group: e.target.value || undefined })}>
            <option value="">None</option>
            {groupOptions.map((g) => (
              <option key={g} value={g}>
                {g}
              </option>
            ))}
          </select>
        </label>
        <div className="toolbar-spacer" />
        <ColumnChooser keys={keys.data} columns={columnIds} onChange={(c) => setSearch({ cols: encodeList(c) ?? "-" })} onReset={() => setSearch({ cols: undefined })} />
      </div>
      {selected.length > 0 && (
        <BulkActions
          selected={selected}
          showRestore={view !== "ACTIVE_ONLY"}
          onClear={() => setSelected([])}
          onDone={(msg) => {
            setNotice(msg);
            setSelected([]);
            pages.reload();
            count.reload();
          }}
        />
      )}
      {notice && (
        <div className="banner banner-info" role="status">
          <span className="banner-text">{notice}</span>
          <button className="btn btn-small btn-ghost" aria-label="Dismiss" onClick={() => setNotice(undefined)}>
            ✕
          </button>
        </div>
      )}
      {pages.error && !filterError && <ErrorBanner error={pages.error} onRetry={pages.reload} />}
      {groupBy ? (
        <GroupTable scope={scope} groupBy={groupBy} metricColumns={columns.filter((c) => c.kind === "metrics")} onOpenGroup={openGroup} />
      ) : pages.runs.length === 0 && pages.loading ? (
        <Loading label="Loading runs…" />
      ) : pages.runs.length === 0 && !pages.error ? (
        <EmptyState title={filter ? "No run matches this filter" : view === "DELETED_ONLY" ? "No deleted runs" : "No runs yet"}>
          {filter ? "Change or clear the filter." : "Runs logged to this experiment appear here."}
        </EmptyState>
      ) : pages.runs.length > 0 ? (
        <RunsTable
          runs={pages.runs}
          columns={columns}
          hasMore={pages.hasMore}
          loading={pages.loading}
          onLoadMore={pages.loadMore}
          sort={sort}
          onSort={onSort}
          selected={selectedSet}
          onToggle={onToggle}
          onToggleAll={onToggleAll}
          experimentNames={experimentNames}
          models={models}
        />
      ) : null}
    </div>
  );
}
