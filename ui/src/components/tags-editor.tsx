/**
 * Key/value tags of a run, a registered model or a model version, edited in
 * place: add, change, delete. System tags (`mlflow.*`, `ciclo.*`) are folded
 * away behind the UI-wide "Show system tags" toggle and are read-only here —
 * they belong to the tools that wrote them. Keys in `hidden` are left out
 * (the run's description tag is edited as the description).
 */
import { useState } from "react";
import type { WireKeyValue } from "../api/tracking-api";
import { ErrorBanner } from "./states";
import { isSystemTag, SystemTagsToggle, useShowSystemTags } from "./system-tags";
import { useAction } from "./use-action";
import { Card } from "./card";

interface Props {
  tags: WireKeyValue[];
  onSet(key: string, value: string): Promise<unknown>;
  onDelete(key: string): Promise<unknown>;
  hidden?: string[];
}

export function TagsEditor({ tags, onSet, onDelete, hidden = [] }: Props) {
  const sorted = tags.filter((t) => !hidden.includes(t.key)).sort((a, b) => a.key.localeCompare(b.key));
  const user = sorted.filter((t) => !isSystemTag(t.key));
  const system = sorted.filter((t) => isSystemTag(t.key));
  const showSystem = useShowSystemTags();
  const [editing, setEditing] = useState<string | null>(null);
  const [value, setValue] = useState("");
  const [newKey, setNewKey] = useState("");
  const [newValue, setNewValue] = useState("");
  const { busy, error, clearError, run } = useAction();
  const act = async (fn: () => Promise<unknown>, after: () => void) => {
    if (await run(fn)) after();
  };
  const shownSystem = showSystem ? system : [];
  return (
    <Card title="Tags" count={user.length} aside={system.length > 0 && <SystemTagsToggle count={system.length} />}>
      {error && <ErrorBanner error={error} onDismiss={clearError} />}
      {user.length === 0 && shownSystem.length === 0 ? (
        <div className="card-empty muted">{system.length > 0 ? `No tags of your own; ${system.length} system tag${system.length === 1 ? "" : "s"} hidden.` : "No tags."}</div>
      ) : (
        <table className="table kv-table">
          <tbody>
            {user.map((t) => (
              <tr key={t.key}>
                <td>{t.key}</td>
                <td>
                  {editing === t.key ? (
                    <form
                      className="inline-form"
                      onSubmit={(e) => {
                        e.preventDefault();
                        void act(() => onSet(t.key, value), () => setEditing(null));
                      }}
                    >
                      <input className="input input-small" aria-label={`Value of ${t.key}`} autoFocus value={value} onChange={(e) => setValue(e.target.value)} />
                      <button className="btn btn-small btn-primary" disabled={busy}>
                        Save
                      </button>
                      <button type="button" className="btn btn-small btn-ghost" onClick={() => setEditing(null)}>
                        Cancel
                      </button>
                    </form>
                  ) : (
                    <div className="tag-value">
                      <span>{t.value || <span className="muted">(empty)</span>}</span>
                      <span className="row-actions">
                        <button
                          className="btn btn-small btn-ghost"
                          aria-label={`Edit tag ${t.key}`}
                          onClick={() => {
                            setEditing(t.key);
                            setValue(t.value);
                          }}
                        >
                          Edit
                        </button>
                        <button className="btn btn-small btn-ghost btn-danger-text" aria-label={`Delete tag ${t.key}`} disabled={busy} onClick={() => act(() => onDelete(t.key), () => undefined)}>
                          Delete
                        </button>
                      </span>
                    </div>
                  )}
                </td>
              </tr>
            ))}
            {shownSystem.map((t) => (
              <tr key={t.key} className="row-system">
                <td>{t.key}</td>
                <td className="mono small">{t.value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form
        className="inline-form add-tag"
        onSubmit={(e) => {
          e.preventDefault();
          const key = newKey.trim();
          if (key)
            void act(
              () => onSet(key, newValue),
              () => {
                setNewKey("");
                setNewValue("");
              },
            );
        }}
      >
        <input className="input input-small" placeholder="key" aria-label="New tag key" value={newKey} onChange={(e) => setNewKey(e.target.value)} />
        <input className="input input-small" placeholder="value" aria-label="New tag value" value={newValue} onChange={(e) => setNewValue(e.target.value)} />
        <button className="btn btn-small" disabled={busy || !newKey.trim()}>
          Add tag
        </button>
      </form>
    </Card>
  );
}
