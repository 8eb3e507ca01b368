/**
 * The pipelines engine: starts pipeline runs (the {@link PipelineLauncher}
 * every trigger calls), moves them along their DAG, and answers the API's
 * questions and commands (cancel, resume, approvals).
 *
 * A pipeline run is an MLflow run (tags `ciclo.pipeline.*`); each step gets a
 * child run (`mlflow.parentRunId`). Steps run as `pipelines.step` jobs of the
 * durable job runner (step-runner.ts); whenever a step finishes, `advance`
 * starts the steps whose needs are done, so independent steps run in
 * parallel. State changes that could race (two steps finishing together,
 * a cancel during a start, several server replicas) are conditional updates
 * in the store: only one caller wins each.
 * @module
 */
import { randomUUID } from "node:crypto";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { InvalidParameterValueError, ResourceDoesNotExistError } from "../../shared/errors.js";
import { PARENT_RUN_ID_TAG, RUN_NAME_TAG, USER_TAG } from "../../shared/system-tags.js";
import { generateRunName } from "../../tracking/index.js";
import { loadPipelines } from "../definition/pipeline-parser.js";
import { PipelineDefinitionError, type PipelineSpec, type StepSpec } from "../definition/pipeline-spec.js";
import { dataDigest, dataPath } from "./content-digest.js";
import { JOB_TYPES, type PipelineEngineDeps } from "./engine-deps.js";
import type { DeclaredTriggerChange, PipelineLauncher, PipelineLaunchRequest, PipelineLaunchResult, PipelineTrigger, ProjectRegistrationHook } from "./pipeline-launcher.js";
import { FINISHED_RUN, FINISHED_STEP, type Approval, type PipelineRun, type PipelineStep, type StepLogLine } from "./pipeline-store.js";
import { PIPELINE_TAGS } from "./pipeline-tags.js";
import { checkoutProject } from "./project-source.js";
import { answerApproval, requestApproval, type ApprovalAnswer } from "./pipeline-approvals.js";
import { ancestors, checkTrigger, conflict, expressionContext, resolveInputs, stepDecision, TRIGGERS } from "./run-context.js";

export { ancestors, expressionContext, resolveInputs } from "./run-context.js";

export const SYSTEM_USER = "ciclo-pipelines";

export interface PipelineRunView {
  run: PipelineRun;
  steps: PipelineStep[];
  approvals: Approval[];
}

export class PipelineEngine implements PipelineLauncher {
  /** advance() calls per run, one at a time in this process. */
  private readonly advancing = new Map<string, Promise<void>>();
  private readonly registrationHooks: ProjectRegistrationHook[] = [];

  constructor(readonly deps: PipelineEngineDeps) {}

  // ---- Launch ----

  async launch(req: PipelineLaunchRequest, launchKey?: string): Promise<PipelineLaunchResult> {
    if (launchKey) {
      const earlier = await this.deps.store.runByLaunchKey(launchKey);
      if (earlier) return { pipelineRunId: earlier, runId: earlier };
    }
    checkTrigger(req.trigger);
    const { source, dir } = await this.projectDir(req.project);
    const spec = this.definition(dir, req.pipeline, source);
    const inputs = resolveInputs(spec, req.inputs ?? {});
    // Digests before anything is recorded: a missing data file creates nothing.
    const datasets: Array<{ name: string; value: string; digest: string }> = [];
    for (const i of spec.inputs) {
      if (i.type !== "data" || inputs[i.name] === undefined) continue;
      const value = String(inputs[i.name]);
      datasets.push({ name: i.name, value, digest: await dataDigest(dataPath(value, dir)) });
    }
    const experimentId = await this.experimentId(spec.experiment);
    const actor = req.trigger.actor ?? null;
    const run = await this.deps.tracking.createRun({
      experimentId,
      userId: actor ?? SYSTEM_USER,
      runName: `${spec.name}-${generateRunName()}`,
      startTime: Date.now(),
      tags: [
        { key: PIPELINE_TAGS.name, value: spec.name },
        { key: PIPELINE_TAGS.project, value: source.slice(0, 5000) },
        { key: PIPELINE_TAGS.trigger, value: req.trigger.kind },
        ...(req.trigger.detail ? [{ key: PIPELINE_TAGS.triggerDetail, value: JSON.stringify(req.trigger.detail).slice(0, 8000) }] : []),
        ...(actor ? [{ key: PIPELINE_TAGS.actor, value: actor }, { key: USER_TAG, value: actor }] : []),
      ],
    });
    const runId = run.info.runId;
    try {
      const params = Object.entries(inputs).map(([key, value]) => ({ key, value: String(value).slice(0, 6000) }));
      if (params.length > 0) await this.deps.tracking.logBatch(runId, { metrics: [], params, tags: [] });
      if (datasets.length > 0) {
        await this.deps.tracking.logInputs(
          runId,
          datasets.map((d) => ({
            tags: [{ key: "mlflow.data.context", value: "pipeline-input" }],
            dataset: { name: d.name, digest: d.digest.slice(0, 16), sourceType: "local", source: JSON.stringify({ uri: d.value, sha256: d.digest }) },
          })),
        );
      }
      await this.deps.store.createRun(
        { runId, pipeline: spec.name, project: source, projectDir: dir, experimentId, status: "running", spec, inputs, trigger: req.trigger, noCache: req.noCache === true },
        launchKey,
      );
    } catch (err) {
      await this.deps.tracking.updateRun(runId, { status: "FAILED", endTime: Date.now() }).catch(() => {});
      throw err;
    }
    this.deps.logger?.info({ runId, pipeline: spec.name, trigger: req.trigger.kind }, "pipeline run started");
    await this.advance(runId);
    return { pipelineRunId: runId, runId };
  }

