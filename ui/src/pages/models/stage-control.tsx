/**
 * A version's stage with a select to transition it (MLflow's deprecated but
 * still-used stages), confirmed in a dialog that offers to archive the other
 * versions in the target stage, as `archive_existing_versions` does.
 */
import { useState } from "react";
import { STAGES, transitionStage } from "../../api/registry-api";
import { Dialog } from "../../components/dialog";

/** The versions in Production and Staging, in that order (Archived and None are not worth a badge here). */
export function liveStages<T extends { current_stage: string }>(versions: T[] | undefined): T[] {
  const rank = (s: string) => ["Production", "Staging"].indexOf(s);
  return (versions ?? []).filter((v) => rank(v.current_stage) >= 0).sort((a, b) => rank(a.current_stage) - rank(b.current_stage));
}

export function StageBadge({ stage }: { stage: string }) {
  return <span className={`badge stage-${stage.toLowerCase()}`}>{stage}</span>;
}

interface Props {
  name: string;
  version: string;
  stage: string;
  onChanged(): void;
}

export function StageControl({ name, version, stage, onChanged }: Props) {
  const [target, setTarget] = useState<string>();
  const [archive, setArchive] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const submit = async () => {
    if (!target) return;
    setBusy(true);
    try {
      await transitionStage(name, version, target, archive && (target === "Staging" || target === "Production"));
      setTarget(undefined);
      setError(undefined);
      onChanged();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <select
        className={`select select-small stage-select stage-${stage.toLowerCase()}`}
        aria-label={`Stage of version ${version}`}
        value={stage}
        onChange={(e) => {
          setArchive(false);
          setTarget(e.target.value);
        }}
      >
        {STAGES.map((s) => (
          <option key={s} value={s}>
            {s}
          </option>
        ))}
        {!STAGES.includes(stage as (typeof STAGES)[number]) && <option value={stage}>{stage}</option>}
      </select>
      {target && (
        <Dialog
          title={`Move version ${version} to ${target}`}
          submitLabel={`Move to ${target}`}
          busy={busy}
          error={error}
          onSubmit={submit}
          onClose={() => {
            setTarget(undefined);
            setError(undefined);
          }}
        >
          <p>
            Version {version} of <strong>{name}</strong> goes from <strong>{stage}</strong> to <strong>{target}</strong>.
          </p>
          {(target === "Staging" || target === "Production") && (
            <label className="check-row dialog-check">
              <input type="checkbox" checked={archive} onChange={(e) => setArchive(e.target.checked)} />
              <span>Archive the other versions now in {target}</span>
            </label>
          )}
        </Dialog>
      )}
    </>
  );
}
