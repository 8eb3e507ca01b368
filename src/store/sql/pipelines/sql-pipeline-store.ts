/**
 * The pipelines store over SQL (SQLite and PostgreSQL). Specs, inputs,
 * triggers and outputs are JSON text. Status changes that race (two step
 * jobs finishing at once, a cancel during a start) are conditional updates:
 * the caller learns whether its change won.
 * @module
 */
import { sql, type Kysely } from "kysely";
import type {
  Approval,
  ApprovalState,
  PipelineRun,
  PipelineRunStatus,
  PipelineStep,
  PipelineStore,
  RegisteredProject,
  RunQuery,
  StepLogLine,
  StepStatus,
} from "../../../pipelines/runs/pipeline-store.js";
import { ResourceAlreadyExistsError } from "../../../shared/errors.js";
import type { SqlConnection } from "../sql-dialect.js";

interface RunRow {
  run_id: string;
  pipeline: string;
  project: string;
  project_dir: string;
  experiment_id: string;
  status: string;
  spec: string;
  inputs: string;
  trigger: string;
  no_cache: number;
  error: string | null;
  launch_key: string | null;
  created_at: number | string;
  updated_at: number | string;
  finished_at: number | string | null;
  resumed_at: number | string | null;
  earlier_run_ms: number | string;
}
interface StepRow {
  run_id: string;
  step_id: string;
  position: number;
  status: string;
  child_run_id: string | null;
  attempt: number;
  outputs: string;
  cache_key: string | null;
  cached_from: string | null;
  error: string | null;
  job_id: string | null;
  started_at: number | string | null;
  finished_at: number | string | null;
}
interface LogRow {
  seq: number | string;
  run_id: string;
  step_id: string;
  attempt: number;
  time: number | string;
  stream: string;
  line: string;
}
interface ApprovalRow {
  run_id: string;
  step_id: string;
  pipeline: string;
  state: string;
  approvers: string;
  message: string | null;
  requested_at: number | string;
  answered_by: string | null;
  answered_at: number | string | null;
  comment: string | null;
}
interface ProjectRow {
  name: string;
  source: string;
  created_at: number | string;
}
interface Tables {
  pipeline_runs: RunRow;
  pipeline_steps: StepRow;
  pipeline_step_logs: LogRow & { seq: never };
  pipeline_approvals: ApprovalRow;
  pipeline_projects: ProjectRow;
}
type Db = Kysely<Tables>;

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

const toRun = (r: RunRow): PipelineRun => ({
  runId: r.run_id,
  pipeline: r.pipeline,
  project: r.project,
  projectDir: r.project_dir,
  experimentId: r.experiment_id,
  status: r.status as PipelineRunStatus,
  spec: JSON.parse(r.spec),
  inputs: JSON.parse(r.inputs),
  trigger: JSON.parse(r.trigger),
  noCache: Number(r.no_cache) === 1,
  error: r.error,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
  finishedAt: num(r.finished_at),
  resumedAt: num(r.resumed_at),
  earlierRunMs: Number(r.earlier_run_ms),
});

const toStep = (r: StepRow): PipelineStep => ({
  runId: r.run_id,
  stepId: r.step_id,
  status: r.status as StepStatus,
  childRunId: r.child_run_id,
  attempt: Number(r.attempt),
  outputs: JSON.parse(r.outputs),
  cacheKey: r.cache_key,
  cachedFrom: r.cached_from,
  error: r.error,
  jobId: r.job_id,
  startedAt: num(r.started_at),
  finishedAt: num(r.finished_at),
});

const toApproval = (r: ApprovalRow): Approval => ({
  runId: r.run_id,
  stepId: r.step_id,
  pipeline: r.pipeline,
  state: r.state as ApprovalState,
  approvers: JSON.parse(r.approvers),
  message: r.message,
  requestedAt: Number(r.requested_at),
  answeredBy: r.answered_by,
  answeredAt: num(r.answered_at),
  comment: r.comment,
});

const FINISHED_RUN = ["succeeded", "failed", "cancelled"];

export class SqlPipelineStore implements PipelineStore {
  constructor(
    private readonly conn: SqlConnection,
    private readonly now: () => number = Date.now,
  ) {}

  private get db(): Db {
    return this.conn.db as unknown as Db;
  }

  private write<T>(fn: (trx: Db) => Promise<T>): Promise<T> {
    return this.conn.write((trx) => fn(trx as unknown as Db));
  }

