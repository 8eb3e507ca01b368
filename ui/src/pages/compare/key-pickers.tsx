/** Choosers of compare keys: one key (grouped select) for scatter axes and targets, several (popover) for parallel axes. */
import { useState } from "react";
import { usePopover } from "../../components/use-popover";

export interface KeyGroups {
  metrics: string[];
  params: string[];
  tags?: string[];
  attributes?: string[];
}

const GROUPS: Array<{ kind: keyof KeyGroups; title: string }> = [
  { kind: "metrics", title: "Metrics" },
  { kind: "params", title: "Parameters" },
  { kind: "attributes", title: "Attributes" },
  { kind: "tags", title: "Tags" },
];
const ATTRIBUTE_LABELS: Record<string, string> = { duration: "Duration", start_time: "Start time", status: "Status", user_id: "User" };
const label = (kind: keyof KeyGroups, k: string) => (kind === "attributes" ? (ATTRIBUTE_LABELS[k] ?? k) : k);

export function KeySelect({ label: text, keys, value, onChange }: { label: string; keys: KeyGroups; value: string; onChange(id: string): void }) {
  return (
    <label className="inline-field">
      <span>{text}</span>
      <select className="select key-select" aria-label={text} value={value} onChange={(e) => onChange(e.target.value)}>
        {GROUPS.map(({ kind, title }) =>
          (keys[kind] ?? []).length === 0 ? null : (
            <optgroup key={kind} label={title}>
              {keys[kind]!.map((k) => (
                <option key={k} value={`${kind}.${k}`}>
                  {label(kind, k)}
                </option>
              ))}
            </optgroup>
          ),
        )}
      </select>
    </label>
  );
}

export function AxesChooser({ keys, chosen, onChange }: { keys: KeyGroups; chosen: string[]; onChange(ids: string[]): void }) {
  const { open, setOpen, anchor: panel } = usePopover();
  const [q, setQ] = useState("");
  const set = new Set(chosen);
  const toggle = (id: string) => onChange(set.has(id) ? chosen.filter((c) => c !== id) : [...chosen, id]);
  const needle = q.toLowerCase();
  return (
    <div className="popover-anchor" ref={panel}>
      <button className="btn" aria-expanded={open} aria-haspopup="dialog" onClick={() => setOpen((o) => !o)}>
        Axes <span className="muted">({chosen.length})</span>
      </button>
      {open && (
        <div className="popover popover-left" role="dialog" aria-label="Choose axes">
          <div className="popover-head">
            <input className="input" type="search" placeholder="Find a key" aria-label="Find an axis key" autoFocus value={q} onChange={(e) => setQ(e.target.value)} />
            <button className="btn btn-small btn-ghost" disabled={chosen.length === 0} onClick={() => onChange([])}>
              Clear
            </button>
          </div>
          <div className="popover-body">
            {GROUPS.map(({ kind, title }) => {
              const all = (keys[kind] ?? []).filter((k) => k.toLowerCase().includes(needle));
              if (all.length === 0) return null;
              return (
                <fieldset key={kind} className="chooser-section">
                  <legend>
                    {title} <span className="muted">{all.length}</span>
                  </legend>
                  {all.slice(0, 200).map((k) => (
                    <label key={k} className="check-row" title={`${kind}.${k}`}>
                      <input type="checkbox" checked={set.has(`${kind}.${k}`)} onChange={() => toggle(`${kind}.${k}`)} />
                      <span className="truncate">{label(kind, k)}</span>
                    </label>
                  ))}
                  {all.length > 200 && <div className="muted small">{all.length - 200} more: type to narrow</div>}
                </fieldset>
              );
            })}
          </div>
        </div>
      )}
    </div>
  );
}
