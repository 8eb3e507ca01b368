/**
 * One step of a pipeline run, as a `pipelines.step` job: its child run, its
 * cache lookup, its process (or in-server work), timeout, cancel, retries
 * and outputs. A step's own failure is recorded on the step (the job itself
 * succeeds); the job runner's retries only cover a lost process or lease.
 * @module
 */
import { createHash } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { InvalidParameterValueError } from "../../shared/errors.js";
import { renderTemplate, stringify } from "../definition/expression.js";
import type { StepSpec } from "../definition/pipeline-spec.js";
import { dataDigest, dataPath, treeDigest } from "./content-digest.js";
import { DEPLOY_STRATEGIES, JOB_TYPES, type DeployRequest, type DeployStrategy } from "./engine-deps.js";
import type { PipelineEngine } from "./pipeline-engine.js";
import { ancestors, expressionContext } from "./run-context.js";
import type { PipelineRun, PipelineStep, StepLogLine } from "./pipeline-store.js";
import { PIPELINE_TAGS } from "./pipeline-tags.js";
import { renderRunCommand } from "./run-command.js";
import { runStepProcess } from "./step-process.js";
import { prepareStepSecrets, registryCredentialsEnv, type StepSecrets } from "./step-secrets.js";

/**
 * What each kind runs (step-commands.ts), loaded on the first step rather than at server start: it brings the
 * projects module (project files, entry points, the SDK's YAML reading) that a server running no pipeline
 * never needs.
 */
const stepCommands = () => import("./step-commands.js");

export interface StepJobContext {
  jobId: string;
  signal: AbortSignal;
}

const isSecretRef = (v: unknown): v is { secret: string } => !!v && typeof v === "object" && typeof (v as { secret?: unknown }).secret === "string";

/** Renders every string of a `with:` value. */
function renderDeep(v: unknown, ctx: Parameters<typeof renderTemplate>[1]): unknown {
  if (typeof v === "string") return renderTemplate(v, ctx);
  if (Array.isArray(v)) return v.map((x) => renderDeep(x, ctx));
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, renderDeep(x, ctx)]));
  return v;
}

export class StepRunner {
  constructor(private readonly engine: PipelineEngine) {}

  private get deps() {
    return this.engine.deps;
  }

  async handle(payload: unknown, job: StepJobContext): Promise<unknown> {
    const p = (payload ?? {}) as { run_id?: unknown; step_id?: unknown };
    if (typeof p.run_id !== "string" || typeof p.step_id !== "string") throw new InvalidParameterValueError("A pipelines.step job needs run_id and step_id.");
    const run = await this.deps.store.getRun(p.run_id);
    const step = run && (await this.deps.store.getStep(run.runId, p.step_id));
    if (!run || !step) return { skipped: "no such pipeline run or step" };
    // A job delivered again after its step moved on (a duplicate, or a step cancelled meanwhile) does nothing.
    if (step.status !== "queued" && !(step.status === "running" && step.jobId === job.jobId)) return { skipped: `step is ${step.status}` };
    const spec = run.spec.steps.find((s) => s.id === step.stepId)!;
    if (run.status === "cancelled") {
      await this.deps.store.updateStep(run.runId, spec.id, { status: "cancelled", finishedAt: Date.now(), error: "the pipeline run was cancelled" }, ["queued", "running"]);
      return { cancelled: true };
    }
    try {
      await this.execute(run, spec, step, job);
    } finally {
      await this.engine.advance(run.runId);
    }
    return { step: spec.id };
  }

