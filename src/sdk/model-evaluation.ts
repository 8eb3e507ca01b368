/**
 * The SDK's `evaluate(modelUri, data, options)`: models/evaluation's
 * `evaluateModel` with models loaded and results logged through the
 * tracking server's REST API (the fluent client unless `client` is given).
 * @module
 */
import { evaluateModel, type EvaluateOptions, type EvaluationReport, type EvaluationRunLog } from "../models/evaluation/evaluate.js";
import type { EvaluationData } from "../models/evaluation/model-evaluator.js";
import type { ArtifactClient } from "./artifact-client.js";
import { getCiclo } from "./fluent.js";
import { loadModel } from "./model-client.js";
import { getOrCreateExperiment } from "./run-starter.js";

export type {  EvaluationReport };

export interface SdkEvaluateOptions extends EvaluateOptions {
  client?: ArtifactClient;
}

const REMOTE = /^(models|runs|mlflow-artifacts):/i;

export async function evaluate(modelUri: string, data: EvaluationData, opts: SdkEvaluateOptions): Promise<EvaluationReport> {
  const logging = opts.log !== false;
  const client = opts.client ?? (logging || REMOTE.test(modelUri) || REMOTE.test(opts.baseline ?? "") ? getCiclo().artifacts : undefined);
  return evaluateModel(
    {
      loadModel: async (uri) => {
        const model = await loadModel(uri, client ? { client } : {});
        return { loaded: model.loaded, close: () => model.close() };
      },
      runLog: client ? runLogOf(client) : undefined,
    },
    modelUri,
    data,
    { ...opts, log: logging && client !== undefined },
  );
}

function runLogOf(client: ArtifactClient): EvaluationRunLog {
  const tracking = client.tracking;
  return {
    async createRun(experimentName, runName) {
      const experimentId = experimentName ? (await getOrCreateExperiment(tracking, experimentName)).experimentId : "0";
      return (await tracking.createRun({ experimentId, runName })).info.runId;
    },
    logBatch: (runId, metrics, tags) => tracking.logBatch(runId, { metrics, tags }),
    logImage: (runId, png, path) => client.logImage(runId, png, path),
    logDict: (runId, value, path) => client.logDict(runId, value, path),
    endRun: (runId, status) => tracking.updateRun(runId, { status, endTime: Date.now() }).then(() => undefined),
  };
}
