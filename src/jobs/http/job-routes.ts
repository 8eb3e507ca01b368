/**
 * The job runner's API under `/api/ciclo/v1/`: list and filter jobs, read one,
 * read (and follow) its log lines, cancel and retry it, and list the cron
 * schedules. Jobs are enqueued by the capabilities that own them (and by
 * their schedules), not through this API. Reading needs `read` on jobs;
 * cancel and retry change what the server does and need `manage`.
 * @module
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { jobToWire, logLineToWire, scheduleToWire } from "../job-codec.js";
import type { JobService } from "../job-service.js";
import * as S from "../../shared/wire/jobs-wire.js";
import { access } from "../../server/http/route-access.js";

/** `state=a&state=b` or `state=a,b`. */
function list(v: string | string[] | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const items = (Array.isArray(v) ? v : [v]).flatMap((x) => x.split(",")).map((x) => x.trim()).filter((x) => x !== "");
  return items.length > 0 ? items : undefined;
}

export const jobRoutes: FastifyPluginAsyncTypebox<{ service: JobService }> = async (app, { service }) => {
  app.get(
    "/jobs",
    { schema: { querystring: S.ListJobsQuery, response: { 200: S.ListJobsResponse } }, config: access("job", "read") },
    async (req) => {
      const q = req.query;
      const page = await service.list({ states: list(q.state), types: list(q.type), excludeTypes: list(q.exclude_type), maxResults: q.max_results, pageToken: q.page_token });
      return { jobs: page.items.map(jobToWire), next_page_token: page.nextPageToken };
    },
  );

  app.get(
    "/jobs/schedules",
    { schema: { response: { 200: S.ListSchedulesResponse } }, config: access("job", "read") },
    async () => ({ schedules: (await service.schedules()).map(scheduleToWire) }),
  );

  app.get(
    "/jobs/:job_id",
    { schema: { params: S.JobIdParams, response: { 200: S.JobResponse } }, config: access("job", "read") },
    async (req) => ({ job: jobToWire(await service.get(req.params.job_id)) }),
  );

  app.get(
    "/jobs/:job_id/logs",
    { schema: { params: S.JobIdParams, querystring: S.JobLogsQuery, response: { 200: S.JobLogsResponse } }, config: access("job", "read") },
    async (req, reply) => {
      const gone = new AbortController();
      // A follower that disconnects ends its wait (the response closes before it was sent).
      reply.raw.once("close", () => gone.abort());
      const afterSeq = req.query.after_seq ?? 0;
      const { lines, job } = await service.logs(req.params.job_id, {
        afterSeq,
        maxResults: req.query.max_results,
        waitMs: req.query.wait_ms,
        signal: gone.signal,
      });
      return { lines: lines.map(logLineToWire), next_seq: lines.length > 0 ? lines[lines.length - 1].seq : afterSeq, job_state: job.state };
    },
  );

  app.post(
    "/jobs/:job_id/cancel",
    { schema: { params: S.JobIdParams, response: { 200: S.JobResponse } }, config: access("job", "manage") },
    async (req) => ({ job: jobToWire(await service.cancel(req.params.job_id)) }),
  );

  app.post(
    "/jobs/:job_id/retry",
    { schema: { params: S.JobIdParams, response: { 200: S.JobResponse } }, config: access("job", "manage") },
    async (req) => ({ job: jobToWire(await service.retry(req.params.job_id)) }),
  );
};
