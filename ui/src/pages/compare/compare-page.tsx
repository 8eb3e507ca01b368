/**
 * Compare runs (`/compare?runs=<id>,<id>`): a grid of charts — every metric,
 * every run overlaid, in sections by prefix — or one chart large, parallel
 * coordinates over params → a metric, a scatter of any two keys, and a diff
 * table. Every setting is in the URL (view, metric, axes, hidden runs,
 * chart options), so a comparison can be reloaded and shared as a link.
 */
import { useMemo, useState } from "react";
import { getExperiment } from "../../api/tracking-api";
import { useApi } from "../../api/use-api";
import { EmptyState, ErrorBanner, Loading } from "../../components/states";
import { decodeList, encodeList, Link, setSearch, useUrl } from "../../router/router";
import { Breadcrumbs } from "../../components/breadcrumbs";
import { asNumber, compareKeys, defaultMetric, differs, valueOf, type CompareRun } from "./compare-data";
import { runsFor } from "./compare-loader";
import { CompareGrid } from "./compare-grid";
import { CompareMetrics } from "./compare-metrics";
import { DiffTable } from "./diff-table";
import { useHistoryStore } from "./history-store";
import { AxesChooser, KeySelect, type KeyGroups } from "./key-pickers";
import { ParallelCoordinates } from "./parallel-coordinates";
import { ScatterPlot } from "./scatter-plot";
import "./compare.css";

const TABS = [
  { id: "metrics", label: "Metrics" },
  { id: "parallel", label: "Parallel coordinates" },
  { id: "scatter", label: "Scatter" },
  { id: "diff", label: "Diff" },
] as const;

/** Params whose values differ across the runs, numeric ones first: the axes worth looking at. */
function varyingParams(runs: CompareRun[], params: string[]): string[] {
  const varying = params.filter((p) => differs(runs.map((r) => valueOf(r.run, `params.${p}`)), `params.${p}`));
  const numeric = (p: string) => runs.every((r) => asNumber(valueOf(r.run, `params.${p}`)) !== undefined);
  return [...varying.filter(numeric), ...varying.filter((p) => !numeric(p))];
}

