/**
 * Deployments with `target: kubernetes` through ciclo's API, the Kubernetes
 * API played by the in-test stand-in (testing/k8s-api-stand-in.ts): creating
 * one applies its Deployment, Service and HPA; the cluster's status (ready
 * replicas, pods, Warning events) becomes the deployment's health; once ready
 * the router sends the endpoint's requests to its Service — here the address
 * of a real scoring server on loopback, where a cluster would give the
 * Service's DNS name — and deleting the deployment deletes the objects.
 * A server without a cluster refuses the target with a hint.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { resolveModelSource } from "../serving/model-source.js";
import { scoringOptions } from "../serving/online/scoring-options.js";
import { startScoringServer, type ScoringServer } from "../serving/online/scoring-server.js";
import { KubernetesApiStandIn } from "../testing/k8s-api-stand-in.js";
import { linearModel } from "../testing/model-fixtures.js";
import { tempDir } from "../testing/temp-dir.js";
import { openTestApp, testModules, type TestApp } from "../testing/test-app.js";
import { waitFor } from "../testing/wait-for.js";
import { deploymentsModule } from "./http/deployments-module.js";

const CICLO = { prefix: "/api/ciclo/v1" };
const NS = "models";

describe("the kubernetes target through the deployments API", () => {
  const tmp = tempDir("ciclo-k8s-deploy-");
  let api: KubernetesApiStandIn;
  let fx: TestApp;
  let scoring: ScoringServer;

  before(async () => {
    api = await KubernetesApiStandIn.start();
    const model = await linearModel(tmp.path);
    scoring = await startScoringServer(scoringOptions({ modelUri: model, port: 0, workers: 1, modelName: "fraud", modelVersion: "1" }), await resolveModelSource(model, {}), () => undefined);
    await scoring.ready;
    const kubernetes = { namespace: NS, imageTemplate: "registry.example.com/{model}:{version}", kubeconfig: api.kubeconfig(NS), serviceUrl: () => scoring.url };
    fx = await openTestApp({ modules: testModules().map((m) => (m.id === "deployments" ? deploymentsModule({ kubernetes }) : m)) });
    const { runId } = await fx.createRunInfo();
    await fx.call("POST", "/registered-models/create", { name: "fraud" });
    assert.equal((await fx.call("POST", "/model-versions/create", { name: "fraud", source: `runs:/${runId}/model` })).status, 200);
    assert.equal((await fx.call("POST", "/endpoints", { name: "scoring" }, CICLO)).status, 200);
  });
  after(async () => {
    await fx.close();
    await scoring.drain();
    await api.close();
    tmp.remove();
  });

  test("create → objects applied; cluster status → health; ready → the router answers through the Service; endpoint deleted → objects deleted", async () => {
    const created = await fx.call("POST", "/endpoints/scoring/deployments", { name: "blue", model_uri: "models:/fraud/1", target: "kubernetes", replicas: 2 }, CICLO);
    assert.equal(created.status, 200, created.text);
    assert.equal(created.json.deployment.target, "kubernetes");
    const d = await waitFor(() => api.get("Deployment", NS, "scoring-blue"), (x) => x !== undefined, { what: "the Deployment applied" });
    assert.equal(d!.spec.template.spec.containers[0].image, "registry.example.com/fraud:1");
    await waitFor(() => api.get("HorizontalPodAutoscaler", NS, "scoring-blue"), (x) => x !== undefined, { what: "the HPA applied" });
    assert.ok(api.get("Service", NS, "scoring-blue"));

    // Not ready yet: the endpoint says so.
    const early = await fx.request("POST", "/endpoints/scoring/invocations", JSON.stringify({ inputs: [[1, 2, 3]] }), { "content-type": "application/json" });
    assert.equal(early.status, 503);

    api.setStatus("Deployment", NS, "scoring-blue", { replicas: 2, readyReplicas: 2 });
    const labels = { "ciclo.dev/endpoint": "scoring", "ciclo.dev/deployment": "blue" };
    api.put({ apiVersion: "v1", kind: "Pod", metadata: { name: "scoring-blue-x1", namespace: NS, labels }, status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }], containerStatuses: [{ restartCount: 1, lastState: { terminated: { reason: "Error", exitCode: 1 } } }] } });
    api.put({ apiVersion: "v1", kind: "Pod", metadata: { name: "scoring-blue-x2", namespace: NS, labels }, status: { phase: "Pending", conditions: [] } });
    api.put({ apiVersion: "v1", kind: "Event", metadata: { name: "e1", namespace: NS }, type: "Warning", reason: "FailedScheduling", message: "0/3 nodes are available: insufficient cpu", involvedObject: { kind: "Pod", name: "scoring-blue-x2" } });

    const health = await waitFor(
      async () => (await fx.call("GET", "/endpoints/scoring/deployments/blue", undefined, CICLO)).json.deployment.health,
      (h) => h.replicas.length === 2 && (h.events ?? []).length === 1,
      { what: "the cluster's status in the deployment's health" },
    );
    assert.equal(health.ready_replicas, 2);
    assert.equal(health.desired_replicas, 2);
    assert.equal(health.restarts, 1);
    assert.deepEqual(health.replicas.map((r: { name: string; state: string }) => [r.name, r.state]), [["scoring-blue-x1", "ready"], ["scoring-blue-x2", "starting"]]);
    assert.match(health.events[0], /FailedScheduling: 0\/3 nodes are available/);

    const routes = await fx.call("GET", "/endpoints-routes", undefined, CICLO);
    assert.deepEqual(routes.json.endpoints[0].deployments[0].urls, [scoring.url]);
    const res = await fx.request("POST", "/endpoints/scoring/invocations", JSON.stringify({ inputs: [[1, 2, 3]] }), { "content-type": "application/json" });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers["ciclo-deployment"], "blue");
    assert.ok(JSON.parse(res.text).predictions !== undefined, res.text);

    const logs = await fx.call("GET", "/endpoints/scoring/deployments/blue/logs", undefined, CICLO);
    assert.match(JSON.stringify(logs.json), /kubectl logs -n models -l ciclo.dev\/endpoint=scoring,ciclo.dev\/deployment=blue/);

    // The deployment takes all traffic, so it goes with its endpoint.
    assert.equal((await fx.call("DELETE", "/endpoints/scoring", undefined, CICLO)).status, 200);
    await waitFor(() => ["Deployment", "Service", "HorizontalPodAutoscaler"].map((k) => api.get(k, NS, "scoring-blue")), (xs) => xs.every((x) => x === undefined), { what: "the three objects deleted" });
  });

  test("a server without a Kubernetes target refuses it, saying how to configure one", async () => {
    const plain = await openTestApp();
    try {
      await plain.call("POST", "/registered-models/create", { name: "fraud" });
      const { runId } = await plain.createRunInfo();
      await plain.call("POST", "/model-versions/create", { name: "fraud", source: `runs:/${runId}/model` });
      await plain.call("POST", "/endpoints", { name: "e" }, CICLO);
      const r = await plain.call("POST", "/endpoints/e/deployments", { name: "blue", model_uri: "models:/fraud/1", target: "kubernetes" }, CICLO);
      assert.equal(r.status, 400);
      assert.equal(r.json.error_code, "INVALID_PARAMETER_VALUE");
      assert.match(r.json.message, /--k8s-namespace/);
      assert.deepEqual((await plain.call("GET", "/endpoints/e", undefined, CICLO)).json.endpoint.deployments, []);
    } finally {
      await plain.close();
    }
  });
});
