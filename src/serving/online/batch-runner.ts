/**
 * Scores a batch of jobs on an inference thread: parses and validates each
 * body against the model's schema (a bad one gets its own 400 and never spoils
 * the others), stacks the inputs that share params into one model call,
 * splits the output back per request, and serialises every answer — so the
 * HTTP thread only moves bytes.
 *
 * A batch the model rejects is retried one job at a time, so only the bad
 * request fails. A model whose output cannot be split per row (a
 * js_function returning one value) is from then on called once per job.
 * @module
 */
import { parseCsvInput, parseJsonRequest, validateInput, validateParams, type LoadedModel, concatInputs, type ModelInput, type ModelParams, outputRowCount, sliceOutput, toPredictions, type ModelOutput } from "../../models/index.js";
import { HTTP_STATUS, MlflowError, type ErrorCode } from "../../shared/errors.js";
import { parseV2Request, toV2Outputs } from "./open-inference-codec.js";
import { JSON_TYPE, protocolError, type JobResult, type ScoringJob } from "./scoring-job.js";

/** The part of a loaded model the runner needs. */
export type ScorableModel = Pick<LoadedModel, "inputSchema" | "signature" | "predict"> & Partial<Pick<LoadedModel, "nativeSchema">>;

export interface RunnerContext {
  modelName: string;
  modelVersion: string;
}

interface Prepared {
  index: number;
  job: ScoringJob;
  input: ModelInput;
  params: ModelParams;
  paramsKey: string;
  v2?: { id?: string; outputs?: string[] };
}

export interface BatchStats {
  rows: number;
  /** Model calls made for this batch. */
  calls: number;
}

function errorResult(job: ScoringJob, err: unknown): JobResult {
  if (err instanceof MlflowError) return protocolError(job.protocol, HTTP_STATUS[err.errorCode] ?? 500, err.errorCode, err.message);
  const code: ErrorCode = "INTERNAL_ERROR";
  return protocolError(job.protocol, 500, code, `Scoring failed: ${(err as Error)?.message ?? String(err)}`);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    // MLflow compat: the scoring server's wording for a body that is not JSON.
    throw new MlflowError(`Failed to parse input from JSON. Ensure that input is a valid JSON formatted string. ${(err as Error).message}`, "BAD_REQUEST");
  }
}

export interface RunnerOptions {
  /**
   * The error code for params that do not fit the signature and for inputs missing a required column (default
   * BAD_REQUEST). The Python runtime answers INVALID_PARAMETER_VALUE there, as MLflow's schema enforcement does
   * (values of the wrong type stay BAD_REQUEST: MLflow finds those while parsing).
   */
  schemaErrorCode?: ErrorCode;
}

/** MLflow's wording for a missing required input (input-validator.ts keeps it). */
const MISSING_INPUTS = "Model is missing inputs";

export class BatchRunner {
  /** False once the model returned an output that cannot be split per request. */
  private splittable = true;

  constructor(
    private readonly model: ScorableModel,
    private readonly ctx: RunnerContext,
    private readonly opts: RunnerOptions = {},
  ) {}

  private params(given: unknown): ModelParams {
    const code = this.opts.schemaErrorCode;
    try {
      return validateParams(given as ModelParams | undefined, this.model.signature?.params);
    } catch (err) {
      throw code && err instanceof MlflowError ? new MlflowError(err.message, code) : err;
    }
  }

  private input(given: ModelInput, schema = this.model.inputSchema): ModelInput {
    const code = this.opts.schemaErrorCode;
    try {
      return validateInput(given, schema);
    } catch (err) {
      throw code && err instanceof MlflowError && err.message.startsWith(MISSING_INPUTS) ? new MlflowError(err.message, code) : err;
    }
  }

  private prepare(job: ScoringJob, index: number): Prepared {
    const schema = this.model.inputSchema;
    if (job.protocol === "v2") {
      const req = parseV2Request(parseJson(job.body));
      const params = this.params(req.params);
      // /v2 speaks the model file's tensors when it declares them (ONNX), as its metadata says (open-inference-routes.ts).
      return { index, job, input: this.input(req.input, this.model.nativeSchema?.inputs), params, paramsKey: JSON.stringify(params), v2: { id: req.id, outputs: req.outputs } };
    }
    const parsed = job.protocol === "mlflow-csv" ? { input: parseCsvInput(job.body, schema), params: undefined } : parseJsonRequest(parseJson(job.body), schema);
    const params = this.params(parsed.params);
    return { index, job, input: this.input(parsed.input), params, paramsKey: JSON.stringify(params) };
  }

  private answer(p: Prepared, out: ModelOutput, rows: number): JobResult {
    if (p.job.protocol !== "v2") {
      return { status: 200, body: `{"predictions":${JSON.stringify(toPredictions(out))}}`, contentType: JSON_TYPE, rows };
    }
    const body = {
      model_name: this.ctx.modelName,
      model_version: this.ctx.modelVersion,
      ...(p.v2?.id !== undefined ? { id: p.v2.id } : {}),
      outputs: toV2Outputs(out, p.v2?.outputs),
    };
    return { status: 200, body: JSON.stringify(body), contentType: JSON_TYPE, rows };
  }

  private async runOne(p: Prepared, results: JobResult[], stats: BatchStats): Promise<void> {
    try {
      stats.calls++;
      const out = await this.model.predict(p.input, p.params);
      results[p.index] = this.answer(p, out, p.input.rowCount);
      stats.rows += p.input.rowCount;
    } catch (err) {
      results[p.index] = errorResult(p.job, err);
    }
  }

  private async runGroup(group: Prepared[], results: JobResult[], stats: BatchStats): Promise<void> {
    if (group.length === 1 || !this.splittable) {
      for (const p of group) await this.runOne(p, results, stats);
      return;
    }
    let out: ModelOutput;
    let input: ModelInput;
    try {
      input = concatInputs(group.map((p) => p.input));
      stats.calls++;
      out = await this.model.predict(input, group[0].params);
    } catch {
      // Different shapes, or one bad request in the batch: each job on its own finds its own answer.
      for (const p of group) await this.runOne(p, results, stats);
      return;
    }
    if (outputRowCount(out) !== input.rowCount) {
      if (out.kind === "value") this.splittable = false;
      for (const p of group) await this.runOne(p, results, stats);
      return;
    }
    let start = 0;
    for (const p of group) {
      const end = start + p.input.rowCount;
      try {
        results[p.index] = this.answer(p, sliceOutput(out, start, end), p.input.rowCount);
      } catch (err) {
        results[p.index] = errorResult(p.job, err);
      }
      start = end;
    }
    stats.rows += input.rowCount;
  }

  /** Scores the jobs; resolves with one result per job, in order. */
  async run(jobs: ScoringJob[]): Promise<{ results: JobResult[]; stats: BatchStats }> {
    const results = new Array<JobResult>(jobs.length);
    const stats: BatchStats = { rows: 0, calls: 0 };
    const groups = new Map<string, Prepared[]>();
    const now = Date.now();
    jobs.forEach((job, i) => {
      if (job.deadline <= now) {
        // The HTTP thread has already answered 504; do no work for it.
        results[i] = protocolError(job.protocol, 504, "DEADLINE_EXCEEDED", "Request processing time exceeded limit");
        return;
      }
      try {
        const p = this.prepare(job, i);
        const g = groups.get(p.paramsKey);
        if (g) g.push(p);
        else groups.set(p.paramsKey, [p]);
      } catch (err) {
        results[i] = errorResult(job, err);
      }
    });
    for (const group of groups.values()) await this.runGroup(group, results, stats);
    return { results, stats };
  }
}
