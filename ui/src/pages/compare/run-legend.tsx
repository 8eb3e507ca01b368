/**
 * The runs of a comparison, each with its colour: show/hide (kept in the URL),
 * a link to the run, the latest value of the charted metric, and hover to
 * highlight the run in the chart. A filter narrows long lists.
 */
import { useMemo, useState } from "react";
import { formatNumber } from "../../format";
import { Link } from "../../router/router";
import { valueOf, type CompareRun } from "./compare-data";

interface Props {
  runs: CompareRun[];
  hidden: Set<string>;
  onHiddenChange(hidden: string[]): void;
  /** The metric whose latest value each row shows. */
  metric?: string;
  focusId?: string;
  onFocus(id: string | undefined): void;
}

export function RunLegend({ runs, hidden, onHiddenChange, metric, focusId, onFocus }: Props) {
  const [q, setQ] = useState("");
  const shown = useMemo(() => {
    const n = q.trim().toLowerCase();
    return n ? runs.filter((r) => r.name.toLowerCase().includes(n) || r.id.startsWith(n)) : runs;
  }, [runs, q]);
  const visible = runs.length - runs.filter((r) => hidden.has(r.id)).length;
  const toggle = (id: string) => onHiddenChange(hidden.has(id) ? [...hidden].filter((h) => h !== id) : [...hidden, id]);
  return (
    <aside className="legend card" aria-label="Runs">
      <div className="legend-head">
        <span className="small muted">
          {visible} of {runs.length} shown
        </span>
        <span className="legend-actions">
          <button className="btn btn-small btn-ghost" disabled={hidden.size === 0} onClick={() => onHiddenChange([])}>
            All
          </button>
          <button className="btn btn-small btn-ghost" disabled={visible === 0} onClick={() => onHiddenChange(runs.map((r) => r.id))}>
            None
          </button>
        </span>
      </div>
      {runs.length > 8 && (
        <div className="legend-filter">
          <input className="input input-small" type="search" placeholder="Filter runs" aria-label="Filter legend" value={q} onChange={(e) => setQ(e.target.value)} />
        </div>
      )}
      <ul className="legend-list" onMouseLeave={() => onFocus(undefined)}>
        {shown.map((r) => {
          const v = metric ? valueOf(r.run, `metrics.${metric}`) : undefined;
          const off = hidden.has(r.id);
          return (
            <li key={r.id} className={`legend-item${off ? " off" : ""}${focusId === r.id ? " focused" : ""}`} onMouseEnter={() => !off && onFocus(r.id)}>
              <label className="legend-check" title={off ? "Show" : "Hide"}>
                <input type="checkbox" checked={!off} aria-label={`Show ${r.name}`} onChange={() => toggle(r.id)} />
                <span className="swatch" style={{ background: r.color }} aria-hidden="true" />
              </label>
              <Link to={`/runs/${encodeURIComponent(r.id)}`} className="legend-name truncate" title={r.name}>
                {r.name}
              </Link>
              {v !== undefined && <span className="legend-value mono small">{formatNumber(v)}</span>}
            </li>
          );
        })}
        {shown.length === 0 && <li className="legend-empty muted small">No run matches.</li>}
      </ul>
    </aside>
  );
}
