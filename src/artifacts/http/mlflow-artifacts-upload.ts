/**
 * Uploads: `PUT <prefix>/mlflow-artifacts/artifacts/<path>` (MLflow's raw
 * body upload) and `PUT <prefix>/mlflow-artifacts/mpu/upload-part/<path>`
 * (the part URL a local store hands out in `mpu/create`). Bodies of any
 * content type stream straight into the repository: no size limit like JSON
 * bodies, no buffering, no temporary copy.
 * @module
 */
import { Readable } from "node:stream";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { access } from "../../server/http/route-access.js";
import { InvalidParameterValueError } from "../../shared/errors.js";
import { safeArtifactFilePath } from "../safe-path.js";
import * as S from "./artifacts.schema.js";
import { endpointOf, type ArtifactRouteOptions } from "./mlflow-artifacts.js";

/**
 * In this plugin's scope only: every content type (or none) is accepted and
 * the request stream itself becomes the body, unread until the repository reads it.
 */
function registerRawBody(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", (_req, payload, done) => done(null, payload));
}

const MLFLOW_AJAX_PREFIX = "/ajax-api/2.0";

function bodyStream(req: FastifyRequest): Readable {
  // No body at all (no Content-Length, no chunks): an empty upload.
  const body = req.body instanceof Readable ? req.body : Readable.from([]);
  // A client that goes away before the repository starts reading must not crash the process.
  body.on("error", () => {});
  return body;
}

/** After a refused upload the rest of its body is not worth reading: close the connection instead. */
async function closingOnError<T>(reply: FastifyReply, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    void reply.header("connection", "close");
    throw err;
  }
}

/** MLflow's cap on `upload-artifact` bodies. */
const MAX_UI_UPLOAD_BYTES = 10 * 1024 * 1024;

/** Reads a body of at most `limit` bytes (the UI's small uploads); longer ones are refused with MLflow's message. */
async function readSmallBody(req: FastifyRequest, limit: number): Promise<Buffer> {
  const tooLarge = () => new InvalidParameterValueError("Artifact size is too large. Max size is 10MB.");
  if (Number(req.headers["content-length"] ?? 0) > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of bodyStream(req)) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export const artifactUploadRoutes: FastifyPluginAsyncTypebox<ArtifactRouteOptions & { prefix: string }> = async (app, { service, prefix }) => {
  registerRawBody(app);

  // MLflow's UI upload of one small file into a run (`/ajax-api/2.0/mlflow/upload-artifact?run_uuid=&path=`).
  if (prefix === MLFLOW_AJAX_PREFIX) {
    app.post(
      "/mlflow/upload-artifact",
      { schema: { querystring: S.UiUploadQuery, response: { 200: S.Empty } }, config: access("artifact", "edit") },
      async (req, reply) =>
        closingOnError(reply, async () => {
          const q = req.query;
          // MLflow compat: its checks, in its order and words.
          if (!q.run_uuid) throw new InvalidParameterValueError("Request must specify run_uuid.");
          if (!q.path) throw new InvalidParameterValueError("Request must specify path.");
          safeArtifactFilePath(q.path);
          const data = await readSmallBody(req, MAX_UI_UPLOAD_BYTES);
          if (data.length === 0) throw new InvalidParameterValueError("Request must specify data.");
          await service.putRunArtifact(endpointOf(req), q.run_uuid, q.path, Readable.from([data]));
          return {};
        }),
    );
  }
  const wildcard = (req: FastifyRequest): string => (req.params as { "*": string })["*"];

  app.put(
    "/mlflow-artifacts/artifacts/*",
    { schema: { response: { 200: S.Empty } }, config: access("artifact", "edit") },
    async (req, reply) =>
      closingOnError(reply, async () => {
        await service.uploadProxied(endpointOf(req), wildcard(req), bodyStream(req));
        return {};
      }),
  );

  app.put(
    "/mlflow-artifacts/mpu/upload-part/*",
    { schema: { querystring: S.UploadPartQuery, response: { 200: S.Empty } }, config: access("artifact", "edit") },
    async (req, reply) =>
      closingOnError(reply, async () => {
        const q = req.query;
        const etag = await service.uploadPart(endpointOf(req), wildcard(req), q.upload_id, q.part_number, bodyStream(req));
        // The client reads the part's ETag from this header and sends it back in mpu/complete.
        void reply.header("etag", etag);
        return {};
      }),
  );
};
