/** The run's tags, editable: add, change, delete. System tags (`mlflow.*`) are listed apart and read-only here. */
import { useState } from "react";
import { useAction } from "../../components/use-action";
import { deleteRunTag, setRunTag, type WireRun } from "../../api/tracking-api";
import { ErrorBanner } from "../../components/states";

export function RunTags({ run, onChanged }: { run: WireRun; onChanged(): void }) {
  const tags = (run.data.tags ?? []).slice().sort((a, b) => a.key.localeCompare(b.key));
  const user = tags.filter((t) => !t.key.startsWith("mlflow."));
  const system = tags.filter((t) => t.key.startsWith("mlflow.") && t.key !== "mlflow.note.content");
  const [showSystem, setShowSystem] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);
  const [key, setKey] = useState("");
  const [value, setValue] = useState("");
  const { busy, error, clearError, run: attempt } = useAction();

  const act = async (fn: () => Promise<unknown>) => {
    if (!(await attempt(fn))) return;
    setEditing(null);
    setKey("");
    setValue("");
    onChanged();
  };

  return (
    <section className="card" aria-label="Tags">
      <div className="card-head">
        <h2>
          Tags <span className="muted small">{user.length}</span>
        </h2>
        {system.length > 0 && (
          <button className="btn btn-small btn-ghost" onClick={() => setShowSystem((s) => !s)}>
            {showSystem ? "Hide" : "Show"} {system.length} system tag{system.length === 1 ? "" : "s"}
          </button>
        )}
      </div>
      <div className="card-body-flush">
        {error && <ErrorBanner error={error} onDismiss={clearError} />}
        <table className="table kv-table">
          <tbody>
            {user.map((t) =>
              editing === t.key ? (
                <tr key={t.key}>
                  <td>{t.key}</td>
                  <td>
                    <form
                      className="inline-form"
                      onSubmit={(e) => {
                        e.preventDefault();
                        void act(() => setRunTag(run.info.run_id, t.key, value));
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
                  </td>
                </tr>
              ) : (
                <tr key={t.key}>
                  <td>{t.key}</td>
                  <td>
                    <div className="tag-value">
                      <span>{t.value}</span>
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
                        <button className="btn btn-small btn-ghost btn-danger-text" aria-label={`Delete tag ${t.key}`} disabled={busy} onClick={() => act(() => deleteRunTag(run.info.run_id, t.key))}>
                          Delete
                        </button>
                      </span>
                    </div>
                  </td>
                </tr>
              ),
            )}
            {showSystem &&
              system.map((t) => (
                <tr key={t.key} className="row-system">
                  <td>{t.key}</td>
                  <td className="mono small">{t.value}</td>
                </tr>
              ))}
          </tbody>
        </table>
        <form
          className="inline-form add-tag"
          onSubmit={(e) => {
            e.preventDefault();
            if (key.trim()) void act(() => setRunTag(run.info.run_id, key.trim(), value));
          }}
        >
          <input className="input input-small" placeholder="key" aria-label="New tag key" value={editing === null ? key : ""} onChange={(e) => setKey(e.target.value)} />
          <input className="input input-small" placeholder="value" aria-label="New tag value" value={editing === null ? value : ""} onChange={(e) => setValue(e.target.value)} />
          <button className="btn btn-small" disabled={busy || !key.trim() || editing !== null}>
            Add tag
          </button>
        </form>
      </div>
    </section>
  );
}
