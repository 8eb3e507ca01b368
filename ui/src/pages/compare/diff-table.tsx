/**
 * Params, latest metrics, tags and attributes of the compared runs side by
 * side, one column per run. Rows whose values differ (a missing value counts
 * as different) are highlighted; "Only differences" hides the rest. The
 * toggle, the key filter and system tags are URL settings.
 */
import { useMemo } from "react";
import { formatDuration, formatNumber, formatTime } from "../../format";
import { Link, setSearch } from "../../router/router";
import { attributeKeys, compareKeys, differs, valueOf, type CompareRun } from "./compare-data";

const SECTIONS = [
  { kind: "attributes", title: "Run" },
  { kind: "params", title: "Parameters" },
  { kind: "metrics", title: "Metrics" },
  { kind: "tags", title: "Tags" },
] as const;
const MAX_ROWS_PER_SECTION = 300;
const ATTRIBUTE_LABELS: Record<string, string> = {
  run_name: "Name",
  status: "Status",
  user_id: "User",
  experiment_id: "Experiment",
  start_time: "Started",
  duration: "Duration",
};

function display(id: string, v: string | number | undefined): string {
  if (v === undefined) return "—";
  if (id === "attributes.start_time") return formatTime(Number(v));
  if (id === "attributes.duration") return formatDuration(Number(v));
  if (id === "attributes.status") return String(v).charAt(0) + String(v).slice(1).toLowerCase();
  return typeof v === "number" ? formatNumber(v) : v;
}

interface Props {
  runs: CompareRun[];
  search: URLSearchParams;
  experimentNames: Map<string, string>;
}

export function DiffTable({ runs, search, experimentNames }: Props) {
  const only = search.get("only") === "1";
  const withSystem = search.get("sys") === "1";
  const q = (search.get("dq") ?? "").toLowerCase();
  const keys = useMemo(() => compareKeys(runs.map((r) => r.run), withSystem), [runs, withSystem]);
  const sections = useMemo(
    () =>
      SECTIONS.map(({ kind, title }) => {
        const ids = kind === "attributes" ? attributeKeys() : keys[kind].map((k) => `${kind}.${k}`);
        const rows = ids
          .filter((id) => !q || id.toLowerCase().includes(q))
          .map((id) => {
            const values = runs.map((r) => valueOf(r.run, id));
            return { id, values, diff: runs.length > 1 && differs(values) };
          });
        return { kind, title, rows, shown: (only ? rows.filter((r) => r.diff) : rows).slice(0, MAX_ROWS_PER_SECTION), total: rows.length, differing: rows.filter((r) => r.diff).length };
      }),
    [keys, runs, only, q],
  );
  const differing = sections.reduce((n, s) => n + s.differing, 0);

  return (
    <div className="stack">
      <div className="toolbar">
        <input className="input search-input" type="search" placeholder="Filter keys" aria-label="Filter keys" value={search.get("dq") ?? ""} onChange={(e) => setSearch({ dq: e.target.value })} />
        <label className="inline-field">
          <input type="checkbox" checked={only} onChange={(e) => setSearch({ only: e.target.checked ? "1" : undefined })} />
          <span>Only differences</span>
        </label>
        <label className="inline-field">
          <input type="checkbox" checked={withSystem} onChange={(e) => setSearch({ sys: e.target.checked ? "1" : undefined })} />
          <span>System tags</span>
        </label>
        <div className="toolbar-spacer" />
        <span className="muted small">
          {differing} key{differing === 1 ? "" : "s"} differ
        </span>
      </div>
      <div className="card diff-wrap">
        <table className="table diff-table" aria-label="Run differences">
          <thead>
            <tr>
              <th className="diff-key">Key</th>
              {runs.map((r) => (
                <th key={r.id} className="diff-run" title={r.id}>
                  <span className="swatch" style={{ background: r.color }} aria-hidden="true" />
                  <Link to={`/runs/${encodeURIComponent(r.id)}`} className="truncate">
                    {r.name}
                  </Link>
                </th>
              ))}
            </tr>
          </thead>
          {sections.map((s) =>
            s.shown.length === 0 ? null : (
              <tbody key={s.kind}>
                <tr className="diff-section">
                  <th colSpan={runs.length + 1} scope="rowgroup">
                    {s.title} <span className="muted small">{only ? `${s.differing} of ${s.total} differ` : s.total}</span>
                  </th>
                </tr>
                {s.shown.map((row) => (
                  <tr key={row.id} className={row.diff ? "diff" : undefined} data-key={row.id}>
                    <td className="diff-key" title={row.id}>
                      {s.kind === "attributes" ? ATTRIBUTE_LABELS[row.id.slice(11)] : row.id.slice(s.kind.length + 1)}
                    </td>
                    {row.values.map((v, i) => (
                      <td key={runs[i].id} className={`${s.kind === "metrics" ? "num mono" : ""}${v === undefined ? " muted" : ""}`}>
                        {row.id === "attributes.experiment_id" ? (experimentNames.get(String(v)) ?? display(row.id, v)) : display(row.id, v)}
                      </td>
                    ))}
                  </tr>
                ))}
                {(only ? s.differing : s.total) > MAX_ROWS_PER_SECTION && (
                  <tr>
                    <td colSpan={runs.length + 1} className="muted small">
                      {(only ? s.differing : s.total) - MAX_ROWS_PER_SECTION} more: filter the keys to narrow.
                    </td>
                  </tr>
                )}
              </tbody>
            ),
          )}
        </table>
        {sections.every((s) => s.shown.length === 0) && <div className="card-empty muted">{only ? "These runs do not differ in any key shown." : "No key matches the filter."}</div>}
      </div>
    </div>
  );
}
