/**
 * A markdown description, shown sanitized (the run page's renderer: raw HTML
 * as text, DOMPurify allow-list) and edited in place. Used for runs,
 * registered models and model versions.
 */
import { useState } from "react";
import { useAction } from "./use-action";
import { MarkdownView } from "./markdown-view";
import { ErrorBanner } from "./states";

interface Props {
  text: string;
  /** What the empty state says. */
  emptyHint: string;
  onSave(text: string): Promise<unknown>;
}

export function DescriptionEditor({ text, emptyHint, onSave }: Props) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(text);
  const { busy, error, clearError, run } = useAction();
  const save = async () => {
    if (await run(() => onSave(draft))) setEditing(false);
  };
  return (
    <section className="card" aria-label="Description">
      <div className="card-head">
        <h2>Description</h2>
        {!editing && (
          <button
            className="btn btn-small"
            onClick={() => {
              setDraft(text);
              setEditing(true);
            }}
          >
            {text ? "Edit" : "Add description"}
          </button>
        )}
      </div>
      <div className="card-body">
        {error && <ErrorBanner error={error} onDismiss={clearError} />}
        {editing ? (
          <div className="stack">
            <textarea className="textarea" rows={7} aria-label="Description (markdown)" value={draft} onChange={(e) => setDraft(e.target.value)} autoFocus />
            <div className="row-end">
              <span className="muted small">Markdown. HTML is shown as text.</span>
              <button className="btn btn-ghost" onClick={() => setEditing(false)}>
                Cancel
              </button>
              <button className="btn btn-primary" disabled={busy} onClick={save}>
                {busy ? "Saving…" : "Save"}
              </button>
            </div>
          </div>
        ) : text ? (
          <MarkdownView source={text} />
        ) : (
          <div className="muted">{emptyHint}</div>
        )}
      </div>
    </section>
  );
}
