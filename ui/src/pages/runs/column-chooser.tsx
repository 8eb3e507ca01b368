/** Chooses the table's columns among attributes and every param, metric and tag key of the experiments in view. */
import { useMemo, useState } from "react";
import { isSystemTag, SystemTagsToggle, useShowSystemTags, visibleTagKeys } from "../../components/system-tags";
import { usePopover } from "../../components/use-popover";
import type { RunKeys } from "../../api/ciclo-api";
import { columnId, type ColumnKind } from "../../filter-text";
import { ATTRIBUTE_COLUMNS } from "./run-columns";

interface Props {
  keys: RunKeys | undefined;
  columns: string[];
  onChange(columns: string[]): void;
  onReset(): void;
}

const SECTIONS: Array<{ kind: ColumnKind; title: string }> = [
  { kind: "attributes", title: "Attributes" },
  { kind: "metrics", title: "Metrics" },
  { kind: "params", title: "Parameters" },
  { kind: "tags", title: "Tags" },
];
const SHOWN_PER_SECTION = 200;

export function ColumnChooser({ keys, columns, onChange, onReset }: Props) {
  const { open, setOpen, anchor: panel } = usePopover();
  const [q, setQ] = useState("");

  const chosen = useMemo(() => new Set(columns), [columns]);
  const showSystem = useShowSystemTags();
  const allTags = keys?.tags ?? [];
  const systemCount = allTags.filter(isSystemTag).length;
  const lists: Record<ColumnKind, string[]> = {
    attributes: Object.keys(ATTRIBUTE_COLUMNS),
    metrics: keys?.metrics ?? [],
    params: keys?.params ?? [],
    // The user's tags first; system tags (when shown) after them.
    tags: visibleTagKeys(allTags, false).concat(showSystem ? allTags.filter(isSystemTag) : []),
  };
  const toggle = (id: string) => onChange(chosen.has(id) ? columns.filter((c) => c !== id) : [...columns, id]);
  const needle = q.toLowerCase();

  return (
    <div className="popover-anchor" ref={panel}>
      <button className="btn" aria-expanded={open} aria-haspopup="dialog" onClick={() => setOpen((o) => !o)}>
        Columns <span className="muted">({columns.length})</span>
      </button>
      {open && (
        <div className="popover column-chooser" role="dialog" aria-label="Choose columns">
          <div className="popover-head">
            <input className="input" type="search" placeholder="Find a key" aria-label="Find a column" autoFocus value={q} onChange={(e) => setQ(e.target.value)} />
            <button className="btn btn-small btn-ghost" onClick={onReset}>
              Reset
            </button>
          </div>
          <div className="popover-body">
            {!keys && <div className="muted small">Loading keys…</div>}
            {SECTIONS.map(({ kind, title }) => {
              const all = lists[kind].filter((k) => k.toLowerCase().includes(needle));
              if (all.length === 0) return null;
              return (
                <fieldset key={kind} className="chooser-section">
                  <legend>
                    {title} <span className="muted">{all.length}</span>
                  </legend>
                  {all.slice(0, SHOWN_PER_SECTION).map((k) => {
                    const id = columnId(kind, k);
                    return (
                      <label key={id} className="check-row" title={id}>
                        <input type="checkbox" checked={chosen.has(id)} onChange={() => toggle(id)} />
                        <span className="truncate">{kind === "attributes" ? ATTRIBUTE_COLUMNS[k].label : k}</span>
                      </label>
                    );
                  })}
                  {all.length > SHOWN_PER_SECTION && <div className="muted small">{all.length - SHOWN_PER_SECTION} more: type to narrow</div>}
                </fieldset>
              );
            })}
            {systemCount > 0 && (
              <div className="chooser-foot">
                <SystemTagsToggle count={systemCount} />
              </div>
            )}
            {keys?.truncated && <div className="muted small">Only the first keys of each kind are listed.</div>}
          </div>
        </div>
      )}
    </div>
  );
}