  /** The `pipelines.run` job: a launch from a payload (monitoring's retraining action, or any enqueuer). */
  async launchFromJob(payload: unknown, jobId: string): Promise<PipelineLaunchResult> {
    const p = (payload ?? {}) as Record<string, unknown>;
    if (typeof p.pipeline !== "string") throw new InvalidParameterValueError("A pipelines.run job needs 'pipeline' (the pipeline's name).");
    const project = typeof p.project === "string" ? p.project : await this.projectDeclaring(p.pipeline);
    const spec = this.definition((await this.projectDir(project)).dir, p.pipeline, project);
    const declared = new Set(spec.inputs.map((i) => i.name));
    // Monitoring's payload: params, and the flagged window (`input`) — passed on as inputs the pipeline declares.
    const given: Record<string, unknown> = {};
    for (const src of [p.input, p.params, p.inputs]) {
      if (src && typeof src === "object") for (const [k, v] of Object.entries(src)) if (declared.has(k) && v !== null && typeof v !== "object") given[k] = v;
    }
    const t = (p.trigger ?? {}) as Record<string, unknown>;
    const kind = typeof t.kind === "string" && TRIGGERS.includes(t.kind) ? (t.kind as PipelineTrigger["kind"]) : "manual";
    const { kind: _k, actor, ...detail } = t;
    const windowDetail = p.input && typeof p.input === "object" ? { input: p.input } : {};
    return this.launch(
      { project, pipeline: p.pipeline, inputs: given, trigger: { kind, detail: { ...detail, ...windowDetail, job_id: jobId }, ...(typeof actor === "string" && { actor }) }, noCache: p.no_cache === true },
      `job:${jobId}`,
    );
  }

  async checkPipeline(project: string, pipeline: string): Promise<void> {
    const checkout = join(this.deps.workDir, "checkouts", randomUUID());
    try {
      const { source, dir } = await this.projectDir(project, checkout);
      this.definition(dir, pipeline, source);
    } finally {
      // A git project is cloned for this check alone (a folder on the server is read where it is).
      await rm(checkout, { recursive: true, force: true });
    }
  }

  private async projectDir(project: string, checkout = join(this.deps.workDir, "checkouts", randomUUID())): Promise<{ source: string; dir: string }> {
    if (typeof project !== "string" || project.trim() === "") throw new InvalidParameterValueError("Name the project: a registered project, an absolute folder on the server, or a git URI.");
    const registered = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(project) ? await this.deps.store.getProject(project) : undefined;
    const source = registered?.source ?? project;
    const dir = await checkoutProject(source, checkout);
    return { source, dir };
  }

