/**
 * `POST /runs/create-promptlab-run`: MLflow 2.x's prompt-engineering UI
 * records one prompt evaluation as a finished run — the model route and
 * prompt template as params, the `PROMPT_ENGINEERING` source type, and an
 * `eval_results_table.json` artifact (prompt parameters, prompt, output).
 * MLflow's checks, messages and run layout; ciclo does not also write
 * MLflow's `promptlab` model flavor (a gateway-backed pyfunc) into the run.
 * @module
 */
import { Readable } from "node:stream";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import Type from "typebox";
import type { Run, RunStatus } from "../../tracking/index.js";
import { InvalidParameterValueError } from "../../shared/errors.js";
import { toWireRun } from "../../shared/wire/tracking-codec.js";
import { WireRun } from "../../shared/wire/tracking-wire.js";
import { access } from "../../server/http/route-access.js";
import type { ArtifactService } from "../artifact-service.js";

/** What this route needs of the tracking module's run service. */
export interface PromptlabRuns {
  create(req: { experimentId?: string; userId?: string; runName?: string; startTime?: number; tags: Array<{ key: string; value: string }> }): Promise<Run>;
  logBatch(runId: string, batch: { metrics: never[]; params: Array<{ key: string; value: string }>; tags: Array<{ key: string; value: string }> }): Promise<void>;
  update(runId: string, input: { status?: RunStatus; endTime?: number; runName?: string }): Promise<unknown>;
  get(runId: string): Promise<Run>;
}

/** Fields are checked by the handler, in MLflow's order and words. */
const PromptlabBody = Type.Object({}, { additionalProperties: true });
type Kv = { key?: unknown; value?: unknown };
type Body = Record<string, unknown>;

const ENDPOINT = "/ajax-api/2.0/mlflow/runs/create-promptlab-run";

function required(body: Body, name: string): unknown {
  const v = body[name];
  // MLflow compat: `if not arg` -- absent, null, "" and [] are all missing.
  if (v === undefined || v === null || v === "" || v === 0 || v === false || (Array.isArray(v) && v.length === 0)) {
    throw new InvalidParameterValueError(`CreatePromptlabRun request must specify ${name}.`);
  }
  return v;
}

/** Python's str() of a param value as MLflow logs it. */
const str = (v: unknown): string => (typeof v === "string" ? v : v === undefined || v === null ? "None" : JSON.stringify(v));

function kvList(v: unknown, name: string): Array<{ key: string; value: string }> {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new InvalidParameterValueError(`CreatePromptlabRun request field ${name} must be a list of {key, value}.`);
  return v.map((p: Kv) => ({ key: str(p?.key), value: str(p?.value) }));
}

export const promptlabRunRoutes: FastifyPluginAsyncTypebox<{ runs: PromptlabRuns; artifacts: ArtifactService }> = async (app, { runs, artifacts }) => {
  app.post(
    "/runs/create-promptlab-run",
    { schema: { body: PromptlabBody, response: { 200: Type.Object({ run: WireRun }) } }, config: access("experiment", "edit") },
    async (req) => {
      const b = req.body as Body;
      const experimentId = required(b, "experiment_id");
      const promptTemplate = str(required(b, "prompt_template"));
      const promptParameters = kvList(required(b, "prompt_parameters"), "prompt_parameters");
      const modelRoute = str(required(b, "model_route"));
      const modelParameters = kvList(b.model_parameters, "model_parameters");
      const modelInput = str(required(b, "model_input"));
      const modelOutput = b.model_output === undefined || b.model_output === null ? null : str(b.model_output);
      const outputParameters = kvList(b.model_output_parameters, "model_output_parameters");
      required(b, "mlflow_version");
      const runName = typeof b.run_name === "string" ? b.run_name : undefined;
      const startTime = typeof b.start_time === "number" ? b.start_time : Date.now();

      const run = await runs.create({
        experimentId: str(experimentId),
        userId: typeof b.user_id === "string" ? b.user_id : "unknown",
        runName,
        startTime,
        tags: kvList(b.tags, "tags"),
      });
      const runId = run.info.runId;
      let status: RunStatus = "FINISHED";
      try {
        await runs.logBatch(runId, {
          metrics: [],
          params: [...modelParameters, { key: "model_route", value: modelRoute }, { key: "prompt_template", value: promptTemplate }],
          tags: [
            // Python's json.dumps spacing, as MLflow writes it.
            { key: "mlflow.loggedArtifacts", value: '[{"path": "eval_results_table.json", "type": "table"}]' },
            { key: "mlflow.runSourceType", value: "PROMPT_ENGINEERING" },
          ],
        });
        const table = {
          columns: [...promptParameters.map((p) => p.key), "prompt", "output", ...outputParameters.map((p) => p.key)],
          data: [[...promptParameters.map((p) => p.value), modelInput, modelOutput, ...outputParameters.map((p) => p.value)]],
        };
        await artifacts.putRunArtifact(ENDPOINT, runId, "eval_results_table.json", Readable.from([Buffer.from(JSON.stringify(table))]));
      } catch {
        // MLflow compat: a failure while recording marks the run FAILED instead of answering an error.
        status = "FAILED";
      }
      await runs.update(runId, { status, endTime: Date.now(), runName });
      return { run: toWireRun(await runs.get(runId)) };
    },
  );
};
