/**
 * Params, latest metrics, tags and attributes of the compared runs side by
 * side, one column per run. Rows whose values differ are highlighted —
 * compared as shown or typed (see `diffKey`): numbers numerically, a missing
 * value apart from an empty one; "Only differences" hides the rest. The
 * toggle and the key filter are URL settings; system tags follow the UI-wide
 * "Show system tags" toggle.
 */
import { useMemo } from "react";
import { SystemTagsToggle, useShowSystemTags } from "../../components/system-tags";
import { Link, setSearch } from "../../router/router";
import { attributeKeys, compareKeys, differs, displayValue, valueOf, type CompareRun } from "./compare-data";

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

interface Props {
  runs: CompareRun[];
  search: URLSearchParams;
  experimentNames: Map<string, string>;
}

export function DiffTable({ runs, search, experimentNames }: Props) {
  const only = search.get("only") === "1";
  const withSystem = useShowSystemTags();
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
            return { id, values, diff: runs.length > 1 && differs(values, id) };
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
        <SystemTagsToggle />
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
                      <td key={runs[i].id} className={`${s.kind === "metrics" ? "num mono" : ""}${v === undefined || v === "" ? " muted" : ""}`}>
                        {row.id === "attributes.experiment_id" ? (experimentNames.get(String(v)) ?? displayValue(row.id, v)) : displayValue(row.id, v)}
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
