/** The run's markdown description (`mlflow.note.content`, as MLflow stores it): shown sanitized, edited in place. */
import { useState } from "react";
import { setRunTag, type WireRun } from "../../api/tracking-api";
import { MarkdownView } from "../../components/markdown-view";
import { ErrorBanner } from "../../components/states";

export const NOTE_TAG = "mlflow.note.content";

export function RunDescription({ run, onChanged }: { run: WireRun; onChanged(): void }) {
  const note = run.data.tags?.find((t) => t.key === NOTE_TAG)?.value ?? "";
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(note);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  const save = async () => {
    setBusy(true);
    try {
      await setRunTag(run.info.run_id, NOTE_TAG, draft);
      setEditing(false);
      setError(undefined);
      onChanged();
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card" aria-label="Description">
      <div className="card-head">
        <h2>Description</h2>
        {!editing && (
          <button
            className="btn btn-small"
            onClick={() => {
              setDraft(note);
              setEditing(true);
            }}
          >
            {note ? "Edit" : "Add description"}
          </button>
        )}
      </div>
      <div className="card-body">
        {error && <ErrorBanner error={error} onDismiss={() => setError(undefined)} />}
        {editing ? (
          <div className="stack">
            <textarea className="textarea" rows={8} aria-label="Description (markdown)" value={draft} onChange={(e) => setDraft(e.target.value)} autoFocus />
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
        ) : note ? (
          <MarkdownView source={note} />
        ) : (
          <div className="muted">No description. Notes written here are stored in the run's {NOTE_TAG} tag, where MLflow keeps them.</div>
        )}
      </div>
    </section>
  );
}
