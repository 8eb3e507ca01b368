/**
 * The registry's {@link LoggedModelLookup}, backed by the logged-model store:
 * the registry reads a logged model's run and artifact URI, and records each
 * model version registered from it on the model's `mlflow.modelVersions` tag.
 * @module
 */
import type { LoggedModelLookup, LoggedModelRef } from "../registry/index.js";
import { MlflowError } from "../shared/errors.js";
import type { LoggedModelStore } from "./logged-model-store.js";

export class StoreLoggedModelLookup implements LoggedModelLookup {
  constructor(private readonly store: LoggedModelStore) {}

  async get(modelId: string): Promise<LoggedModelRef | undefined> {
    try {
      const { info } = await this.store.getLoggedModel(modelId);
      return {
        modelId: info.modelId,
        experimentId: info.experimentId,
        // MLflow stores an absent source run as "": the registry wants null.
        sourceRunId: info.sourceRunId || null,
        artifactUri: info.artifactUri,
      };
    } catch (err) {
      if (err instanceof MlflowError && err.errorCode === "RESOURCE_DOES_NOT_EXIST") return undefined;
      throw err;
    }
  }

  recordModelVersion(modelId: string, name: string, version: string): Promise<void> {
    return this.store.recordModelVersion(modelId, name, version);
  }
}