  private definition(dir: string, pipeline: string, source: string): PipelineSpec {
    let specs: Map<string, PipelineSpec>;
    try {
      specs = loadPipelines(dir);
    } catch (err) {
      if (err instanceof PipelineDefinitionError) throw new InvalidParameterValueError(`Pipeline definition error: ${err.message}`);
      throw err;
    }
    const spec = specs.get(pipeline);
    if (!spec) {
      throw new ResourceDoesNotExistError(`Project ${source} has no pipeline '${pipeline}' (its pipelines: ${[...specs.keys()].join(", ") || "none; add a pipelines: block to ciclo.yaml"}).`);
    }
    return spec;
  }

  /** The one registered project that declares `pipeline`. */
  private async projectDeclaring(pipeline: string): Promise<string> {
    const found: string[] = [];
    for (const p of await this.deps.store.listProjects()) {
      try {
        if (loadPipelines((await this.projectDir(p.name)).dir).has(pipeline)) found.push(p.name);
      } catch {
        // A project that cannot be read declares nothing here.
      }
    }
    if (found.length === 1) return found[0];
    throw new InvalidParameterValueError(
      found.length === 0 ? `No registered project declares pipeline '${pipeline}'; register one (POST /api/ciclo/v1/pipelines/projects).` : `Pipeline '${pipeline}' is declared by several projects (${found.join(", ")}); name the project.`,
    );
  }

  private async experimentId(name: string): Promise<string> {
    try {
      return (await this.deps.tracking.getExperimentByName(name)).experimentId;
    } catch (err) {
      if (!(err instanceof ResourceDoesNotExistError)) throw err;
      try {
        return await this.deps.tracking.createExperiment({ name, tags: [] } as never);
      } catch {
        return (await this.deps.tracking.getExperimentByName(name)).experimentId;
      }
    }
  }

  /** Another module's part in registering a project (the triggers module's declared triggers). */
  onProjectRegistered(hook: ProjectRegistrationHook): void {
    this.registrationHooks.push(hook);
  }

  /** Registers (or updates) a project: its definitions must parse and its declared triggers check before anything is recorded. */
  async registerProject(name: string, source: string): Promise<{ project: { name: string; source: string; createdAt: number }; pipelines: PipelineSpec[]; triggers: DeclaredTriggerChange[] }> {
    const pipelines = await this.definitions(source);
    for (const h of this.registrationHooks) await h.check(name, source, pipelines);
    const project = await this.deps.store.registerProject(name, source);
    const triggers: DeclaredTriggerChange[] = [];
    for (const h of this.registrationHooks) triggers.push(...(await h.apply(name, source, pipelines)));
    return { project, pipelines, triggers };
  }

  /** Definitions of a project (for the API's list). */
  async definitions(project: string): Promise<PipelineSpec[]> {
    const { dir, source } = await this.projectDir(project);
    try {
      return [...loadPipelines(dir).values()];
    } catch (err) {
      if (err instanceof PipelineDefinitionError) throw new InvalidParameterValueError(`Pipeline definition error in ${source}: ${err.message}`);
      throw err;
    }
  }

  // ---- Moving a run along ----

  /** Starts every step whose needs are done; finishes the run when every step is. One at a time per run. */
  advance(runId: string): Promise<void> {
    const prev = this.advancing.get(runId) ?? Promise.resolve();
    const next = prev.then(() => this.advanceOnce(runId)).catch((err: Error) => this.deps.logger?.error({ err, runId }, "pipelines: could not advance a run"));
    this.advancing.set(runId, next);
    void next.finally(() => {
      if (this.advancing.get(runId) === next) this.advancing.delete(runId);
    });
    return next;
  }

  private async advanceOnce(runId: string): Promise<void> {
    const run = await this.deps.store.getRun(runId);
    if (!run || FINISHED_RUN.has(run.status)) return;
    const specs = new Map(run.spec.steps.map((s) => [s.id, s]));
    for (let changed = true; changed; ) {
      changed = false;
      const steps = new Map((await this.deps.store.steps(runId)).map((s) => [s.stepId, s]));
      for (const id of run.spec.order) {
        const st = steps.get(id)!;
        const spec = specs.get(id)!;
        if (st.status !== "pending" || !spec.needs.every((n) => FINISHED_STEP.has(steps.get(n)!.status))) continue;
        const ctx = expressionContext(run, [...steps.values()], ancestors(run.spec, id));
        const decision = stepDecision(spec, ctx);
        if (!decision.run) {
          if (await this.deps.store.updateStep(runId, id, { status: "skipped", error: decision.why, finishedAt: Date.now() }, ["pending"])) changed = true;
          continue;
        }
        if (spec.uses === "approve") {
          if (await requestApproval(this, run, spec, ctx)) changed = true;
          continue;
        }
        if (await this.deps.store.updateStep(runId, id, { status: "queued" }, ["pending"])) {
          const job = await this.deps.enqueue({ type: JOB_TYPES.step, payload: { run_id: runId, step_id: id }, maxAttempts: 3 });
          await this.deps.store.updateStep(runId, id, { jobId: job.jobId });
        }
      }
    }
    await this.settle(runId);
  }