  async createRun(run: Omit<PipelineRun, "createdAt" | "updatedAt" | "finishedAt" | "error" | "resumedAt" | "earlierRunMs">, launchKey?: string): Promise<void> {
    const t = this.now();
    await this.write(async (trx) => {
      if (launchKey && (await trx.selectFrom("pipeline_runs").select("run_id").where("launch_key", "=", launchKey).executeTakeFirst())) {
        throw new ResourceAlreadyExistsError(`A pipeline run was already launched for ${launchKey}.`);
      }
      await trx
        .insertInto("pipeline_runs")
        .values({
          run_id: run.runId,
          pipeline: run.pipeline,
          project: run.project,
          project_dir: run.projectDir,
          experiment_id: run.experimentId,
          status: run.status,
          spec: JSON.stringify(run.spec),
          inputs: JSON.stringify(run.inputs),
          trigger: JSON.stringify(run.trigger),
          no_cache: run.noCache ? 1 : 0,
          error: null,
          launch_key: launchKey ?? null,
          created_at: t,
          updated_at: t,
          finished_at: null,
          resumed_at: null,
          earlier_run_ms: 0,
        })
        .execute();
      await trx
        .insertInto("pipeline_steps")
        .values(
          run.spec.order.map((stepId, position) => ({
            run_id: run.runId,
            step_id: stepId,
            position,
            status: "pending",
            child_run_id: null,
            attempt: 0,
            outputs: "{}",
            cache_key: null,
            cached_from: null,
            error: null,
            job_id: null,
            started_at: null,
            finished_at: null,
          })),
        )
        .execute();
    });
  }

  async runByLaunchKey(key: string): Promise<string | undefined> {
    return (await this.db.selectFrom("pipeline_runs").select("run_id").where("launch_key", "=", key).executeTakeFirst())?.run_id;
  }

  async getRun(runId: string): Promise<PipelineRun | undefined> {
    const r = await this.db.selectFrom("pipeline_runs").selectAll().where("run_id", "=", runId).executeTakeFirst();
    return r && toRun(r);
  }

  async listRuns(q: RunQuery): Promise<PipelineRun[]> {
    let query = this.db.selectFrom("pipeline_runs").selectAll();
    if (q.pipeline) query = query.where("pipeline", "=", q.pipeline);
    if (q.status) query = query.where("status", "=", q.status);
    return (await query.orderBy("created_at", "desc").orderBy("run_id").limit(q.limit).execute()).map(toRun);
  }

  async activeRuns(): Promise<string[]> {
    return (await this.db.selectFrom("pipeline_runs").select("run_id").where("status", "not in", FINISHED_RUN).execute()).map((r) => r.run_id);
  }

  async setRunStatus(runId: string, status: PipelineRunStatus, error?: string | null, from?: PipelineRunStatus[]): Promise<boolean> {
    const t = this.now();
    return this.write(async (trx) => {
      let q = trx
        .updateTable("pipeline_runs")
        .set({ status, updated_at: t, finished_at: FINISHED_RUN.includes(status) ? t : null, ...(error !== undefined && { error }) })
        .where("run_id", "=", runId);
      if (from) q = q.where("status", "in", from);
      return Number((await q.executeTakeFirst()).numUpdatedRows) > 0;
    });
  }

  async resumeRun(runId: string, from: PipelineRunStatus[]): Promise<boolean> {
    const t = this.now();
    return this.write(async (trx) => {
      const r = await trx
        .updateTable("pipeline_runs")
        .set({
          status: "running",
          error: null,
          updated_at: t,
          finished_at: null,
          resumed_at: t,
          // The stretch that ended: from its start (the last resume, else the creation) to its end.
          earlier_run_ms: sql<number>`earlier_run_ms + (coalesce(finished_at, updated_at) - coalesce(resumed_at, created_at))`,
        })
        .where("run_id", "=", runId)
        .where("status", "in", from)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    });
  }

  async setNoCache(runId: string, noCache: boolean): Promise<void> {
    await this.write(async (trx) => {
      await trx.updateTable("pipeline_runs").set({ no_cache: noCache ? 1 : 0, updated_at: this.now() }).where("run_id", "=", runId).execute();
    });
  }

  async steps(runId: string): Promise<PipelineStep[]> {
    return (await this.db.selectFrom("pipeline_steps").selectAll().where("run_id", "=", runId).orderBy("position").execute()).map(toStep);
  }

  async getStep(runId: string, stepId: string): Promise<PipelineStep | undefined> {
    const r = await this.db.selectFrom("pipeline_steps").selectAll().where("run_id", "=", runId).where("step_id", "=", stepId).executeTakeFirst();
    return r && toStep(r);
  }

  async updateStep(runId: string, stepId: string, patch: Partial<Omit<PipelineStep, "runId" | "stepId">>, from?: StepStatus[]): Promise<boolean> {
    const set: Partial<StepRow> = {};
    if (patch.status !== undefined) set.status = patch.status;
    if (patch.childRunId !== undefined) set.child_run_id = patch.childRunId;
    if (patch.attempt !== undefined) set.attempt = patch.attempt;
    if (patch.outputs !== undefined) set.outputs = JSON.stringify(patch.outputs);
    if (patch.cacheKey !== undefined) set.cache_key = patch.cacheKey;
    if (patch.cachedFrom !== undefined) set.cached_from = patch.cachedFrom;
    if (patch.error !== undefined) set.error = patch.error;
    if (patch.jobId !== undefined) set.job_id = patch.jobId;
    if (patch.startedAt !== undefined) set.started_at = patch.startedAt;
    if (patch.finishedAt !== undefined) set.finished_at = patch.finishedAt;
    return this.write(async (trx) => {
      let q = trx.updateTable("pipeline_steps").set(set).where("run_id", "=", runId).where("step_id", "=", stepId);
      if (from) q = q.where("status", "in", from);
      const changed = Number((await q.executeTakeFirst()).numUpdatedRows) > 0;
      if (changed) await trx.updateTable("pipeline_runs").set({ updated_at: this.now() }).where("run_id", "=", runId).execute();
      return changed;
    });
  }