  private async execute(run: PipelineRun, spec: StepSpec, step: PipelineStep, job: StepJobContext): Promise<void> {
    const attempt = step.attempt + 1;
    if (!(await this.deps.store.updateStep(run.runId, spec.id, { status: "running", attempt, jobId: job.jobId, startedAt: step.startedAt ?? Date.now() }, ["queued", "running"]))) return;
    const log = new StepLog(this.deps.store, run.runId, spec.id, attempt);
    let childRunId = step.childRunId;
    try {
      const steps = await this.deps.store.steps(run.runId);
      const ctx = expressionContext(run, steps, ancestors(run.spec, spec.id));
      // Secrets are read now; their values reach the process's environment only, and are masked wherever text is kept.
      const secrets = await prepareStepSecrets(spec, run.trigger.actor ?? null, this.deps.secrets);
      log.mask = secrets.mask;
      const s = secrets.spec;
      const args = renderDeep(s.with, ctx) as Record<string, unknown>;
      const env = {
        ...Object.fromEntries(Object.entries(s.env).map(([k, v]) => [k, stringify(renderTemplate(v, { ...ctx, secrets: secrets.values }))])),
        ...registryCredentialsEnv(s.uses, args),
        ...secrets.env,
      };
      // run: values that are not plain words reach the command as variables, never as its text (run-command.ts).
      const command = s.run === undefined ? undefined : renderRunCommand(s.run, ctx);
      const shell = command?.shell;
      if (command) Object.assign(env, command.env);

      const cacheKey = spec.cache && !run.noCache ? await this.cacheKey(run, spec, { args, env: secrets.maskDeep(env), shell }) : null;
      if (cacheKey) {
        const hit = await this.deps.store.findCached(cacheKey);
        if (hit) {
          childRunId ??= await this.engine.childRun(run, spec, [
            { key: PIPELINE_TAGS.cachedFrom, value: hit.childRunId ?? "" },
            { key: PIPELINE_TAGS.cacheKey, value: cacheKey },
          ]);
          await this.deps.tracking.updateRun(childRunId, { status: "FINISHED", endTime: Date.now() });
          await log.ciclo(`cache hit: reusing step '${hit.stepId}' of pipeline run ${hit.runId} (run ${hit.childRunId}); run with --no-cache to run it again`);
          await log.flush();
          await this.deps.store.updateStep(run.runId, spec.id, { status: "cached", childRunId, outputs: hit.outputs, cachedFrom: hit.childRunId, cacheKey, finishedAt: Date.now() }, ["running"]);
          return;
        }
      }
      if (!childRunId) {
        childRunId = await this.engine.childRun(run, spec, cacheKey ? [{ key: PIPELINE_TAGS.cacheKey, value: cacheKey }] : []);
        await this.deps.store.updateStep(run.runId, spec.id, { childRunId });
      }
      await log.ciclo(`attempt ${attempt} of ${spec.retries + 1}: ${spec.uses}${spec.run ? `: ${shell}` : ""}`);

      // The step stops on a cancel of its run (polled, so another replica's cancel counts), its timeout, or the job's end.
      const stop = new AbortController();
      // The job cancelled through the jobs API is the step cancelled; a shutdown or a lost lease hands the step on.
      const onJobAbort = () => {
        const why = job.signal.reason instanceof Error ? job.signal.reason.message : String(job.signal.reason);
        stop.abort(new Error(why.endsWith("cancelled") ? "cancelled" : `interrupted: ${why}`));
      };
      job.signal.addEventListener("abort", onJobAbort, { once: true });
      const timer = spec.timeoutSeconds === undefined ? undefined : setTimeout(() => stop.abort(new Error(`timed out after ${spec.timeoutSeconds} s`)), spec.timeoutSeconds * 1000);
      const poll = setInterval(() => {
        void this.deps.store.getRun(run.runId).then((r) => {
          if (r?.status === "cancelled") stop.abort(new Error("cancelled"));
        });
      }, this.deps.cancelPollMs ?? 500);
      let outcome: { ok: true; outputs: Record<string, unknown> } | { ok: false; error: string; cancelled: boolean };
      try {
        outcome = await this.work(run, spec, { args, env, shell, childRunId, attempt, log, signal: stop.signal, secrets });
      } finally {
        clearTimeout(timer);
        clearInterval(poll);
        job.signal.removeEventListener("abort", onJobAbort);
        await log.flush();
      }
      await this.saveLog(run, spec.id, childRunId);
      if (!outcome.ok && job.signal.aborted && !outcome.cancelled) {
        // The server is stopping (or lost the job's lease): the job runner hands the job on, and the step runs
        // again there as the same attempt.
        await this.deps.store.updateStep(run.runId, spec.id, { status: "queued", attempt: step.attempt }, ["running"]);
        throw new Error(`step '${spec.id}' was interrupted (${outcome.error}); it runs again`);
      }
      if (!outcome.ok) outcome.error = secrets.mask(outcome.error);
      if (outcome.ok) {
        await this.deps.store.updateStep(run.runId, spec.id, { status: "succeeded", outputs: secrets.maskDeep(outcome.outputs), cacheKey, error: null, finishedAt: Date.now() }, ["running"]);
        await this.deps.tracking.updateRun(childRunId, { status: "FINISHED", endTime: Date.now() });
        return;
      }
      await this.failed(run, spec, attempt, childRunId, outcome.error, outcome.cancelled, log);
    } catch (err) {
      if (job.signal.aborted) throw err;
      // A step that cannot even start (a bad value in with:, an unknown entry point, a missing secret) fails like one that ran.
      const message = log.mask((err as Error).message);
      await log.ciclo(`error: ${message}`);
      await log.flush();
      await this.failed(run, spec, attempt, childRunId, message, false, log);
    }
  }