  /** Sets the run's status from its steps': finished when all are, waiting when only approvals are left. */
  private async settle(runId: string): Promise<void> {
    const run = await this.deps.store.getRun(runId);
    if (!run || FINISHED_RUN.has(run.status)) return;
    const steps = await this.deps.store.steps(runId);
    if (steps.every((s) => FINISHED_STEP.has(s.status))) {
      // A step cancelled alone (its job cancelled) fails the run as a failed step does.
      const failed = steps.find((s) => s.status === "failed") ?? steps.find((s) => s.status === "cancelled");
      const status = failed ? "failed" : "succeeded";
      const error = failed ? `step '${failed.stepId}' ${failed.status}: ${failed.error ?? "no reason recorded"}` : null;
      if (await this.deps.store.setRunStatus(runId, status, error, ["running", "waiting"])) await this.endMlflowRun(runId, status);
      this.deps.logger?.info({ runId, status }, "pipeline run finished");
      return;
    }
    const active = steps.some((s) => s.status === "queued" || s.status === "running");
    const waiting = steps.some((s) => s.status === "waiting");
    const want = waiting && !active ? "waiting" : "running";
    if (want !== run.status) await this.deps.store.setRunStatus(runId, want, undefined, ["running", "waiting"]);
  }

  async endMlflowRun(runId: string, status: "succeeded" | "failed" | "cancelled"): Promise<void> {
    await this.deps.tracking.logBatch(runId, { metrics: [], params: [], tags: [{ key: PIPELINE_TAGS.status, value: status }] });
    await this.deps.tracking.updateRun(runId, { status: status === "succeeded" ? "FINISHED" : status === "failed" ? "FAILED" : "KILLED", endTime: Date.now() });
  }

  /** A step's child run, created once per step attempt series. */
  async childRun(run: PipelineRun, spec: StepSpec, extraTags: Array<{ key: string; value: string }> = []): Promise<string> {
    const child = await this.deps.tracking.createRun({
      experimentId: run.experimentId,
      userId: run.trigger.actor ?? SYSTEM_USER,
      runName: spec.id,
      startTime: Date.now(),
      tags: [
        { key: PARENT_RUN_ID_TAG, value: run.runId },
        { key: RUN_NAME_TAG, value: spec.id },
        { key: PIPELINE_TAGS.step, value: spec.id },
        { key: PIPELINE_TAGS.stepKind, value: spec.uses },
        { key: PIPELINE_TAGS.pipelineRun, value: run.runId },
        { key: PIPELINE_TAGS.name, value: run.pipeline },
        ...extraTags,
      ],
    });
    return child.info.runId;
  }

  // ---- Approvals ----

  /** Approves or rejects a waiting `approve` step. `by` is who answers (the authenticated user when auth is on). */
  answer(runId: string, stepId: string, answer: ApprovalAnswer): Promise<Approval> {
    return answerApproval(this, runId, stepId, answer);
  }

  // ---- Cancel and resume ----

  async cancel(runId: string): Promise<PipelineRunView> {
    const run = await this.requireRun(runId);
    if (FINISHED_RUN.has(run.status)) throw conflict(`Pipeline run ${runId} already ${run.status}; nothing to cancel.`);
    if (await this.deps.store.setRunStatus(runId, "cancelled", "cancelled", ["running", "waiting"])) {
      for (const s of await this.deps.store.steps(runId)) {
        if (s.status === "pending" || s.status === "queued" || s.status === "waiting") {
          await this.deps.store.updateStep(runId, s.stepId, { status: "cancelled", finishedAt: Date.now(), error: "the pipeline run was cancelled" }, [s.status]);
          if (s.childRunId) await this.deps.tracking.updateRun(s.childRunId, { status: "KILLED", endTime: Date.now() }).catch(() => {});
          // An approval nobody needs to answer any more leaves the inbox.
          if (s.status === "waiting") await this.deps.store.answerApproval(runId, s.stepId, "rejected", null, "the pipeline run was cancelled");
        }
      }
      await this.endMlflowRun(runId, "cancelled");
    }
    // Running steps see the cancel within their poll interval and stop their processes.
    return this.view(runId);
  }

