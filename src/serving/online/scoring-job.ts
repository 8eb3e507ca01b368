/**
 * What travels between the HTTP thread and the inference threads: a scoring
 * job is a request body still as text (parsing and validation happen on the
 * inference thread, so the HTTP thread only moves bytes), and a job result is
 * the response body already serialised. Everything here is plain data, posted
 * to worker threads as is.
 * @module
 */
import type { FlavorName, MlModel, ModelSignature, Schema } from "../../models/index.js";

/** How a body is to be read and answered. */
export type JobProtocol = "mlflow-json" | "mlflow-csv" | "v2";

export interface ScoringJob {
  protocol: JobProtocol;
  body: string;
  /** Epoch ms after which the answer is no longer wanted (the inference thread skips such jobs). */
  deadline: number;
}

export interface JobResult {
  status: number;
  /** Serialised response body. */
  body: string;
  contentType: string;
  /** Rows scored (0 for a failed job). */
  rows: number;
  /** MLflow error code of a failed job (for the errors metric). */
  errorCode?: string;
  /** Seconds for a `Retry-After` header (overload answers). */
  retryAfter?: number;
}

/** What the HTTP thread knows about the model once an inference thread has loaded it. */
export interface ServedModelInfo {
  flavor: FlavorName;
  inputSchema: Schema | undefined;
  signature: ModelSignature | undefined;
  mlmodel: MlModel;
  workerSafe: boolean;
  /** ONNX output names when the package's signature has no outputs (v2 metadata). */
  outputNames?: string[];
  /** The model file's own tensors (ONNX), which /v2 describes and validates against in place of the signature. */
  nativeSchema?: { inputs: Schema; outputs: Schema };
}

export const JSON_TYPE = "application/json";

/** MLflow's error body (`{"error_code", "message"}`) as a job result. */
function mlflowError(status: number, errorCode: string, message: string): JobResult {
  return { status, body: JSON.stringify({ error_code: errorCode, message }), contentType: JSON_TYPE, rows: 0, errorCode };
}

/** The Open Inference Protocol's error body (`{"error"}`). */
function v2Error(status: number, message: string, errorCode = "BAD_REQUEST"): JobResult {
  return { status, body: JSON.stringify({ error: message }), contentType: JSON_TYPE, rows: 0, errorCode };
}

/** An error in the body style of the protocol that asked. */
export function protocolError(protocol: JobProtocol, status: number, errorCode: string, message: string): JobResult {
  return protocol === "v2" ? v2Error(status, message, errorCode) : mlflowError(status, errorCode, message);
}
