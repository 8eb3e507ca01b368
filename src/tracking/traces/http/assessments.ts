/**
 * The assessment routes MLflow 3.3's client calls, under `/api/3.0/mlflow`:
 * CreateAssessment, GetAssessment, UpdateAssessment, DeleteAssessment on
 * `/traces/{trace_id}/assessments[/{assessment_id}]`; and LinkTracesToRun
 * under `/api/2.0/mlflow/traces/link-to-run`. A trace's assessments are
 * checked on its experiment: READ to get, EDIT to change.
 * @module
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { missingValue } from "../../../shared/errors.js";
import { access } from "../../../server/http/route-access.js";
import type { AssessmentService } from "../assessment-service.js";
import type { TraceService } from "../trace-service.js";
import { fromWireAssessment, fromWireUpdate, toWireAssessment } from "./assessment-presenter.js";
import * as S from "./assessments.schema.js";
import { Empty, TraceIdParams } from "./traces.schema.js";

export const assessmentRoutes: FastifyPluginAsyncTypebox<{ assessments: AssessmentService }> = async (app, { assessments }) => {
  app.post(
    "/traces/:trace_id/assessments",
    { schema: { params: TraceIdParams, body: S.CreateAssessmentBody, response: { 200: S.AssessmentResponse } }, config: access("trace", "edit") },
    async (req) => {
      if (!req.body.assessment) throw missingValue("assessment");
      // MLflow compat: the path's trace id wins over the body's.
      const created = await assessments.create(req.params.trace_id, fromWireAssessment(req.body.assessment));
      return { assessment: toWireAssessment(created) };
    },
  );

  app.get(
    "/traces/:trace_id/assessments/:assessment_id",
    { schema: { params: S.AssessmentParams, response: { 200: S.AssessmentResponse } }, config: access("trace", "read") },
    async (req) => ({ assessment: toWireAssessment(await assessments.get(req.params.trace_id, req.params.assessment_id)) }),
  );

  app.patch(
    "/traces/:trace_id/assessments/:assessment_id",
    { schema: { params: S.AssessmentParams, body: S.UpdateAssessmentBody, response: { 200: S.AssessmentResponse } }, config: access("trace", "edit") },
    async (req) => {
      const updated = await assessments.update(req.params.trace_id, req.params.assessment_id, fromWireUpdate(req.body));
      return { assessment: toWireAssessment(updated) };
    },
  );

  app.delete(
    "/traces/:trace_id/assessments/:assessment_id",
    { schema: { params: S.AssessmentParams, response: { 200: Empty } }, config: access("trace", "edit") },
    async (req) => {
      await assessments.delete(req.params.trace_id, req.params.assessment_id);
      return {};
    },
  );
};

/** Under `/api/2.0/mlflow` (LinkTracesToRun is `since 2.0`). */
export const traceLinkRoutes: FastifyPluginAsyncTypebox<{ service: TraceService }> = async (app, { service }) => {
  app.post(
    "/traces/link-to-run",
    { schema: { body: S.LinkTracesToRunBody, response: { 200: Empty } }, config: access("trace", "edit") },
    async (req) => {
      await service.linkToRun(req.body.trace_ids, req.body.run_id);
      return {};
    },
  );
};
