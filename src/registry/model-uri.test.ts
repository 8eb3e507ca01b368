/**
 * `models:/` URIs: MLflow's parsing rules, and resolution against a real
 * SQLite registry (versions, stages, latest, aliases, logged-model ids).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { StoreLoggedModelLookup } from "../logged-models/store-logged-model-lookup.js";
import { MlflowError } from "../shared/errors.js";
import { openStores, type OpenedStores } from "../store/open-stores.js";
import { tempDir } from "../testing/temp-dir.js";
import { modelUriRegistry } from "./model-version-service.js";
import { parseModelUri, resolveModelUri } from "./model-uri.js";

describe("parseModelUri", () => {
  test("reads versions, stages, latest, aliases and logged-model ids as MLflow does", () => {
    assert.deepEqual(parseModelUri("models:/fraud/3"), { kind: "version", name: "fraud", version: "3" });
    assert.deepEqual(parseModelUri("models:/fraud/007"), { kind: "version", name: "fraud", version: "7" });
    assert.deepEqual(parseModelUri("models:/fraud/latest"), { kind: "latest", name: "fraud" });
    assert.deepEqual(parseModelUri("models:/fraud/LATEST"), { kind: "latest", name: "fraud" });
    assert.deepEqual(parseModelUri("models:/fraud/Production"), { kind: "stage", name: "fraud", stage: "Production" });
    assert.deepEqual(parseModelUri("models:/fraud/staging"), { kind: "stage", name: "fraud", stage: "staging" });
    assert.deepEqual(parseModelUri("models:/fraud@champion"), { kind: "alias", name: "fraud", alias: "champion" });
    assert.deepEqual(parseModelUri("models:/a@b@c"), { kind: "alias", name: "a@b", alias: "c" });
    assert.deepEqual(parseModelUri("models:/m-0123abcd"), { kind: "model-id", modelId: "m-0123abcd" });
    assert.deepEqual(parseModelUri("models:///fraud/2"), { kind: "version", name: "fraud", version: "2" });
  });

  test("refuses what is not a proper models:/ URI", () => {
    for (const bad of ["models:/", "models:", "models:/a/b/c", "models:/fraud/", "models:/ /1", "models:/@champion", "models:/fraud@", "models://host/fraud/1", "runs:/abc/model", "models:/fraud/1?x=y", "models:/f#1"]) {
      assert.throws(() => parseModelUri(bad), (e: unknown) => e instanceof MlflowError && e.errorCode === "INVALID_PARAMETER_VALUE" && /Not a proper models:\/ URI/.test(e.message), bad);
    }
  });
});

describe("resolveModelUri", () => {
  let stores: OpenedStores;
  let dir: { path: string; remove(): void };
  let runId: string;
  let experimentId: string;
  before(async () => {
    dir = tempDir();
    stores = await openStores(`sqlite:///${join(dir.path, "ciclo.db")}`, { defaultArtifactRoot: "mlflow-artifacts:/" });
    const r = stores.registry;
    await r.createRegisteredModel({ name: "fraud", description: null, tags: [] }, null);
    experimentId = await stores.tracking.createExperiment({ name: "e", tags: [] });
    runId = (await stores.tracking.createRun({ experimentId, userId: "u", runName: "r", startTime: 1, tags: [] })).info.runId;
    for (let i = 1; i <= 3; i++) {
      await r.createModelVersion(
        { name: "fraud", source: `s3://b/v${i}`, storageLocation: null, runId: null, runLink: null, description: null, modelId: null, tags: [] },
        null,
      );
    }
    await r.transitionModelVersionStage("fraud", "2", "Production", false, null);
    await r.setRegisteredModelAlias("fraud", "champion", "1", null);
  });
  after(async () => {
    await stores.tracking.close();
    dir.remove();
  });
  const resolve = (uri: string) => resolveModelUri(uri, modelUriRegistry(stores.registry), new StoreLoggedModelLookup(stores.loggedModels));
  const rejects = (uri: string, code: string, message: RegExp) =>
    assert.rejects(resolve(uri), (e: unknown) => e instanceof MlflowError && e.errorCode === code && message.test(e.message));

  test("version, stage (case-insensitive), latest and alias resolve to the version's download URI", async () => {
    assert.deepEqual(await resolve("models:/fraud/3"), { kind: "model-version", name: "fraud", version: "3", downloadUri: "s3://b/v3" });
    assert.deepEqual(await resolve("models:/fraud/production"), { kind: "model-version", name: "fraud", version: "2", downloadUri: "s3://b/v2" });
    assert.deepEqual(await resolve("models:/fraud/latest"), { kind: "model-version", name: "fraud", version: "3", downloadUri: "s3://b/v3" });
    assert.deepEqual(await resolve("models:/fraud@champion"), { kind: "model-version", name: "fraud", version: "1", downloadUri: "s3://b/v1" });
  });

  test("what does not resolve gets MLflow's errors", async () => {
    await rejects("models:/fraud/9", "RESOURCE_DOES_NOT_EXIST", /Model Version \(name=fraud, version=9\) not found/);
    await rejects("models:/fraud/Staging", "RESOURCE_DOES_NOT_EXIST", /No versions of model with name 'fraud' and stage 'Staging' found/);
    await rejects("models:/fraud/Live", "INVALID_PARAMETER_VALUE", /Invalid Model Version stage: Live/);
    await rejects("models:/fraud@nope", "INVALID_PARAMETER_VALUE", /Registered model alias nope not found/);
    await rejects("models:/ghost/latest", "RESOURCE_DOES_NOT_EXIST", /Registered Model with name=ghost not found/);
    await rejects("models:/m-00000000000000000000000000000000", "RESOURCE_DOES_NOT_EXIST", /Logged model with ID/);
  });

  test("a logged-model id resolves to the logged model's artifact URI", async () => {
    const lm = await stores.loggedModels.createLoggedModel({ experimentId, name: "m", modelType: null, sourceRunId: runId, params: [], tags: [] });
    assert.deepEqual(await resolve(`models:/${lm.info.modelId}`), { kind: "logged-model", modelId: lm.info.modelId, downloadUri: lm.info.artifactUri });
    await assert.rejects(resolveModelUri(`models:/${lm.info.modelId}`, modelUriRegistry(stores.registry)), /no logged-model store/);
  });
});
