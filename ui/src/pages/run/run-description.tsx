/** The run's markdown description (`mlflow.note.content`, as MLflow stores it): shown sanitized, edited in place. */
import { setRunTag, type WireRun } from "../../api/tracking-api";
import { DescriptionEditor } from "../../components/description-editor";

export const NOTE_TAG = "mlflow.note.content";

export function RunDescription({ run, onChanged }: { run: WireRun; onChanged(): void }) {
  const note = run.data.tags?.find((t) => t.key === NOTE_TAG)?.value ?? "";
  return (
    <DescriptionEditor
      text={note}
      emptyHint={`No description. Notes written here are stored in the run's ${NOTE_TAG} tag, where MLflow keeps them.`}
      onSave={async (text) => {
        await setRunTag(run.info.run_id, NOTE_TAG, text);
        onChanged();
      }}
    />
  );
}