  /** The step's log lines so far (every attempt) as `pipeline-step.log` among its run's artifacts. */
  private async saveLog(run: PipelineRun, stepId: string, childRunId: string): Promise<void> {
    if (!this.deps.saveArtifact) return;
    try {
      const lines = await this.deps.store.logs(run.runId, { stepId, limit: 50_000 });
      const text = lines.map((l) => `${new Date(l.time).toISOString()} #${l.attempt} ${l.stream} ${l.line}\n`).join("");
      await this.deps.saveArtifact((await this.deps.tracking.getRun(childRunId)).info.artifactUri, "pipeline-step.log", text);
    } catch (err) {
      this.deps.logger?.error({ err, runId: run.runId, stepId }, "pipelines: could not store a step's log as an artifact");
    }
  }

  private async failed(run: PipelineRun, spec: StepSpec, attempt: number, childRunId: string | null, error: string, cancelled: boolean, log: StepLog): Promise<void> {
    const current = await this.deps.store.getRun(run.runId);
    if (cancelled || current?.status === "cancelled") {
      await this.deps.store.updateStep(run.runId, spec.id, { status: "cancelled", error, finishedAt: Date.now() }, ["running"]);
      if (childRunId) await this.deps.tracking.updateRun(childRunId, { status: "KILLED", endTime: Date.now() });
      return;
    }
    if (attempt <= spec.retries) {
      await log.ciclo(`failed (${error}); retrying in ${spec.retryDelaySeconds} s (${spec.retries - attempt + 1} ${spec.retries - attempt + 1 === 1 ? "retry" : "retries"} left)`);
      await log.flush();
      if (await this.deps.store.updateStep(run.runId, spec.id, { status: "queued", error }, ["running"])) {
        const job = await this.deps.enqueue({ type: JOB_TYPES.step, payload: { run_id: run.runId, step_id: spec.id }, runAfter: Date.now() + spec.retryDelaySeconds * 1000, maxAttempts: 3 });
        await this.deps.store.updateStep(run.runId, spec.id, { jobId: job.jobId });
      }
      return;
    }
    await this.deps.store.updateStep(run.runId, spec.id, { status: "failed", error, finishedAt: Date.now() }, ["running"]);
    if (childRunId) await this.deps.tracking.updateRun(childRunId, { status: "FAILED", endTime: Date.now() });
  }

  /** The step's content hash: its kind, resolved arguments, environment, the project's code tree and the data inputs' digests. */
  private async cacheKey(run: PipelineRun, spec: StepSpec, resolved: { args: unknown; env: unknown; shell?: string }): Promise<string> {
    const digests: Record<string, string> = {};
    for (const i of run.spec.inputs) {
      if (i.type === "data" && run.inputs[i.name] !== undefined) digests[i.name] = await dataDigest(dataPath(String(run.inputs[i.name]), run.projectDir));
    }
    const material = { v: 1, pipeline: run.pipeline, step: spec.id, uses: spec.uses, ...resolved, code: await treeDigest(run.projectDir), data: digests };
    return createHash("sha256").update(JSON.stringify(material)).digest("hex");
  }

