/**
 * Compare's metrics as a grid of charts, one per metric, every run overlaid,
 * in sections by metric prefix (`train/`, `val/`, …) that fold, with a search
 * over the keys and the run legend beside them. Only charts in view (or
 * about to be) are drawn and loaded; they share one history store, so a
 * metric is fetched once — coarse pass first when the runs are long — and a
 * chart scrolled away and back redraws from memory. Hovering a run in any
 * chart or in the legend highlights it everywhere. Search, folds, chart
 * settings and hidden runs are in the URL; ⤢ opens one chart large (`m=`). A metric each run logged once is drawn
 * as bars, one per run (value-bars.tsx).
 */
import { useEffect, useMemo, useRef, useState } from "react";
import { ChartSettingsControls, chartSettings, type ChartSettings } from "../../components/chart-settings";
import { EmptyState, ErrorBanner } from "../../components/states";
import { decodeList, encodeList, setSearch } from "../../router/router";
import { CompareChart, type RunSeries } from "./compare-chart";
import type { CompareRun } from "./compare-data";
import { FIRST_CHARTS, type Histories } from "./compare-loader";
import { useMetricHistories, type HistoryStore } from "./history-store";
import { CHARTS_PER_SECTION, firstCharts, foldedSections, metricSections, type MetricSection } from "./metric-sections";
import { RunLegend } from "./run-legend";
import { ValueBars, valueBars } from "./value-bars";

/** Each run's points for a chart, in the x axis's units (steps, or ms timestamps). */
export function seriesOf(runs: CompareRun[], h: Histories | undefined, xMode: ChartSettings["xMode"]): RunSeries[] {
  if (!h) return [];
  return runs
    .filter((r) => h.has(r.id))
    .map((r) => {
      const hist = h.get(r.id)!;
      return { id: r.id, label: r.name, color: r.color, xs: xMode === "step" ? hist.steps : hist.times, ys: hist.values };
    });
}

interface ChartProps {
  runs: CompareRun[];
  store: HistoryStore;
  hidden: Set<string>;
  settings: ChartSettings;
  focusId?: string;
  onFocus(id: string | undefined): void;
  onActive(metric: string): void;
}

/**
 * True while the element is on screen or within a screen's margin of it.
 * `assumed`: true until the observer says otherwise — the first charts are on
 * screen when the page opens, and need not wait a frame for the observer.
 */
function useInView<T extends Element>(assumed = false): [React.RefObject<T | null>, boolean] {
  const ref = useRef<T>(null);
  const [inView, setInView] = useState(assumed);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const io = new IntersectionObserver((entries) => setInView(entries.some((e) => e.isIntersecting)), { rootMargin: "400px 0px" });
    io.observe(el);
    return () => io.disconnect();
  }, []);
  return [ref, inView];
}

function GridChart({ metric, first, runs, store, hidden, settings, focusId, onFocus, onActive }: ChartProps & { metric: string; first: boolean }) {
  const [ref, inView] = useInView<HTMLElement>(first);
  const h = useMetricHistories(store, metric, inView);
  const series = useMemo(() => seriesOf(runs, h.data, settings.xMode), [runs, h.data, settings.xMode]);
  const bars = useMemo(() => valueBars(series, hidden), [series, hidden]);
  return (
    <section ref={ref} className="card grid-chart" aria-label={`Metric ${metric}`} data-metric={metric} onMouseEnter={() => onActive(metric)}>
      <div className="grid-chart-head">
        <h3 className="truncate" title={metric}>
          {metric}
        </h3>
        {h.data && !h.detailed && <span className="muted small">first pass</span>}
        <button className="btn btn-small btn-ghost btn-icon" title="Open large" aria-label={`Open ${metric} large`} onClick={() => setSearch({ m: metric }, { push: true })}>
          ⤢
        </button>
      </div>
      {h.error ? (
        <ErrorBanner error={h.error} onRetry={() => store.request(metric, true)} />
      ) : !inView || !h.data ? (
        <div className="grid-chart-placeholder" aria-busy={inView ? "true" : undefined} />
      ) : series.length === 0 ? (
        <div className="grid-chart-placeholder muted small">No run has points for {metric}.</div>
      ) : bars ? (
        <ValueBars bars={bars} metric={metric} focusId={focusId} onHover={onFocus} />
      ) : (
        <CompareChart series={series} detailed={h.detailed} hidden={hidden} {...settings} height={200} title={metric} focusId={focusId} onHover={onFocus} />
      )}
    </section>
  );
}