  /** Runs a failed or cancelled pipeline run again from the steps that did not succeed; succeeded ones are kept. */
  async resume(runId: string, opts: { noCache?: boolean } = {}): Promise<PipelineRunView> {
    const run = await this.requireRun(runId);
    if (run.status !== "failed" && run.status !== "cancelled") throw conflict(`Pipeline run ${runId} is ${run.status}; only failed or cancelled runs resume.`);
    const steps = await this.deps.store.steps(runId);
    if (steps.some((s) => s.status === "running" || s.status === "queued")) throw conflict(`Pipeline run ${runId} still has a step stopping; resume once it has stopped.`);
    if (!(await this.deps.store.resumeRun(runId, ["failed", "cancelled"]))) throw conflict(`Pipeline run ${runId} changed meanwhile; try again.`);
    for (const s of steps) {
      if (s.status === "succeeded" || s.status === "cached") continue;
      await this.deps.store.updateStep(runId, s.stepId, { status: "pending", attempt: 0, error: null, childRunId: null, cachedFrom: null, jobId: null, startedAt: null, finishedAt: null, outputs: {} });
    }
    await this.deps.tracking.updateRun(runId, { status: "RUNNING", endTime: null });
    await this.deps.tracking.logBatch(runId, { metrics: [], params: [], tags: [{ key: PIPELINE_TAGS.status, value: "running" }] });
    if (opts.noCache !== undefined && opts.noCache !== run.noCache) await this.deps.store.setNoCache(runId, opts.noCache);
    await this.log(runId, steps.find((s) => s.status !== "succeeded" && s.status !== "cached")?.stepId ?? run.spec.order[0], 0, "resumed");
    await this.advance(runId);
    return this.view(runId);
  }

  // ---- Reading ----

  async requireRun(runId: string): Promise<PipelineRun> {
    const run = await this.deps.store.getRun(runId);
    if (!run) throw new ResourceDoesNotExistError(`Pipeline run ${runId} does not exist.`);
    return run;
  }

  async view(runId: string): Promise<PipelineRunView> {
    const run = await this.requireRun(runId);
    const steps = await this.deps.store.steps(runId);
    const approvals = (await Promise.all(run.spec.steps.filter((s) => s.uses === "approve").map((s) => this.deps.store.getApproval(runId, s.id)))).filter((a): a is Approval => a !== undefined);
    return { run, steps, approvals };
  }

  async logs(runId: string, q: { stepId?: string; afterSeq?: number; limit: number }): Promise<{ lines: StepLogLine[]; run: PipelineRun }> {
    const run = await this.requireRun(runId);
    if (q.stepId && !run.spec.steps.some((s) => s.id === q.stepId)) throw new ResourceDoesNotExistError(`Pipeline run ${runId} has no step '${q.stepId}'.`);
    return { lines: await this.deps.store.logs(runId, q), run };
  }

  async log(runId: string, stepId: string, attempt: number, line: string): Promise<void> {
    await this.deps.store.appendLogs(runId, [{ stepId, attempt, time: Date.now(), stream: "ciclo", line }]);
  }

  /** After a restart: moves every unfinished run along (steps whose jobs were lost are queued again by their jobs). */
  async recover(): Promise<void> {
    for (const runId of await this.deps.store.activeRuns()) {
      // A step claimed but never enqueued (the process ended between the two) gets its job now.
      for (const s of await this.deps.store.steps(runId)) {
        if (s.status === "queued" && s.jobId === null) {
          const job = await this.deps.enqueue({ type: JOB_TYPES.step, payload: { run_id: runId, step_id: s.stepId }, maxAttempts: 3 });
          await this.deps.store.updateStep(runId, s.stepId, { jobId: job.jobId });
        }
      }
      await this.advance(runId);
    }
  }
}

