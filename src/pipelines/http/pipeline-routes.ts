/**
 * The pipelines API under `/api/ciclo/v1/pipelines/`: registered projects
 * and their definitions, starting, reading, following, cancelling and
 * resuming pipeline runs, and the approvals inbox. Pipelines run the
 * project's code on the server, so starting, cancelling, resuming, answering
 * and registering need `manage` on jobs (with authentication on: admins);
 * reading needs `read`.
 * @module
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyRequest } from "fastify";
import { access } from "../../server/http/route-access.js";
import { ResourceDoesNotExistError } from "../../shared/errors.js";
import * as S from "../../shared/wire/pipelines-wire.js";
import type { PipelineEngine } from "../runs/pipeline-engine.js";
import { FINISHED_RUN } from "../runs/pipeline-store.js";
import { approvalToWire, definitionToWire, runToWire } from "./pipelines-presenter.js";

export interface PipelineRoutesOptions {
  engine: PipelineEngine;
  /** The signed-in user (auth on), else undefined. */
  userOf(req: FastifyRequest): { name: string; isAdmin: boolean } | undefined;
}

export const pipelineRoutes: FastifyPluginAsyncTypebox<PipelineRoutesOptions> = async (app, { engine, userOf }) => {
  const store = engine.deps.store;

  app.post("/pipelines/projects", { schema: { body: S.RegisterProjectRequest, response: { 200: S.ProjectResponse } }, config: access("job", "manage") }, async (req) => {
    // Read before it is recorded: a project whose definitions (or declared triggers) do not check is refused.
    const { project, pipelines, triggers } = await engine.registerProject(req.body.name, req.body.source);
    return {
      project: { name: project.name, source: project.source, created_at: project.createdAt },
      pipelines: pipelines.map((d) => d.name),
      triggers: triggers.map((t) => ({ name: t.name, kind: t.kind, pipeline: t.pipeline, change: t.change, ...(t.secret && { secret: t.secret }), ...(t.webhookPath && { webhook_path: t.webhookPath }) })),
    };
  });

  app.get("/pipelines/projects", { schema: { response: { 200: S.ListProjectsResponse } }, config: access("job", "read") }, async () => ({
    projects: (await store.listProjects()).map((p) => ({ name: p.name, source: p.source, created_at: p.createdAt })),
  }));

  app.get("/pipelines/projects/:name/pipelines", { schema: { params: S.ProjectParams, response: { 200: S.DefinitionsResponse } }, config: access("job", "read") }, async (req) => {
    if (!(await store.getProject(req.params.name))) throw new ResourceDoesNotExistError(`No registered project '${req.params.name}' (register it with POST /api/ciclo/v1/pipelines/projects).`);
    return { pipelines: (await engine.definitions(req.params.name)).map(definitionToWire) };
  });

  app.post("/pipelines/runs", { schema: { body: S.StartRunRequest, response: { 200: S.RunResponse } }, config: access("job", "manage") }, async (req) => {
    const b = req.body;
    const actor = userOf(req)?.name ?? b.actor;
    const { runId } = await engine.launch({ project: b.project, pipeline: b.pipeline, inputs: b.inputs, noCache: b.no_cache, trigger: { kind: "manual", detail: { via: "api" }, ...(actor && { actor }) } });
    return { pipeline_run: runToWire(await engine.view(runId)) };
  });

  app.get("/pipelines/runs", { schema: { querystring: S.ListRunsQuery, response: { 200: S.ListRunsResponse } }, config: access("pipeline-run", "read") }, async (req) => {
    const runs = await store.listRuns({ pipeline: req.query.pipeline, status: req.query.status as never, limit: req.query.max_results ?? 100 });
    return { pipeline_runs: await Promise.all(runs.map(async (r) => runToWire(await engine.view(r.runId)))) };
  });

  app.get("/pipelines/runs/:run_id", { schema: { params: S.RunParams, response: { 200: S.RunResponse } }, config: access("pipeline-run", "read") }, async (req) => ({
    pipeline_run: runToWire(await engine.view(req.params.run_id)),
  }));

  app.get("/pipelines/runs/:run_id/logs", { schema: { params: S.RunParams, querystring: S.LogsQuery, response: { 200: S.LogsResponse } }, config: access("pipeline-run", "read") }, async (req, reply) => {
    const q = req.query;
    const afterSeq = q.after_seq ?? 0;
    const deadline = Date.now() + (q.wait_ms ?? 0);
    let gone = false;
    reply.raw.once("close", () => (gone = true));
    for (;;) {
      const { lines, run } = await engine.logs(req.params.run_id, { stepId: q.step, afterSeq, limit: q.max_results ?? 1000 });
      // A long poll returns as soon as there are lines, the run ends, the wait is over or the client left.
      if (lines.length > 0 || FINISHED_RUN.has(run.status) || Date.now() >= deadline || gone) {
        return {
          lines: lines.map((l) => ({ seq: l.seq, step_id: l.stepId, attempt: l.attempt, time: l.time, stream: l.stream, line: l.line })),
          next_seq: lines.length > 0 ? lines[lines.length - 1].seq : afterSeq,
          run_status: run.status,
        };
      }
      await new Promise((r) => setTimeout(r, Math.min(250, Math.max(0, deadline - Date.now()))));
    }
  });

  app.post("/pipelines/runs/:run_id/cancel", { schema: { params: S.RunParams, response: { 200: S.RunResponse } }, config: access("pipeline-run", "manage") }, async (req) => ({
    pipeline_run: runToWire(await engine.cancel(req.params.run_id)),
  }));

  app.post(
    "/pipelines/runs/:run_id/resume",
    { schema: { params: S.RunParams, body: S.ResumeRequest, response: { 200: S.RunResponse } }, config: access("pipeline-run", "manage") },
    async (req) => ({ pipeline_run: runToWire(await engine.resume(req.params.run_id, { noCache: req.body?.no_cache })) }),
  );

  app.get("/pipelines/approvals", { schema: { querystring: S.ListApprovalsQuery, response: { 200: S.ListApprovalsResponse } }, config: access("pipeline-run", "read") }, async (req) => ({
    approvals: (await store.listApprovals({ state: req.query.state, limit: req.query.max_results ?? 100 })).map(approvalToWire),
  }));

  app.post(
    "/pipelines/runs/:run_id/approvals/:step_id",
    // MANAGE on the pipeline run's experiment (the auth hook); the step's role: (admin by default) is the engine's check.
    { schema: { params: S.ApprovalParams, body: S.AnswerApprovalRequest, response: { 200: S.ApprovalResponse } }, config: access("pipeline-approval", "manage") },
    async (req) => {
      const user = userOf(req);
      // With authentication on, who answers is the signed-in user, never what the body claims.
      const by = user?.name ?? req.body.by ?? null;
      const a = await engine.answer(req.params.run_id, req.params.step_id, {
        approved: req.body.approved,
        by,
        comment: req.body.comment ?? null,
        isAdmin: false,
        ...(user && { signedIn: { isAdmin: user.isAdmin } }),
      });
      return { approval: approvalToWire(a) };
    },
  );
};
