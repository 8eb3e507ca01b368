/**
 * The scoring server's HTTP app: MLflow's scoring protocol (`/invocations`,
 * `/ping`, `/health`, `/version`), the Open Inference Protocol v2 (`/v2/...`)
 * and `/metrics`, on raw `node:http` — measured at ≈ 1.45× Fastify's
 * throughput for this one-route, small-body workload (see docs/benchmarks.md),
 * and this server has no auth, schemas or plugins to want Fastify for. Tests
 * drive `handler` in-process (testing/scoring-app-kit.ts, light-my-request).
 *
 * The app never parses a scoring body: it checks the content type and size,
 * hands the text to the {@link BatchScheduler} and writes back what the
 * inference thread serialised. Health, metadata and metrics are answered here
 * on the HTTP thread, so they stay fast while the model is busy.
 *
 * Life cycle: `loading` (health 503, scoring 503) → `ready` → `draining`
 * (after SIGTERM: readiness 503, requests still in flight finish; new scoring
 * requests on open connections are still served, with `Connection: close`).
 * @module
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { INFERENCE_LOGGED_HEADER } from "../../shared/inference-headers.js";
import { CICLO_VERSION } from "../../shared/node/version.js";
import type { AdmissionControl, Reservation } from "./admission-control.js";
import type { BatchScheduler } from "./request-batcher.js";
import type { InferenceLog } from "./inference-log.js";
import { routeV2 } from "./open-inference-routes.js";
import { JSON_TYPE, protocolError, type JobProtocol, type JobResult, type ServedModelInfo } from "./scoring-job.js";
import { METRICS_CONTENT_TYPE, type ScoringMetrics } from "./scoring-metrics.js";
import type { Tracing } from "../../telemetry/tracing.js";

type ScoringPhase = "loading" | "ready" | "draining";

export interface ScoringAppDeps {
  modelName: string;
  modelVersion: string;
  metrics: ScoringMetrics;
  /** Largest request body accepted (bytes); more → 413. */
  maxBodyBytes: number;
  /** The memory budget for requests in flight; past it → 503 + Retry-After. */
  admission: AdmissionControl;
  inferenceLog?: InferenceLog;
  /** Spans for scoring requests and their runtime calls (absent: no tracing). */
  tracing?: Tracing;
}

export interface ScoringApp {
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  readonly phase: ScoringPhase;
  readonly deps: ScoringAppDeps;
  readonly info: ServedModelInfo | undefined;
  /** The model is loaded: start taking traffic. */
  setReady(scheduler: BatchScheduler, info: ServedModelInfo): void;
  /** SIGTERM: readiness goes false; answers carry `Connection: close`. */
  setDraining(): void;
  /** Requests received and not yet answered. */
  readonly inFlight: number;
  /** Resolves when no request is in flight. */
  whenNoneInFlight(): Promise<void>;
}

const CSV_TYPE = "text/csv";
const MLFLOW_TYPES = "['text/csv', 'application/json']";

/** `type/subtype; charset=utf-8` → the mime type and its parameters (lower-cased names). */
function parseContentType(header: string | undefined): { mime: string; params: Map<string, string> } {
  const parts = (header ?? "").split(";");
  const params = new Map<string, string>();
  for (const p of parts.slice(1)) {
    const at = p.indexOf("=");
    if (at < 0) continue;
    params.set(p.slice(0, at).trim().toLowerCase(), p.slice(at + 1).trim().replace(/^"|"$/g, ""));
  }
  return { mime: parts[0].trim().toLowerCase(), params };
}

/** MLflow's content-type rules for `/invocations`: JSON or CSV, utf-8, no other parameters; else 415. */
function invocationProtocol(header: string | undefined): JobProtocol | string {
  const { mime, params } = parseContentType(header);
  const charset = (params.get("charset") ?? "utf-8").toLowerCase();
  // MLflow compat: a charset other than utf-8, or any parameter besides charset, is 415 too.
  if (charset !== "utf-8" && charset !== "utf8") return `Unsupported charset '${charset}': only utf-8 is accepted.`;
  const extra = [...params.keys()].filter((k) => k !== "charset");
  if (extra.length > 0) return `Unrecognized content type parameters: ${extra.join(", ")}.`;
  if (mime === JSON_TYPE) return "mlflow-json";
  if (mime === CSV_TYPE) return "mlflow-csv";
  return `This predictor only supports the following content types: Types: ${MLFLOW_TYPES}. Got '${header ?? ""}'.`;
}

