/**
 * The registry client against a live server: registered models and versions
 * (create, get, rename, update, delete, search with paging, tags, aliases,
 * stages, latest versions, download URI), the audit history and lineage, and
 * `registerModel` with MLflow's semantics.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { InvalidParameterValueError, ResourceAlreadyExistsError, ResourceDoesNotExistError } from "../shared/errors.js";
import { startLiveTrackingServer, type LiveTrackingServer } from "../testing/live-tracking-server.js";
import { Ciclo } from "./fluent-session.js";
import { RegistryClient } from "./registry-client.js";
import { TrackingClient } from "./tracking-client.js";

describe("registry client", () => {
  let live: LiveTrackingServer;
  let registry: RegistryClient;
  let tracking: TrackingClient;
  let runId: string;

  before(async () => {
    live = await startLiveTrackingServer();
    // The actor in the audit history is the basic-auth user name (unverified until auth is on).
    registry = new RegistryClient({ trackingUri: live.url, env: {}, username: "alice", password: "x" });
    tracking = new TrackingClient({ trackingUri: live.url, env: {} });
    const c = new Ciclo({ trackingUri: live.url, env: {}, contextCapture: false });
    const run = await c.startRun({ runName: "trainer", tags: { "mlflow.source.git.commit": "c0ffee" } });
    c.logParam("lr", 0.1);
    c.logMetric("acc", 0.93);
    await c.logText("flavors: {}\n", "model/MLmodel");
    await c.endRun();
    runId = run.runId;
  });
  after(() => live.close());

  test("registered models: create, get, update, rename, tags, search with paging, delete", async () => {
    const created = await registry.createRegisteredModel("fraud", { tags: { team: "risk" }, description: "v0" });
    assert.deepEqual([created.name, created.description, created.tags], ["fraud", "v0", [{ key: "team", value: "risk" }]]);
    await assert.rejects(registry.createRegisteredModel("fraud"), ResourceAlreadyExistsError);
    assert.equal((await registry.updateRegisteredModel("fraud", { description: "card fraud" })).description, "card fraud");
    await registry.setRegisteredModelTag("fraud", "tier", "gold");
    await registry.deleteRegisteredModelTag("fraud", "team");
    assert.deepEqual((await registry.getRegisteredModel("fraud")).tags, [{ key: "tier", value: "gold" }]);
    for (const n of ["fraud-a", "fraud-b", "other"]) await registry.createRegisteredModel(n);
    const page = await registry.searchRegisteredModels({ filter: "name LIKE 'fraud%'", maxResults: 2, orderBy: ["name ASC"] });
    assert.deepEqual([page.items.map((m) => m.name), typeof page.nextPageToken], [["fraud", "fraud-a"], "string"]);
    const all: string[] = [];
    for await (const m of registry.iterateRegisteredModels({ filter: "name LIKE 'fraud%'", maxResults: 2 })) all.push(m.name);
    assert.deepEqual(all.sort(), ["fraud", "fraud-a", "fraud-b"]);
    const renamed = await registry.renameRegisteredModel("fraud-b", "fraud-c");
    assert.equal(renamed.name, "fraud-c");
    await registry.deleteRegisteredModel("fraud-c");
    await assert.rejects(registry.getRegisteredModel("fraud-c"), ResourceDoesNotExistError);
  });

  test("model versions: create, get, update, tags, aliases, stages, latest, download URI, search, delete", async () => {
    await registry.createRegisteredModel("churn");
    const v1 = await registry.createModelVersion("churn", `runs:/${runId}/model`, { runId, tags: { stage: "exp" }, description: "first" });
    const v2 = await registry.createModelVersion("churn", `runs:/${runId}/model`, { runId });
    assert.deepEqual([v1.version, v2.version, v1.status, v1.runId, v1.description], ["1", "2", "READY", runId, "first"]);
    assert.equal((await registry.updateModelVersion("churn", 1, { description: "baseline" })).description, "baseline");
    await registry.setModelVersionTag("churn", "1", "validated", "true");
    await registry.deleteModelVersionTag("churn", "1", "stage");
    assert.deepEqual((await registry.getModelVersion("churn", "1")).tags, [{ key: "validated", value: "true" }]);
    await registry.setRegisteredModelAlias("churn", "champion", 1);
    assert.deepEqual((await registry.getModelVersionByAlias("churn", "champion")).aliases, ["champion"]);
    await registry.setRegisteredModelAlias("churn", "champion", "2");
    assert.equal((await registry.getModelVersionByAlias("churn", "champion")).version, "2");
    await registry.deleteRegisteredModelAlias("churn", "champion");
    await assert.rejects(registry.getModelVersionByAlias("churn", "champion"), InvalidParameterValueError);
    await registry.transitionModelVersionStage("churn", "1", "Production");
    const moved = await registry.transitionModelVersionStage("churn", "2", "Production", true);
    assert.equal(moved.currentStage, "Production");
    assert.equal((await registry.getModelVersion("churn", "1")).currentStage, "Archived");
    assert.deepEqual((await registry.getLatestVersions("churn", ["Production"])).map((v) => v.version), ["2"]);
    assert.deepEqual((await registry.getLatestVersions("churn")).map((v) => [v.version, v.currentStage]).sort(), [["1", "Archived"], ["2", "Production"]]);
    // MLflow compat: a runs:/ source is the download URI as given (MLflow's storage_location for it).
    assert.equal(await registry.getModelVersionDownloadUri("churn", "2"), `runs:/${runId}/model`);
    const found = await registry.searchModelVersions({ filter: `name = 'churn' AND run_id = '${runId}'`, orderBy: ["version_number DESC"] });
    assert.deepEqual(found.items.map((v) => v.version), ["2", "1"]);
    await registry.deleteModelVersion("churn", 1);
    await assert.rejects(registry.getModelVersion("churn", 1), ResourceDoesNotExistError);
  });

  test("audit history pages newest first with the actor; lineage returns the run, params, metrics and code version", async () => {
    await registry.createRegisteredModel("audited");
    await registry.createModelVersion("audited", `runs:/${runId}/model`, { runId });
    await registry.setRegisteredModelAlias("audited", "champion", "1");
    await registry.setRegisteredModelTag("audited", "owner", "bob");
    const first = await registry.getRegisteredModelHistory("audited", { maxResults: 2 });
    assert.equal(first.items.length, 2);
    assert.ok(first.nextPageToken);
    const events = [];
    for await (const e of registry.iterateRegisteredModelHistory("audited", { maxResults: 2 })) events.push(e);
    assert.deepEqual(events.map((e) => [e.entity, e.action, e.key]), [
      ["registered_model_tag", "set", "owner"],
      ["registered_model_alias", "set", "champion"],
      ["model_version", "created", "source"],
      ["registered_model", "created", null],
    ]);
    assert.ok(events.every((e) => e.actor === "alice"));
    const lineage = await registry.getModelVersionLineage("audited", "1");
    assert.equal(lineage.run?.runId, runId);
    assert.deepEqual([lineage.params, lineage.metrics.map((m) => [m.key, m.value]), lineage.code.gitCommit], [[{ key: "lr", value: "0.1" }], [["acc", 0.93]], "c0ffee"]);
    assert.deepEqual(lineage.artifacts.map((f) => f.path), ["MLmodel"]);
    assert.equal(lineage.modelVersion.version, "1");
  });

  test("registerModel creates the model once, tolerates an existing one, and returns READY versions", async () => {
    const v1 = await registry.registerModel(`runs:/${runId}/model`, "registered");
    const v2 = await registry.registerModel(`runs:/${runId}/model`, "registered", { tags: { via: "sdk" }, description: "again" });
    assert.deepEqual([v1.version, v2.version, v1.status, v2.status, v1.runId], ["1", "2", "READY", "READY", runId]);
    assert.deepEqual([v2.tags, v2.description], [[{ key: "via", value: "sdk" }], "again"]);
    assert.equal((await registry.searchRegisteredModels({ filter: "name = 'registered'" })).items.length, 1);
    await assert.rejects(registry.registerModel("/etc/passwd", "registered"), InvalidParameterValueError);
    const history = await registry.getRegisteredModelHistory("registered");
    assert.equal(history.items.filter((e) => e.entity === "registered_model" && e.action === "created").length, 1);
    await tracking.getRun(runId); // the run is untouched by registration
  });
});