  private async work(
    run: PipelineRun,
    spec: StepSpec,
    w: { args: Record<string, unknown>; env: Record<string, string>; shell?: string; childRunId: string; attempt: number; log: StepLog; signal: AbortSignal; secrets: StepSecrets },
  ): Promise<{ ok: true; outputs: Record<string, unknown> } | { ok: false; error: string; cancelled: boolean }> {
    const stoppedBy = () => {
      const r = w.signal.reason as unknown;
      const msg = r instanceof Error ? r.message : String(r);
      return { ok: false as const, error: msg, cancelled: msg === "cancelled" };
    };
    if (spec.uses === "notify") {
      const body = { pipeline: run.pipeline, run_id: run.runId, step: spec.id, message: w.args.message === undefined ? null : stringify(w.args.message), inputs: run.inputs };
      const key = w.secrets.signingKey ?? (typeof w.args.signing_key === "string" ? w.args.signing_key : undefined);
      const res = await this.deps.notify(String(w.args.url), body, w.signal, key);
      await w.log.ciclo(`notified ${new URL(String(w.args.url)).host}: HTTP ${res.status}`);
      if (res.status >= 300) return { ok: false, error: `the webhook answered HTTP ${res.status}`, cancelled: false };
      return { ok: true, outputs: { status: res.status } };
    }
    if (spec.uses === "deploy") {
      if (!this.deps.deploy) return { ok: false, error: "this server runs no deployments module", cancelled: false };
      const a = w.args;
      const req: DeployRequest = { endpoint: String(a.endpoint), deployment: String(a.deployment), model: String(a.model) };
      if (a.replicas !== undefined) req.replicas = Number(a.replicas);
      if (a.strategy !== undefined) {
        if (!(DEPLOY_STRATEGIES as readonly unknown[]).includes(a.strategy)) return { ok: false, error: `with.strategy must be ${DEPLOY_STRATEGIES.join(", ")}; got ${JSON.stringify(a.strategy)}`, cancelled: false };
        req.strategy = a.strategy as DeployStrategy;
      }
      // An entry naming a secret stays a reference: the deployment resolves it when its model servers start.
      if (a.env && typeof a.env === "object") req.env = Object.fromEntries(Object.entries(a.env).map(([k, v]) => [k, isSecretRef(v) ? { secret: v.secret } : stringify(v)]));
      const outputs = await this.deps.deploy(req, run.trigger.actor ?? null);
      await w.log.ciclo(`deployed ${req.model} as ${req.endpoint}/${req.deployment}: ${JSON.stringify(outputs)}`);
      return { ok: true, outputs };
    }
    // runs-on: kubernetes: a Job in the server's namespace, with the runner image's ciclo and nothing of the server's environment.
    const remote = spec.runsOn === "kubernetes" ? this.deps.remote : undefined;
    if (spec.runsOn === "kubernetes" && !remote) {
      return { ok: false, error: "the step has runs-on: kubernetes, but this server runs no Kubernetes executor (start it with --k8s-namespace)", cancelled: false };
    }
    const scratch = join(this.deps.workDir, "steps", run.runId, `${spec.id}-${w.attempt}`);
    mkdirSync(scratch, { recursive: true });
    try {
      const outputsFile = join(scratch, "outputs");
      const { stepCommand } = await stepCommands();
      const plan = stepCommand({
        kind: spec.uses,
        args: w.args,
        shell: w.shell,
        env: w.env,
        projectDir: run.projectDir,
        childRunId: w.childRunId,
        experimentId: run.experimentId,
        trackingUri: remote ? await remote.trackingUri() : await this.deps.trackingUri(),
        cli: remote ? remote.cli : this.deps.cli,
        baseEnv: remote ? {} : this.deps.baseEnv,
        outputsFile,
      });
      if (plan.params && Object.keys(plan.params).length > 0 && w.attempt === 1) {
        await this.deps.tracking.logBatch(w.childRunId, { metrics: [], params: Object.entries(plan.params).map(([key, value]) => ({ key, value: w.secrets.mask(value).slice(0, 6000) })), tags: [] });
      }
      const onLine = (stream: "stdout" | "stderr", line: string) => w.log.line(stream, line);
      const res = remote
        ? await remote.executor.run(
            plan,
            { pipelineRunId: run.runId, stepId: spec.id, stepRunId: w.childRunId, attempt: w.attempt, image: spec.image!, timeoutSeconds: spec.timeoutSeconds, outputsFile },
            { signal: w.signal, onLine, note: (line) => void w.log.ciclo(line) },
          )
        : await runStepProcess(plan, { signal: w.signal, onLine });
      if (res.stopped !== undefined) return stoppedBy();
      if (res.exitCode !== 0) {
        const why = res.exitCode === 1 ? plan.failure?.(res.stdout) : undefined;
        const what =
          spec.uses === "evaluate" && res.exitCode === 1
            ? why
              ? `the evaluation failed a threshold: ${why}`
              : "the evaluation failed (a threshold not met, or an error in the step's log)"
            : `exit code ${res.exitCode}`;
        return { ok: false, error: `${what}${res.signal ? ` (${res.signal})` : ""}`, cancelled: false };
      }
      return { ok: true, outputs: plan.outputs(res.stdout) };
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
}

/** A step's log lines, written in batches (a chatty process must not write one row per line). */
class StepLog {
  private buf: Array<Omit<StepLogLine, "seq">> = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: PipelineEngine["deps"]["store"],
    private readonly runId: string,
    private readonly stepId: string,
    private readonly attempt: number,
  ) {}

  /** Masks the step's secret values (set once they are read). */
  mask: (text: string) => string = (t) => t;

  line(stream: "stdout" | "stderr" | "ciclo", line: string): void {
    this.buf.push({ stepId: this.stepId, attempt: this.attempt, time: Date.now(), stream, line: this.mask(line) });
    if (this.buf.length >= 500) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), 200);
  }

  async ciclo(line: string): Promise<void> {
    this.line("ciclo", line);
  }

  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.buf;
    this.buf = [];
    this.writing = this.writing.then(() => this.store.appendLogs(this.runId, batch)).catch(() => {});
    return this.writing;
  }
}
