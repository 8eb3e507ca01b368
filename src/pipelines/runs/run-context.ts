/**
 * What a pipeline run's steps are evaluated against: the run's inputs
 * checked against the definition, the trigger checked, each step's
 * ancestors, and the expression context (`inputs`, `steps.<id>`, `pipeline`,
 * the needed steps' states for success()/failure()), and why a step that
 * does not run is skipped (GitHub Actions' rule: a skipped or failed need
 * skips the step unless its `if:` calls a status function).
 * @module
 */
import { InvalidParameterValueError, MlflowError } from "../../shared/errors.js";
import { evaluate, parseExpression, truthy, usesStatusFunction, type ExpressionContext } from "../definition/expression.js";
import { coerceInput } from "../definition/pipeline-parser.js";
import type { PipelineSpec, StepSpec } from "../definition/pipeline-spec.js";
import type { PipelineTrigger } from "./pipeline-launcher.js";
import type { PipelineRun, PipelineStep } from "./pipeline-store.js";

export const TRIGGERS = ["manual", "cron", "registry", "git", "monitor"];

/** A request that does not fit the run's state (answered twice, resuming a running run): 409. */
export function conflict(message: string): MlflowError {
  return new MlflowError(message, "RESOURCE_CONFLICT");
}

export function checkTrigger(t: PipelineTrigger | undefined): void {
  if (!t || !TRIGGERS.includes(t.kind)) throw new InvalidParameterValueError(`trigger.kind must be one of ${TRIGGERS.join(", ")}.`);
  if (t.detail !== undefined && (typeof t.detail !== "object" || t.detail === null || Array.isArray(t.detail))) throw new InvalidParameterValueError("trigger.detail must be an object.");
  if (JSON.stringify(t.detail ?? {}).length > 16_000) throw new InvalidParameterValueError("trigger.detail is larger than 16 kB.");
}

/** Given inputs checked against the declaration: unknown names refused, types coerced, defaults filled, required ones present. */
export function resolveInputs(spec: PipelineSpec, given: Record<string, unknown>): Record<string, unknown> {
  const declared = new Map(spec.inputs.map((i) => [i.name, i]));
  const unknown = Object.keys(given).filter((k) => !declared.has(k));
  if (unknown.length > 0) {
    throw new InvalidParameterValueError(`Pipeline '${spec.name}' has no input ${unknown.map((k) => `'${k}'`).join(", ")} (its inputs: ${[...declared.keys()].join(", ") || "none"}).`);
  }
  const out: Record<string, unknown> = {};
  const missing: string[] = [];
  for (const i of spec.inputs) {
    const v = given[i.name] ?? i.default;
    if (v === undefined || v === null) {
      missing.push(i.name);
      continue;
    }
    try {
      out[i.name] = coerceInput(i, v);
    } catch (err) {
      throw new InvalidParameterValueError((err as Error).message);
    }
  }
  if (missing.length > 0) throw new InvalidParameterValueError(`Pipeline '${spec.name}' needs input ${missing.map((m) => `'${m}'`).join(", ")} (no default).`);
  return out;
}

/** Every step `id` depends on, directly or not. */
export function ancestors(spec: PipelineSpec, id: string): Set<string> {
  const byId = new Map(spec.steps.map((s) => [s.id, s]));
  const seen = new Set<string>();
  const walk = (s: string) => {
    for (const n of byId.get(s)!.needs) if (!seen.has(n)) walk((seen.add(n), n));
  };
  walk(id);
  return seen;
}

export function expressionContext(run: PipelineRun, steps: PipelineStep[], needs: Set<string>): ExpressionContext {
  return {
    inputs: run.inputs,
    steps: Object.fromEntries(steps.filter((s) => needs.has(s.stepId)).map((s) => [s.stepId, { outputs: s.outputs, status: s.status }])),
    pipeline: { run_id: run.runId, name: run.pipeline, experiment_id: run.experimentId },
    needStates: steps.filter((s) => needs.has(s.stepId)).map((s) => s.status),
    cancelled: run.status === "cancelled",
  };
}

/**
 * Whether a pending step whose needs have finished runs, and if not, why. Without a status function in its
 * `if:`, the step runs only when success() (every ancestor succeeded or was cached) and its `if:` hold; with
 * one (always(), failure(), !cancelled() …), its `if:` alone decides.
 */
export function stepDecision(spec: StepSpec, ctx: ExpressionContext): { run: true } | { run: false; why: string } {
  const cond = spec.if === undefined ? undefined : parseExpression(spec.if);
  if (cond && usesStatusFunction(cond)) return truthy(evaluate(cond, ctx)) ? { run: true } : { run: false, why: `if: ${spec.if} was false` };
  const states = ctx.needStates ?? [];
  if (!truthy(evaluate(parseExpression("success()"), ctx))) {
    if (states.some((s) => s === "failed" || s === "cancelled") || !states.includes("skipped")) return { run: false, why: "a step it needs did not succeed" };
    return { run: false, why: "a step it needs was skipped (if: always() or !cancelled() && !failure() runs it anyway)" };
  }
  return cond && !truthy(evaluate(cond, ctx)) ? { run: false, why: `if: ${spec.if} was false` } : { run: true };
}
