/** Approve or reject a waiting approve step, with a comment; the server records who, when and the comment. */
import { useState } from "react";
import { answerApproval, type WireApproval } from "../../api/pipelines-api";
import { ErrorBanner } from "../../components/states";
import { useAction } from "../../components/use-action";

export function ApprovalForm({ approval, onAnswered }: { approval: WireApproval; onAnswered(): void }) {
  const [comment, setComment] = useState("");
  const action = useAction();
  const answer = async (approved: boolean) => {
    if (await action.run(() => answerApproval(approval.run_id, approval.step_id, approved, comment.trim()))) onAnswered();
  };
  return (
    <div className="approval-form" data-run={approval.run_id} data-step={approval.step_id}>
      {approval.message && <p className="approval-message">{approval.message}</p>}
      {approval.approvers.length > 0 && <p className="small muted">Approvers: {approval.approvers.join(", ")}</p>}
      <textarea aria-label="Comment" placeholder="Comment (recorded with your answer)" value={comment} maxLength={5000} onChange={(e) => setComment(e.target.value)} rows={2} />
      <div className="approval-buttons">
        <button type="button" className="btn btn-primary" disabled={action.busy} onClick={() => void answer(true)}>Approve</button>
        <button type="button" className="btn btn-danger" disabled={action.busy} onClick={() => void answer(false)}>Reject</button>
      </div>
      {action.error && <ErrorBanner error={action.error} onDismiss={action.clearError} />}
    </div>
  );
}
