/** Pipeline runs, steps, approvals and definitions as the API shows them (snake_case, absent rather than null). */
import type { WireApproval, WirePipelineDefinition, WirePipelineRun, WireStep } from "../../shared/wire/pipelines-wire.js";
import type { PipelineSpec } from "../definition/pipeline-spec.js";
import type { PipelineRunView } from "../runs/pipeline-engine.js";
import type { Approval, PipelineStep } from "../runs/pipeline-store.js";

const opt = <K extends string, V>(k: K, v: V | null | undefined): Partial<Record<K, V>> => (v === null || v === undefined ? {} : ({ [k]: v } as Record<K, V>));

export function approvalToWire(a: Approval): WireApproval {
  return {
    run_id: a.runId,
    step_id: a.stepId,
    pipeline: a.pipeline,
    state: a.state,
    approvers: a.approvers,
    ...opt("message", a.message),
    requested_at: a.requestedAt,
    ...opt("answered_by", a.answeredBy),
    ...opt("answered_at", a.answeredAt),
    ...opt("comment", a.comment),
  };
}

function stepToWire(s: PipelineStep, spec: PipelineSpec): WireStep {
  const def = spec.steps.find((x) => x.id === s.stepId);
  return {
    step_id: s.stepId,
    uses: def?.uses ?? "run",
    needs: def?.needs ?? [],
    status: s.status,
    ...opt("child_run_id", s.childRunId),
    attempt: s.attempt,
    outputs: s.outputs,
    ...opt("cache_key", s.cacheKey),
    ...opt("cached_from", s.cachedFrom),
    ...opt("error", s.error),
    ...opt("started_at", s.startedAt),
    ...opt("finished_at", s.finishedAt),
  };
}

export function runToWire(v: PipelineRunView): WirePipelineRun {
  const r = v.run;
  return {
    run_id: r.runId,
    pipeline: r.pipeline,
    project: r.project,
    experiment_id: r.experimentId,
    status: r.status,
    inputs: r.inputs,
    trigger: { kind: r.trigger.kind, ...opt("detail", r.trigger.detail), ...opt("actor", r.trigger.actor) },
    no_cache: r.noCache,
    ...opt("error", r.error),
    created_at: r.createdAt,
    updated_at: r.updatedAt,
    ...opt("finished_at", r.finishedAt),
    ...(r.resumedAt !== null && { resumed_at: r.resumedAt, earlier_run_ms: r.earlierRunMs }),
    steps: v.steps.map((s) => stepToWire(s, r.spec)),
    approvals: v.approvals.map(approvalToWire),
  };
}

export function definitionToWire(p: PipelineSpec): WirePipelineDefinition {
  return {
    name: p.name,
    ...opt("description", p.description),
    experiment: p.experiment,
    inputs: p.inputs.map((i) => ({ name: i.name, type: i.type, ...opt("default", i.default), ...opt("description", i.description) })),
    steps: p.order.map((id) => {
      const s = p.steps.find((x) => x.id === id)!;
      return { step_id: s.id, uses: s.uses, needs: s.needs, ...opt("if", s.if) };
    }),
  };
}