export function buildScoringApp(deps: ScoringAppDeps): ScoringApp {
  let phase: ScoringPhase = "loading";
  let scheduler: BatchScheduler | undefined;
  let info: ServedModelInfo | undefined;
  let inFlight = 0;
  /** Requests admitted whose bodies are still arriving, and their declared bytes. */
  let reading = 0;
  let readingBytes = 0;
  let idleWaiters: Array<() => void> = [];
  const { metrics, admission } = deps;

  const send = (res: ServerResponse, status: number, contentType: string, body: string, extra?: Record<string, string>): void => {
    const headers: Record<string, string | number> = { "content-type": contentType, "content-length": Buffer.byteLength(body), ...extra };
    if (phase === "draining") headers.connection = "close";
    res.writeHead(status, headers);
    res.end(body);
  };

  /**
   * Reads the body (bounded by size and by the admission budget), scores it,
   * answers, and records metrics and the optional log. A body over the size
   * limit is refused with 413 from its Content-Length before a byte is read,
   * or the moment a chunked body passes the limit; a request that does not
   * fit the memory budget gets 503 + Retry-After at once (its body is never
   * held). A refusal in the middle of a body closes the connection, so the
   * rest of it is not read.
   */
  const score = (req: IncomingMessage, res: ServerResponse, protocol: JobProtocol, metricProtocol: string): void => {
    const t0 = performance.now();
    // Labels arrive later by request id: the caller's, or one made up and answered in the header.
    let requestId: string | undefined;
    // The router in front has logged this request already (under the same request id).
    const inferenceLog = req.headers[INFERENCE_LOGGED_HEADER] === undefined ? deps.inferenceLog : undefined;
    if (inferenceLog) {
      const given = req.headers["x-request-id"];
      requestId = typeof given === "string" && given !== "" && given.length <= 256 ? given : randomUUID();
      res.setHeader("x-request-id", requestId);
    }
    inFlight++;
    metrics.requestStarted();
    const span = deps.tracing?.server(`${req.method ?? "POST"} ${metricProtocol === "v2" ? "/v2/models/{model}/infer" : "/invocations"}`, req.headers, {
      "http.request.method": req.method ?? "POST",
      "ciclo.model": deps.modelName,
      "ciclo.model_version": deps.modelVersion,
      "ciclo.protocol": metricProtocol,
    });
    let reservation: Reservation | undefined;
    let answered = false;
    const finish = (r: JobResult, body: string, extra?: Record<string, string>) => {
      if (answered) return;
      answered = true;
      reservation?.release();
      if (!res.destroyed) send(res, r.status, r.contentType, r.body, { ...(r.retryAfter !== undefined ? { "retry-after": String(r.retryAfter) } : {}), ...extra });
      if (--inFlight === 0 && idleWaiters.length > 0) {
        const w = idleWaiters;
        idleWaiters = [];
        for (const f of w) f();
      }
      metrics.requestDone(metricProtocol, r.status, (performance.now() - t0) / 1000, r.errorCode);
      span?.end(r.status);
      inferenceLog?.record({ protocol: metricProtocol, status: r.status, latencyMs: performance.now() - t0, rows: r.rows, request: body, response: r.body, requestId });
    };
    const tooLarge = (detail: string) => protocolError(protocol, 413, "INVALID_PARAMETER_VALUE", `Request body too large: ${detail} (limit ${deps.maxBodyBytes} bytes). Send fewer rows per request, or raise --max-body-mb.`);
    const overloaded = (): JobResult => ({
      ...protocolError(protocol, 503, "TEMPORARILY_UNAVAILABLE", `The model server is at its memory limit for requests in flight (${Math.round(admission.limits.maxInflightBytes / 1048576)} MB); retry later.`),
      retryAfter: admission.retryAfterSeconds,
    });
    /** Answers now and stops reading: the connection closes once the answer is out. */
    const refuseMidBody = (r: JobResult) => {
      arrived();
      req.removeAllListeners("data");
      finish(r, "", { connection: "close" });
    };

    if (!scheduler || phase === "loading") {
      req.resume();
      finish({ ...protocolError(protocol, 503, "TEMPORARILY_UNAVAILABLE", "The model is still loading."), retryAfter: 1 }, "");
      return;
    }
    const header = req.headers["content-length"];
    const declared = header === undefined ? undefined : Number(header);
    if (declared !== undefined && declared > deps.maxBodyBytes) {
      // Refused from the header: none of the body is read, and the connection closes (the client may still be sending it).
      finish(tooLarge(`${declared} bytes`), "", { connection: "close" });
      return;
    }
    reservation = scheduler.queueTooLong(declared ?? 0, reading, readingBytes) ? undefined : admission.tryReserve(declared ?? 0);
    if (!reservation) {
      req.resume(); // discarded as it arrives (never held); the connection stays open for the retry
      finish(overloaded(), "");
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    // Counted as arriving until the body is complete (or the request ends otherwise): they queue ahead of later requests.
    let arriving = true;
    reading++;
    readingBytes += declared ?? 0;
    const arrived = () => {
      if (!arriving) return;
      arriving = false;
      reading--;
      readingBytes -= declared ?? 0;
    };
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > deps.maxBodyBytes) return refuseMidBody(tooLarge(`more than ${deps.maxBodyBytes} bytes`));
      if (declared === undefined && !reservation!.grow(chunk.length)) return refuseMidBody(overloaded());
      chunks.push(chunk);
    });
    req.on("end", () => {
      arrived();
      if (answered) return;
      const body = (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)).toString("utf8");
      chunks.length = 0;
      if (!span) return void scheduler!.submit(protocol, body).then((r) => finish(r, body));
      // The runtime's part: queueing for a batch, then inference on a thread (or the Python worker).
      const run = span.child("ciclo.runtime.predict", "internal", { "ciclo.model": deps.modelName, "ciclo.model_version": deps.modelVersion, "ciclo.request_bytes": size });
      void scheduler!.submit(protocol, body).then((r) => {
        run.setAttribute("ciclo.rows", r.rows);
        run.end(r.status);
        finish(r, body);
      });
    });
    req.on("close", () => {
      // The client went away before its body arrived: nothing to answer, and its reservation is freed.
      arrived();
      if (!req.complete && !answered) {
        chunks.length = 0;
        finish(protocolError(protocol, 499, "CLIENT_CLOSED_REQUEST", "The client closed the connection before sending the whole body."), "");
      }
    });
  };

  const ready = () => phase === "ready";

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    const method = req.method ?? "GET";
    if (path === "/invocations") {
      if (method !== "POST") return send(res, 405, JSON_TYPE, JSON.stringify({ error_code: "BAD_REQUEST", message: "Use POST /invocations." }), { allow: "POST" });
      const protocol = invocationProtocol(req.headers["content-type"]);
      if (protocol !== "mlflow-json" && protocol !== "mlflow-csv") {
        req.resume();
        // MLflow compat: 415 with a plain-text body.
        metrics.requestStarted();
        metrics.requestDone("mlflow", 415, 0, "BAD_REQUEST");
        return send(res, 415, "text/plain; charset=utf-8", protocol);
      }
      return score(req, res, protocol, "mlflow");
    }
    if (method === "GET" && (path === "/ping" || path === "/health")) {
      // MLflow compat: "\n" with 200 once the model is loaded.
      return send(res, ready() ? 200 : 503, JSON_TYPE, "\n");
    }
    if (method === "GET" && path === "/version") return send(res, 200, "text/plain; charset=utf-8", CICLO_VERSION);
    if (method === "GET" && path === "/metrics") {
      void metrics.render().then((text) => send(res, 200, METRICS_CONTENT_TYPE, text));
      return;
    }
    if (path === "/v2" || path.startsWith("/v2/")) {
      const routed = routeV2(method, path, { modelName: deps.modelName, modelVersion: deps.modelVersion, ready: ready(), info });
      if (routed.kind === "answer") {
        req.resume();
        return send(res, routed.status, JSON_TYPE, routed.body);
      }
      // The v2 body is JSON whatever the Content-Type says (curl -d sends form-urlencoded), as Triton reads it.
      return score(req, res, "v2", "v2");
    }
    req.resume();
    send(res, 404, JSON_TYPE, JSON.stringify({ error_code: "ENDPOINT_NOT_FOUND", message: `No route ${method} ${path} on the scoring server.` }));
  };

  return {
    handler,
    deps,
    get phase() {
      return phase;
    },
    get info() {
      return info;
    },
    get inFlight() {
      return inFlight;
    },
    whenNoneInFlight() {
      return inFlight === 0 ? Promise.resolve() : new Promise<void>((r) => idleWaiters.push(r));
    },
    setReady(s, i) {
      scheduler = s;
      info = i;
      phase = "ready";
      metrics.setReady(true);
    },
    setDraining() {
      phase = "draining";
      metrics.setReady(false);
    }
  };
}
