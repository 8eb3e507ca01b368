/**
 * The virtualized runs grid: only the rows in view (plus a margin) are in the
 * DOM, whatever the number loaded, so scrolling 100,000 runs stays smooth.
 * Near the end of what is loaded it asks for the next page. The header is
 * sticky and scrolls sideways with the rows.
 */
import { memo, useEffect, useRef, useState, type CSSProperties, type MouseEvent } from "react";
import type { RunModels } from "../../api/ciclo-api";
import type { WireRun } from "../../api/tracking-api";
import { StatusBadge } from "../../components/states";
import { formatDuration, formatNumber, formatTime, formatTimeShort } from "../../format";
import { Link } from "../../router/router";
import { loggedModelPath, versionPath } from "../models/model-links";
import { CHECK_COLUMN_WIDTH, NAME_COLUMN_WIDTH, cellValue, type ColumnDef } from "./run-columns";

export const ROW_HEIGHT = 34;
const OVERSCAN = 12;
/** Ask for the next page when this few loaded rows remain below the view (a fling moves ~12 rows a frame). */
const PREFETCH_ROWS = 400;

interface Props {
  runs: WireRun[];
  columns: ColumnDef[];
  hasMore: boolean;
  loading: boolean;
  onLoadMore(): void;
  sort: { id: string; desc: boolean };
  onSort(id: string): void;
  selected: Set<string>;
  onToggle(runId: string): void;
  onToggleAll(): void;
  experimentNames: Map<string, string>;
  /** The models of the loaded runs (Models column), by run id. */
  models: Map<string, RunModels>;
}

/** Registered versions first, then logged models: the first as a chip, the rest counted (all named in the tooltip). */
function ModelsCell({ m }: { m: RunModels | undefined }) {
  if (!m) return null;
  const chips = [
    ...m.versions.map((v) => ({ key: `v:${v.name}:${v.version}`, to: versionPath(v.name, v.version), text: `${v.name} v${v.version}`, logged: false, title: `Registered model ${v.name}, version ${v.version}` })),
    ...m.loggedModels.map((lm) => ({ key: `m:${lm.model_id}`, to: loggedModelPath(lm.model_id), text: lm.name, logged: true, title: `Logged model ${lm.name} (${lm.model_id})` })),
  ];
  if (chips.length === 0) return <span className="muted">—</span>;
  const [c] = chips;
  return (
    <span className="model-chips" title={chips.map((x) => x.title).join("\n")}>
      <Link to={c.to} className={`model-chip${c.logged ? " logged" : ""}`}>
        <span className="model-icon" aria-hidden="true">
          {c.logged ? "◇" : "◆"}
        </span>
        <span className="truncate">{c.text}</span>
      </Link>
      {chips.length > 1 && <span className="muted small">+{chips.length - 1}</span>}
    </span>
  );
}

function Cell({ run, col, experimentNames }: { run: WireRun; col: ColumnDef; experimentNames: Map<string, string> }) {
  const v = cellValue(run, col);
  if (col.kind === "attributes") {
    switch (col.key) {
      case "status":
        return <StatusBadge status={run.info.status} />;
      case "start_time":
      case "end_time":
        return <span title={formatTime(v as number | undefined)}>{formatTimeShort(v as number | undefined)}</span>;
      case "duration":
        return <>{v === undefined ? "—" : formatDuration(v as number)}</>;
      case "experiment_id":
        return <Link to={`/experiments/${run.info.experiment_id}`}>{experimentNames.get(String(v)) ?? v}</Link>;
    }
  }
  if (v === undefined) return <span className="muted">—</span>;
  return <>{col.numeric ? formatNumber(v) : String(v)}</>;
}

const PIN_WIDTH = CHECK_COLUMN_WIDTH + NAME_COLUMN_WIDTH;

interface RowProps {
  run: WireRun;
  index: number;
  checked: boolean;
}

const rowClass = (run: WireRun, checked: boolean) => `grid-row${checked ? " selected" : ""}${run.info.lifecycle_stage === "deleted" ? " row-deleted" : ""}`;