function GridSection({ section, onToggle, first, ...chart }: ChartProps & { section: MetricSection; onToggle(): void; first: Set<string> }) {
  const [all, setAll] = useState(false);
  const keys = all ? section.keys : section.keys.slice(0, CHARTS_PER_SECTION);
  return (
    <section className="grid-section" aria-label={`Section ${section.title}`}>
      <button className="grid-section-head" aria-expanded={!section.folded} onClick={onToggle}>
        <span className={`chevron${section.folded ? "" : " open"}`} aria-hidden="true" />
        <span className="grid-section-title">{section.title}</span>
        <span className="count-pill">{section.keys.length}</span>
      </button>
      {!section.folded && (
        <>
          <div className="compare-grid">
            {keys.map((k) => (
              <GridChart key={k} metric={k} first={first.has(k)} {...chart} />
            ))}
          </div>
          {section.keys.length > keys.length && (
            <div className="load-more">
              <button className="btn" onClick={() => setAll(true)}>
                Show all {section.keys.length} charts
              </button>
            </div>
          )}
        </>
      )}
    </section>
  );
}

interface Props {
  runs: CompareRun[];
  metrics: string[];
  hidden: Set<string>;
  search: URLSearchParams;
  store: HistoryStore;
}

export function CompareGrid({ runs, metrics, hidden, search, store }: Props) {
  const settings = chartSettings(search);
  const mq = search.get("mq") ?? "";
  const foldParam = search.has("fold") ? search.get("fold") : undefined;
  const folded = useMemo(() => foldedSections(foldParam === undefined ? undefined : decodeList(foldParam)), [foldParam]);
  const sections = useMemo(() => metricSections(metrics, mq, folded), [metrics, mq, folded]);
  // The charts the prefetch loaded: drawn as soon as their data is in.
  const first = useMemo(() => new Set(firstCharts(sections, FIRST_CHARTS)), [sections]);
  const [focusId, setFocusId] = useState<string>();
  const [active, setActive] = useState<string>();
  const shown = sections.reduce((n, s) => n + s.keys.length, 0);
  const setFolded = (ids: string[]) => setSearch({ fold: encodeList(ids) ?? "-" });
  const toggle = (id: string) => setFolded(folded.has(id) ? [...folded].filter((f) => f !== id) : [...folded, id]);
  const allFolded = sections.length > 0 && sections.every((s) => folded.has(s.id));
  const chart: ChartProps = { runs, store, hidden, settings, focusId, onFocus: setFocusId, onActive: setActive };

  return (
    <div className="stack">
      <div className="toolbar chart-controls">
        <input className="input search-input" type="search" placeholder={`Search ${metrics.length} metrics`} aria-label="Search metrics" value={mq} onChange={(e) => setSearch({ mq: e.target.value })} />
        <ChartSettingsControls {...settings} />
        <div className="toolbar-spacer" />
        <span className="muted small" aria-live="polite">
          {shown} chart{shown === 1 ? "" : "s"} in {sections.length} section{sections.length === 1 ? "" : "s"}
        </span>
        {sections.length > 1 && !mq && (
          <button className="btn btn-small btn-ghost" onClick={() => setFolded(allFolded ? [] : sections.map((s) => s.id))}>
            {allFolded ? "Expand all" : "Collapse all"}
          </button>
        )}
      </div>
      {metrics.length === 0 ? (
        <EmptyState title="No metrics">None of these runs logged a metric.</EmptyState>
      ) : sections.length === 0 ? (
        <EmptyState title={`No metric matches “${mq}”`}>Change or clear the search.</EmptyState>
      ) : (
        <div className="compare-grid-row">
          <div className="grid-sections">
            {sections.map((s) => (
              <GridSection key={s.id} section={s} onToggle={() => toggle(s.id)} first={first} {...chart} />
            ))}
          </div>
          <RunLegend runs={runs} hidden={hidden} metric={active} focusId={focusId} onFocus={setFocusId} onHiddenChange={(h) => setSearch({ hide: encodeList(h) })} />
        </div>
      )}
    </div>
  );
}
