/** Create, rename, delete and restore an experiment, each in a small dialog that shows the server's error in place. */
import { useState } from "react";
import { createExperiment, deleteExperiment, renameExperiment, restoreExperiment, type WireExperiment } from "../../api/tracking-api";
import { Dialog } from "../../components/dialog";

export type ExperimentAction = "create" | "rename" | "delete" | "restore";

interface Props {
  action: ExperimentAction;
  experiment?: WireExperiment;
  onClose(): void;
  /** Called after success; with the new id after a create. */
  onDone(createdId?: string): void;
}

export function ExperimentDialog({ action, experiment, onClose, onDone }: Props) {
  const [name, setName] = useState(action === "rename" ? (experiment?.name ?? "") : "");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const run = async () => {
    setBusy(true);
    setError(undefined);
    try {
      if (action === "create") return onDone(await createExperiment(name.trim()));
      const id = experiment!.experiment_id;
      if (action === "rename") await renameExperiment(id, name.trim());
      if (action === "delete") await deleteExperiment(id);
      if (action === "restore") await restoreExperiment(id);
      onDone();
    } catch (e) {
      setError((e as Error).message);
      setBusy(false);
    }
  };
  const titles: Record<ExperimentAction, string> = {
    create: "New experiment",
    rename: "Rename experiment",
    delete: "Delete experiment",
    restore: "Restore experiment",
  };
  const labels: Record<ExperimentAction, string> = { create: "Create", rename: "Rename", delete: "Delete", restore: "Restore" };
  return (
    <Dialog title={titles[action]} submitLabel={labels[action]} danger={action === "delete"} busy={busy} error={error} onSubmit={run} onClose={onClose}>
      {action === "create" || action === "rename" ? (
        <label className="field">
          <span className="field-label">Name</span>
          <input className="input" autoFocus required value={name} onChange={(e) => setName(e.target.value)} aria-label="Experiment name" />
        </label>
      ) : action === "delete" ? (
        <p>
          Delete <strong>{experiment?.name}</strong> and its runs? They can be restored from the Deleted view until garbage collection purges them.
        </p>
      ) : (
        <p>
          Restore <strong>{experiment?.name}</strong> and the runs its deletion deleted?
        </p>
      )}
    </Dialog>
  );
}