/**
 * A row is drawn in two halves: the pinned checkbox and name in the one
 * sticky pane at the left, the other cells in the scrolling pane. One sticky
 * layer for the whole grid instead of two sticky cells per row, which made
 * the browser composite ~90 layers on every frame of a fast scroll. The
 * pinned half is the ARIA row and owns its other half.
 */
const PinRow = memo(function PinRow({ run, index, checked, onToggle }: RowProps & { onToggle(id: string): void }) {
  const name = run.info.run_name || run.info.run_id;
  return (
    <div className={rowClass(run, checked)} data-row={index} role="row" aria-rowindex={index + 2} aria-owns={`grid-cells-${index}`} style={{ transform: `translateY(${index * ROW_HEIGHT}px)` }}>
      <div className="grid-cell col-check" role="gridcell" style={{ width: CHECK_COLUMN_WIDTH }}>
        <input type="checkbox" aria-label={`Select run ${name}`} checked={checked} onChange={() => onToggle(run.info.run_id)} />
      </div>
      <div className="grid-cell cell-name" role="gridcell" style={{ width: NAME_COLUMN_WIDTH }} title={name}>
        <span className={`status-dot status-${run.info.status.toLowerCase()}`} aria-hidden="true" />
        <Link to={`/runs/${run.info.run_id}`}>{name}</Link>
      </div>
    </div>
  );
});

const CellsRow = memo(function CellsRow({ run, index, checked, columns, experimentNames, models }: RowProps & { columns: ColumnDef[]; experimentNames: Map<string, string>; models: RunModels | undefined }) {
  return (
    <div className={rowClass(run, checked)} id={`grid-cells-${index}`} data-row={index} style={{ transform: `translateY(${index * ROW_HEIGHT}px)` }}>
      {columns.map((c) => {
        const v = cellValue(run, c);
        return (
          <div key={c.id} className={`grid-cell${c.numeric ? " num" : ""}`} role="gridcell" style={{ width: c.width }} title={v === undefined || c.kind === "attributes" ? undefined : String(v)}>
            {c.id === "attributes.models" ? <ModelsCell m={models} /> : <Cell run={run} col={c} experimentNames={experimentNames} />}
          </div>
        );
      })}
    </div>
  );
});

/** Hover highlights both halves of a row; done on the DOM, so moving the mouse re-renders nothing. */
function useRowHover() {
  const hovered = useRef<string | null>(null);
  const set = (body: HTMLElement, row: string | null) => {
    if (row === hovered.current) return;
    if (hovered.current !== null) body.querySelectorAll(`[data-row="${hovered.current}"]`).forEach((el) => el.classList.remove("hover"));
    hovered.current = row;
    if (row !== null) body.querySelectorAll(`[data-row="${row}"]`).forEach((el) => el.classList.add("hover"));
  };
  return {
    onMouseOver: (e: MouseEvent<HTMLDivElement>) => set(e.currentTarget, (e.target as HTMLElement).closest("[data-row]")?.getAttribute("data-row") ?? null),
    onMouseLeave: (e: MouseEvent<HTMLDivElement>) => set(e.currentTarget, null),
  };
}