export default function ComparePage() {
  const { search } = useUrl();
  const runsParam = search.get("runs");
  const ids = useMemo(() => [...new Set(decodeList(runsParam))], [runsParam]);
  // Usually already in flight: the app shell prefetches a Compare URL's data (compare-loader.ts).
  const [fresh, setFresh] = useState(false);
  const loaded = useApi(() => runsFor(ids, fresh), [ids.join(","), fresh]);
  const runs = loaded.data?.runs;
  const hidden = useMemo(() => new Set(decodeList(search.get("hide"))), [search.get("hide")]);
  const visible = useMemo(() => (runs ?? []).filter((r) => !hidden.has(r.id)), [runs, hidden]);
  const keys = useMemo(() => compareKeys((runs ?? []).map((r) => r.run)), [runs]);
  const expanded = search.get("m");
  // The metric parallel coordinates and the scatter start from: the open chart's, or the most common.
  const metric = expanded ?? (runs ? defaultMetric(runs.map((r) => r.run)) : undefined);
  const store = useHistoryStore(runs ?? []);
  const experimentIds = useMemo(() => [...new Set((runs ?? []).map((r) => r.run.info.experiment_id))], [runs]);
  const experiments = useApi((signal) => Promise.all(experimentIds.map((id) => getExperiment(id, signal))), [experimentIds.join(",")]);
  const experimentNames = useMemo(() => new Map((experiments.data ?? []).map((e) => [e.experiment_id, e.name])), [experiments.data]);
  const tab = TABS.some((t) => t.id === search.get("tab")) ? search.get("tab")! : "metrics";

  const keyGroups: KeyGroups = { metrics: keys.metrics, params: keys.params, attributes: ["duration", "start_time"] };
  const varying = useMemo(() => (runs ? varyingParams(runs, keys.params) : []), [runs, keys.params]);
  const target = search.get("pm") ?? (metric ? `metrics.${metric}` : undefined);
  // "-" in the URL: the user cleared every axis (absent: the defaults).
  const axes = search.has("pc") ? decodeList(search.get("pc")).filter((a) => a !== "-") : varying.slice(0, 6).map((p) => `params.${p}`);
  const sx = search.get("sx") ?? (varying[0] ? `params.${varying[0]}` : keys.params[0] ? `params.${keys.params[0]}` : "attributes.duration");
  const sy = search.get("sy") ?? (metric ? `metrics.${metric}` : "attributes.duration");

  if (ids.length === 0) {
    return (
      <div className="page">
        <header className="page-header">
          <h1>Compare runs</h1>
        </header>
        <EmptyState title="No runs to compare" action={<Link to="/experiments" className="btn">Choose runs</Link>}>
          Select two or more runs in a runs table, then press Compare.
        </EmptyState>
      </div>
    );
  }

  return (
    <div className="page compare-page">
      <header className="page-header">
        <div>
          <Breadcrumbs
            trail={[
              { label: "Experiments", to: "/experiments" },
              ...(experimentIds.length === 1 ? [{ label: experimentNames.get(experimentIds[0]) ?? `Experiment ${experimentIds[0]}`, to: `/experiments/${experimentIds[0]}` }] : []),
            ]}
            current="Compare"
          />
          <h1>Compare {ids.length} runs</h1>
          {experimentIds.length > 1 && <div className="muted small">across {experimentIds.map((id) => experimentNames.get(id) ?? id).join(" · ")}</div>}
        </div>
      </header>
      {loaded.error && <ErrorBanner error={loaded.error} onRetry={() => (fresh ? loaded.reload() : setFresh(true))} />}
      {loaded.data && loaded.data.missing.length > 0 && (
        <div className="banner banner-info" role="status">
          <span className="banner-text">
            {loaded.data.missing.length} run{loaded.data.missing.length === 1 ? " was" : "s were"} not found and {loaded.data.missing.length === 1 ? "is" : "are"} left out:{" "}
            <span className="mono small">{loaded.data.missing.join(", ")}</span>
          </span>
        </div>
      )}
      <nav className="tabs" role="tablist" aria-label="Comparison views">
        {TABS.map((t) => (
          <button key={t.id} role="tab" aria-selected={tab === t.id} className={`tab${tab === t.id ? " active" : ""}`} onClick={() => setSearch({ tab: t.id === "metrics" ? undefined : t.id })}>
            {t.label}
          </button>
        ))}
      </nav>
      {!runs ? (
        !loaded.error && <Loading label={`Loading ${ids.length} runs…`} />
      ) : runs.length === 0 ? (
        <EmptyState title="None of these runs exists">They may have been deleted for good.</EmptyState>
      ) : tab === "metrics" && expanded ? (
        <CompareMetrics runs={runs} metrics={keys.metrics} metric={expanded} hidden={hidden} search={search} store={store} />
      ) : tab === "metrics" ? (
        <CompareGrid runs={runs} metrics={keys.metrics} hidden={hidden} search={search} store={store} />
      ) : tab === "parallel" ? (
        <div className="stack">
          <div className="toolbar">
            <AxesChooser keys={keyGroups} chosen={axes} onChange={(a) => setSearch({ pc: encodeList(a) ?? "-" })} />
            {target && <KeySelect label="Colour by" keys={keyGroups} value={target} onChange={(id) => setSearch({ pm: id })} />}
            <div className="toolbar-spacer" />
            <span className="muted small">{visible.length} runs · hidden runs are left out</span>
          </div>
          <section className="card chart-panel" aria-label="Parallel coordinates">
            {axes.length === 0 || !target ? (
              <div className="chart-placeholder-tall muted">Choose the axes to draw{target ? "" : " and a metric to colour by"}.</div>
            ) : (
              <ParallelCoordinates runs={visible} axes={[...axes.filter((a) => a !== target), target]} />
            )}
          </section>
        </div>
      ) : tab === "scatter" ? (
        <div className="stack">
          <div className="toolbar">
            <KeySelect label="X" keys={keyGroups} value={sx} onChange={(id) => setSearch({ sx: id })} />
            <KeySelect label="Y" keys={keyGroups} value={sy} onChange={(id) => setSearch({ sy: id })} />
            <div className="toolbar-spacer" />
            <span className="muted small">{visible.length} runs · hidden runs are left out</span>
          </div>
          <section className="card chart-panel" aria-label="Scatter">
            <ScatterPlot runs={visible} xKey={sx} yKey={sy} />
          </section>
        </div>
      ) : (
        <DiffTable runs={visible} search={search} experimentNames={experimentNames} />
      )}
    </div>
  );
}
