/**
 * MLflow 3.3's OpenTelemetry endpoint, `POST /v1/traces` (OTLP/HTTP): an
 * ExportTraceServiceRequest in protobuf (`application/x-protobuf`, what
 * OpenTelemetry's exporters send by default) or JSON (`application/json`),
 * optionally gzip-compressed, into the experiment the `x-mlflow-experiment-id`
 * header names. It answers an empty ExportTraceServiceResponse in the
 * request's encoding; errors are MLflow's `{"error_code", "message"}`.
 * @module
 */
import { gunzip } from "node:zlib";
import { promisify } from "node:util";
import type { FastifyPluginAsync } from "fastify";
import { InvalidParameterValueError } from "../../../shared/errors.js";
import { access } from "../../../server/http/route-access.js";
import { decodeOtlpJson } from "../otlp-json.js";
import { decodeOtlpProtobuf } from "../otlp-protobuf.js";
import { EXPERIMENT_ID_HEADER, type OtlpTraceService } from "../otlp-trace-service.js";

const gunzipAsync = promisify(gunzip);
const PROTOBUF = "application/x-protobuf";
const JSON_TYPE = "application/json";
/** Default largest export request, compressed or not (OpenTelemetry's batch processors send 512 spans at most). */
export const OTLP_BODY_LIMIT = 16 * 1024 * 1024;

interface Opts {
  service: OtlpTraceService;
  maxBodyBytes?: number;
}

function tooLarge(limit: number): Error {
  // Answered as any body over the limit is (errors.ts): 413.
  return Object.assign(new Error(`Request body is too large: the limit is ${limit} bytes, decompressed`), { code: "FST_ERR_CTP_BODY_TOO_LARGE", statusCode: 413 });
}

async function decompress(body: Buffer, encoding: string | undefined, limit: number): Promise<Buffer> {
  const e = (encoding ?? "identity").trim().toLowerCase();
  if (e === "identity" || e === "") return body;
  if (e !== "gzip") throw new InvalidParameterValueError(`Unsupported Content-Encoding '${e.slice(0, 40)}': send the request uncompressed or gzip-compressed.`);
  try {
    return await gunzipAsync(body, { maxOutputLength: limit });
  } catch (err) {
    if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") throw tooLarge(limit);
    throw new InvalidParameterValueError(`The body is not valid gzip: ${(err as Error).message}.`);
  }
}

/** At the server's root. */
export const otlpRoutes: FastifyPluginAsync<Opts> = async (app, { service, maxBodyBytes }) => {
  const limit = maxBodyBytes ?? OTLP_BODY_LIMIT;
  // This plugin's own parsers (encapsulated: other routes keep the server's).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser([PROTOBUF, JSON_TYPE], { parseAs: "buffer", bodyLimit: limit }, (_req, body, done) => done(null, body));
  app.addContentTypeParser("*", (req, _payload, done) => {
    done(new InvalidParameterValueError(`Invalid Content-Type: ${String(req.headers["content-type"]).slice(0, 100)}. Expected: ${PROTOBUF} or ${JSON_TYPE}.`), undefined);
  });

  app.post("/v1/traces", { bodyLimit: limit, config: access("trace", "edit") }, async (req, reply) => {
    const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
    if (type !== PROTOBUF && type !== JSON_TYPE) {
      throw new InvalidParameterValueError(`Invalid Content-Type: ${type || "none"}. Expected: ${PROTOBUF} or ${JSON_TYPE}.`);
    }
    const header = req.headers[EXPERIMENT_ID_HEADER];
    const experimentId = Array.isArray(header) ? header[0] : header;
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const body = await decompress(raw, req.headers["content-encoding"] as string | undefined, limit);
    const spans = type === PROTOBUF ? decodeOtlpProtobuf(body) : decodeOtlpJson(body.toString("utf8"));
    await service.ingest(experimentId?.trim(), spans);
    // An empty ExportTraceServiceResponse (no partial_success): zero bytes in protobuf, `{}` in JSON.
    return type === PROTOBUF ? reply.header("content-type", PROTOBUF).send(Buffer.alloc(0)) : reply.header("content-type", JSON_TYPE).send("{}");
  });
};