export function RunsTable(p: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const [view, setView] = useState({ top: 0, height: 800 });
  const frame = useRef(0);

  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const measure = () => setView({ top: el.scrollTop, height: el.clientHeight });
    // One state update per frame, however many scroll events arrive.
    const onScroll = () => {
      if (!frame.current) frame.current = requestAnimationFrame(() => {
        frame.current = 0;
        measure();
      });
    };
    measure();
    el.addEventListener("scroll", onScroll, { passive: true });
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => {
      el.removeEventListener("scroll", onScroll);
      ro.disconnect();
      cancelAnimationFrame(frame.current);
    };
  }, []);

  // A performance mark when rows are first on screen (the UI benchmark reads it).
  const hasRows = p.runs.length > 0;
  useEffect(() => {
    if (hasRows) requestAnimationFrame(() => performance.mark("ciclo:runs-visible"));
  }, [hasRows]);

  const first = Math.max(0, Math.floor(view.top / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(p.runs.length, Math.ceil((view.top + view.height) / ROW_HEIGHT) + OVERSCAN);
  const { hasMore, loading, onLoadMore, runs } = p;
  useEffect(() => {
    if (hasMore && !loading && last + PREFETCH_ROWS >= runs.length) onLoadMore();
  }, [last, hasMore, loading, onLoadMore, runs.length]);

  const width = CHECK_COLUMN_WIDTH + NAME_COLUMN_WIDTH + p.columns.reduce((w, c) => w + c.width, 0);
  const allChecked = p.runs.length > 0 && p.runs.every((r) => p.selected.has(r.info.run_id));
  const bodyHeight = (p.runs.length + (p.hasMore ? 1 : 0)) * ROW_HEIGHT;
  const sortMark = (id: string) => (p.sort.id === id ? (p.sort.desc ? " ▼" : " ▲") : "");
  const ariaSort = (id: string): "ascending" | "descending" | "none" => (p.sort.id === id ? (p.sort.desc ? "descending" : "ascending") : "none");
  const gridStyle: CSSProperties = { width };
  const visible = p.runs.slice(first, last);
  const hover = useRowHover();

  return (
    <div className="grid-scroll" ref={scroller} role="grid" aria-label="Runs" aria-rowcount={p.runs.length + 1} data-testid="runs-grid">
      <div className="grid-head" role="row" style={gridStyle}>
        <div className="grid-cell col-check sticky-col" role="columnheader" style={{ width: CHECK_COLUMN_WIDTH }}>
          <input type="checkbox" aria-label="Select all loaded runs" checked={allChecked} onChange={p.onToggleAll} />
        </div>
        <div className="grid-cell sticky-col" role="columnheader" style={{ width: NAME_COLUMN_WIDTH, left: CHECK_COLUMN_WIDTH }} aria-sort={ariaSort("attributes.run_name")}>
          <button className="th-button" onClick={() => p.onSort("attributes.run_name")}>
            Run{sortMark("attributes.run_name")}
          </button>
        </div>
        {p.columns.map((c) => (
          <div key={c.id} className={`grid-cell${c.numeric ? " num" : ""} th-${c.kind}`} role="columnheader" style={{ width: c.width }} title={c.id} aria-sort={ariaSort(c.id)}>
            {c.sortable ? (
              <button className="th-button" onClick={() => p.onSort(c.id)}>
                {c.kind !== "attributes" && <span className="th-kind">{c.kind === "metrics" ? "M" : c.kind === "params" ? "P" : "T"}</span>}
                <span className="th-label">{c.label}</span>
                {sortMark(c.id)}
              </button>
            ) : (
              <span className="th-label">{c.label}</span>
            )}
          </div>
        ))}
      </div>
      <div className="grid-body" style={{ ...gridStyle, height: bodyHeight }} {...hover}>
        <div className="grid-pin" style={{ width: PIN_WIDTH, height: bodyHeight }}>
          {visible.map((run, i) => (
            <PinRow key={run.info.run_id} run={run} index={first + i} checked={p.selected.has(run.info.run_id)} onToggle={p.onToggle} />
          ))}
        </div>
        <div className="grid-cols" style={{ width: width - PIN_WIDTH, height: bodyHeight }}>
          {visible.map((run, i) => (
            <CellsRow key={run.info.run_id} run={run} index={first + i} checked={p.selected.has(run.info.run_id)} columns={p.columns} experimentNames={p.experimentNames} models={p.models.get(run.info.run_id)} />
          ))}
        </div>
        {p.hasMore && (
          <div className="grid-loading" style={{ transform: `translateY(${p.runs.length * ROW_HEIGHT}px)` }}>
            <span className="spinner" aria-hidden="true" /> Loading more runs…
          </div>
        )}
      </div>
    </div>
  );
}
