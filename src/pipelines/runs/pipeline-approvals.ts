/**
 * The `approve` step: a waiting step with an approval request (who may
 * answer, a message — both may hold expressions), answered once through the
 * API, the CLI or the UI, with who, when and a comment recorded on the step
 * and its run; then the run moves on.
 * @module
 */
import { MlflowError, ResourceDoesNotExistError } from "../../shared/errors.js";
import { renderTemplate, stringify, type ExpressionContext } from "../definition/expression.js";
import type { StepSpec } from "../definition/pipeline-spec.js";
import type { PipelineEngine } from "./pipeline-engine.js";
import type { Approval, PipelineRun } from "./pipeline-store.js";
import { conflict } from "./run-context.js";

/** Renders every string of a value (lists too). */
function render(v: unknown, ctx: ExpressionContext): unknown {
  if (typeof v === "string") return renderTemplate(v, ctx);
  if (Array.isArray(v)) return v.map((x) => render(x, ctx));
  return v;
}

export async function requestApproval(engine: PipelineEngine, run: PipelineRun, spec: StepSpec, ctx: ExpressionContext): Promise<boolean> {
  if (!(await engine.deps.store.updateStep(run.runId, spec.id, { status: "waiting", startedAt: Date.now(), attempt: 1 }, ["pending"]))) return false;
  const childRunId = await engine.childRun(run, spec);
  await engine.deps.store.updateStep(run.runId, spec.id, { childRunId });
  // with.message and with.approvers may hold expressions (`Ship ${{ steps.register.outputs.model_uri }}?`).
  const args = { message: render(spec.with.message, ctx), approvers: render(spec.with.approvers, ctx) };
  const approvers = (Array.isArray(args.approvers) ? args.approvers : args.approvers === undefined || args.approvers === null || args.approvers === "" ? [] : [args.approvers]).map((a) => stringify(a));
  const message = args.message === undefined || args.message === null ? null : stringify(args.message).slice(0, 5000);
  await engine.deps.store.requestApproval({ runId: run.runId, stepId: spec.id, pipeline: run.pipeline, approvers, message, requestedAt: Date.now() });
  await engine.log(run.runId, spec.id, 1, `waiting for approval${approvers.length ? ` by ${approvers.join(" or ")}` : ""}`);
  return true;
}

export interface ApprovalAnswer {
  approved: boolean;
  /** Who answers (the signed-in user when authentication is on). */
  by: string | null;
  comment?: string | null;
  /** Answers as an admin: listed approvers do not bind. */
  isAdmin?: boolean;
  /** With authentication on: the signed-in user (who already holds MANAGE on the run's experiment, or is an admin). */
  signedIn?: { isAdmin: boolean };
}

/** Approves or rejects a waiting `approve` step. `by` is who answers (the authenticated user when auth is on). */
export async function answerApproval(engine: PipelineEngine, runId: string, stepId: string, answer: ApprovalAnswer): Promise<Approval> {
  const approval = await engine.deps.store.getApproval(runId, stepId);
  if (!approval) throw new ResourceDoesNotExistError(`Pipeline run ${runId} has no approval step '${stepId}' waiting.`);
  // The role the step requires, from the definition the run started with. The auth hook let a non-admin through
  // only with MANAGE on the run's experiment; that suffices when the step says role: manage.
  const spec = (await engine.requireRun(runId)).spec.steps.find((s) => s.id === stepId);
  const role = spec?.with.role === "manage" ? "manage" : "admin";
  if (answer.signedIn && !answer.signedIn.isAdmin && role === "admin") {
    throw new MlflowError(`Step '${stepId}' may be answered only by an admin (its role is admin; role: manage lets users with MANAGE on the pipeline's experiment answer).`, "PERMISSION_DENIED");
  }
  if (approval.state !== "pending") throw conflict(`The approval of step '${stepId}' was already answered (${approval.state} by ${approval.answeredBy ?? "unknown"}).`);
  if (approval.approvers.length > 0 && !answer.isAdmin && (!answer.by || !approval.approvers.includes(answer.by))) {
    throw new MlflowError(`Step '${stepId}' may be approved only by ${approval.approvers.join(", ")}${answer.by ? `, not ${answer.by}` : "; say who you are (--by, or sign in)"}.`, "PERMISSION_DENIED");
  }
  const state = answer.approved ? "approved" : "rejected";
  if (!(await engine.deps.store.answerApproval(runId, stepId, state, answer.by, answer.comment ?? null))) throw conflict(`The approval of step '${stepId}' was answered meanwhile.`);
  const step = await engine.deps.store.getStep(runId, stepId);
  const outputs = { approved: answer.approved, by: answer.by, comment: answer.comment ?? null, at: Date.now() };
  await engine.deps.store.updateStep(
    runId,
    stepId,
    { status: answer.approved ? "succeeded" : "failed", outputs, finishedAt: Date.now(), error: answer.approved ? null : `rejected by ${answer.by ?? "someone"}${answer.comment ? `: ${answer.comment}` : ""}` },
    ["waiting"],
  );
  await engine.log(runId, stepId, 1, `${state} by ${answer.by ?? "someone"}${answer.comment ? `: ${answer.comment}` : ""}`);
  if (step?.childRunId) {
    await engine.deps.tracking.logBatch(step.childRunId, {
      metrics: [],
      params: [],
      tags: [
        { key: "ciclo.pipeline.approval.state", value: state },
        { key: "ciclo.pipeline.approval.by", value: answer.by ?? "" },
        { key: "ciclo.pipeline.approval.comment", value: (answer.comment ?? "").slice(0, 5000) },
      ],
    });
    await engine.deps.tracking.updateRun(step.childRunId, { status: answer.approved ? "FINISHED" : "FAILED", endTime: Date.now() });
  }
  await engine.advance(runId);
  return (await engine.deps.store.getApproval(runId, stepId))!;
}