  async findCached(cacheKey: string): Promise<PipelineStep | undefined> {
    const r = await this.db
      .selectFrom("pipeline_steps")
      .selectAll()
      .where("cache_key", "=", cacheKey)
      .where("status", "=", "succeeded")
      .orderBy("finished_at", "desc")
      .limit(1)
      .executeTakeFirst();
    return r && toStep(r);
  }

  async appendLogs(runId: string, lines: Array<Omit<StepLogLine, "seq">>): Promise<void> {
    if (lines.length === 0) return;
    await this.write(async (trx) => {
      await trx
        .insertInto("pipeline_step_logs")
        .values(lines.map((l) => ({ run_id: runId, step_id: l.stepId, attempt: l.attempt, time: l.time, stream: l.stream, line: l.line })) as never)
        .execute();
    });
  }

  async logs(runId: string, q: { stepId?: string; afterSeq?: number; limit: number }): Promise<StepLogLine[]> {
    let query = this.db.selectFrom("pipeline_step_logs").selectAll().where("run_id", "=", runId);
    if (q.stepId) query = query.where("step_id", "=", q.stepId);
    if (q.afterSeq !== undefined) query = query.where("seq", ">", q.afterSeq as never);
    const rows = await query.orderBy("seq").limit(q.limit).execute();
    return rows.map((r) => ({ seq: Number(r.seq), stepId: r.step_id, attempt: Number(r.attempt), time: Number(r.time), stream: r.stream as StepLogLine["stream"], line: r.line }));
  }

  async requestApproval(a: Omit<Approval, "state" | "answeredBy" | "answeredAt" | "comment">): Promise<void> {
    await this.write(async (trx) => {
      await trx.deleteFrom("pipeline_approvals").where("run_id", "=", a.runId).where("step_id", "=", a.stepId).execute();
      await trx
        .insertInto("pipeline_approvals")
        .values({
          run_id: a.runId,
          step_id: a.stepId,
          pipeline: a.pipeline,
          state: "pending",
          approvers: JSON.stringify(a.approvers),
          message: a.message,
          requested_at: a.requestedAt,
          answered_by: null,
          answered_at: null,
          comment: null,
        })
        .execute();
    });
  }

  async getApproval(runId: string, stepId: string): Promise<Approval | undefined> {
    const r = await this.db.selectFrom("pipeline_approvals").selectAll().where("run_id", "=", runId).where("step_id", "=", stepId).executeTakeFirst();
    return r && toApproval(r);
  }

  async answerApproval(runId: string, stepId: string, state: "approved" | "rejected", by: string | null, comment: string | null): Promise<boolean> {
    const t = this.now();
    return this.write(async (trx) => {
      const r = await trx
        .updateTable("pipeline_approvals")
        .set({ state, answered_by: by, answered_at: t, comment })
        .where("run_id", "=", runId)
        .where("step_id", "=", stepId)
        .where("state", "=", "pending")
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    });
  }

  async listApprovals(q: { state?: ApprovalState; limit: number }): Promise<Approval[]> {
    let query = this.db.selectFrom("pipeline_approvals").selectAll();
    if (q.state) query = query.where("state", "=", q.state);
    return (await query.orderBy("requested_at", "desc").limit(q.limit).execute()).map(toApproval);
  }

  async registerProject(name: string, source: string): Promise<RegisteredProject> {
    const t = this.now();
    await this.write(async (trx) => {
      // Registering again moves the name to the new source.
      await trx.deleteFrom("pipeline_projects").where("name", "=", name).execute();
      await trx.insertInto("pipeline_projects").values({ name, source, created_at: t }).execute();
    });
    return { name, source, createdAt: t };
  }

  async listProjects(): Promise<RegisteredProject[]> {
    return (await this.db.selectFrom("pipeline_projects").selectAll().orderBy("name").execute()).map((r) => ({ name: r.name, source: r.source, createdAt: Number(r.created_at) }));
  }

  async getProject(name: string): Promise<RegisteredProject | undefined> {
    const r = await this.db.selectFrom("pipeline_projects").selectAll().where("name", "=", name).executeTakeFirst();
    return r && { name: r.name, source: r.source, createdAt: Number(r.created_at) };
  }
}
