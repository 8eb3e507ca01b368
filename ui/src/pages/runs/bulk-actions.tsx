/** Actions on the selected runs: compare, tag, delete, restore (a few requests at a time, errors reported in place). */
import { useState } from "react";
import { deleteRun, restoreRun, setRunTag } from "../../api/tracking-api";
import { Dialog } from "../../components/dialog";
import { encodeList, navigate } from "../../router/router";

interface Props {
  selected: string[];
  showRestore: boolean;
  onDone(message?: string): void;
  onClear(): void;
}

async function eachLimited(ids: string[], fn: (id: string) => Promise<unknown>, limit = 6): Promise<number> {
  let i = 0;
  let failed = 0;
  const worker = async () => {
    while (i < ids.length) {
      const id = ids[i++];
      await fn(id).catch(() => failed++);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, ids.length) }, worker));
  return failed;
}

export function BulkActions({ selected, showRestore, onDone, onClear }: Props) {
  const [dialog, setDialog] = useState<"delete" | "restore" | "tag">();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [tagKey, setTagKey] = useState("");
  const [tagValue, setTagValue] = useState("");
  const n = selected.length;
  const runs = `${n} run${n === 1 ? "" : "s"}`;

  const act = async () => {
    setBusy(true);
    setError(undefined);
    if (dialog === "tag" && !tagKey.trim()) {
      setError("A tag needs a key.");
      setBusy(false);
      return;
    }
    const fn = dialog === "delete" ? deleteRun : dialog === "restore" ? restoreRun : (id: string) => setRunTag(id, tagKey.trim(), tagValue);
    const failed = await eachLimited(selected, fn);
    setBusy(false);
    if (failed > 0) {
      setError(`${failed} of ${n} runs failed; the others were updated.`);
      return;
    }
    setDialog(undefined);
    onDone(dialog === "tag" ? `Tagged ${runs}.` : dialog === "delete" ? `Deleted ${runs}.` : `Restored ${runs}.`);
  };

  return (
    <div className="bulk-bar" role="toolbar" aria-label="Selected runs">
      <span className="bulk-count">{runs} selected</span>
      <button className="btn btn-primary btn-small" disabled={n < 2} title={n < 2 ? "Select at least two runs" : undefined} onClick={() => navigate(`/compare?runs=${encodeList(selected)}`)}>
        Compare
      </button>
      <button className="btn btn-small" onClick={() => setDialog("tag")}>
        Tag
      </button>
      {showRestore && (
        <button className="btn btn-small" onClick={() => setDialog("restore")}>
          Restore
        </button>
      )}
      <button className="btn btn-small btn-danger-text" onClick={() => setDialog("delete")}>
        Delete
      </button>
      <button className="btn btn-small btn-ghost" onClick={onClear}>
        Clear selection
      </button>
      {dialog && (
        <Dialog
          title={dialog === "tag" ? `Tag ${runs}` : dialog === "delete" ? `Delete ${runs}` : `Restore ${runs}`}
          submitLabel={dialog === "tag" ? "Set tag" : dialog === "delete" ? "Delete" : "Restore"}
          danger={dialog === "delete"}
          busy={busy}
          error={error}
          onSubmit={act}
          onClose={() => {
            setDialog(undefined);
            setError(undefined);
          }}
        >
          {dialog === "tag" ? (
            <div className="field-row">
              <label className="field">
                <span className="field-label">Key</span>
                <input className="input" autoFocus aria-label="Tag key" value={tagKey} onChange={(e) => setTagKey(e.target.value)} />
              </label>
              <label className="field">
                <span className="field-label">Value</span>
                <input className="input" aria-label="Tag value" value={tagValue} onChange={(e) => setTagValue(e.target.value)} />
              </label>
            </div>
          ) : dialog === "delete" ? (
            <p>Delete {runs}? Deleted runs can be restored from the Deleted view.</p>
          ) : (
            <p>Restore {runs}?</p>
          )}
        </Dialog>
      )}
    </div>
  );
}
