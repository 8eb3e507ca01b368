/**
 * The kubernetes target against the in-test API stand-in
 * (testing/k8s-api-stand-in.ts: server-side apply with field managers and
 * conflicts, list and watch with resourceVersions, bookmarks and 410 Gone,
 * objects validated against the Kubernetes schemas):
 * - the objects of a deployment validate and carry its labels; the HPA owns
 *   the replica count;
 * - apply creates them with `application/apply-patch+yaml`, fieldManager
 *   ciclo; a re-apply changes them and removes what ciclo no longer sets;
 * - another manager's change is taken back with force, and reported as a
 *   409 conflict without it;
 * - status read back by watch: ready replicas (the Service becomes the
 *   router's URL), pod restarts and last termination, Warning events;
 * - watches survive their end (re-watch from the resourceVersion), a
 *   compacted history (410 → re-list, a deletion missed meanwhile seen), and
 *   bookmarks spare a re-list;
 * - deletion deletes the three objects; a bad token is a clear error.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { KubeConfig } from "@kubernetes/client-node";
import { Deployment as K8sDeployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { Service } from "kubernetes-models/v1/Service";
import { KubernetesApiStandIn, type Obj } from "../../testing/k8s-api-stand-in.js";
import { waitFor } from "../../testing/wait-for.js";
import type { Deployment } from "../endpoints/endpoint-types.js";
import { kubernetesObjects, objectName } from "./k8s-deployment-objects.js";
import { KubernetesTarget } from "./kubernetes-target.js";

const NS = "ml";
const dep = (over: Partial<Deployment> = {}): Deployment => ({
  endpoint: "fraud",
  name: "blue",
  modelUri: "models:/fraud/3",
  modelName: "fraud",
  modelVersion: "3",
  target: "kubernetes",
  replicas: 2,
  env: { LOG_LEVEL: "debug" },
  createdAt: 0,
  updatedAt: 0,
  ...over,
});
const OBJ_OPTS = { namespace: NS, imageTemplate: "registry.example.com/models/{model}:{version}" };

test("a deployment's objects validate against the Kubernetes schemas and carry its labels", () => {
  const [d, s, h] = kubernetesObjects(dep(), { ...OBJ_OPTS, extraEnv: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://c:4318/v1/traces" } });
  new K8sDeployment(d as never).validate();
  new Service(s as never).validate();
  new HorizontalPodAutoscaler(h as never).validate();
  for (const o of [d, s, h]) {
    assert.equal(o.metadata.name, "fraud-blue");
    assert.equal(o.metadata.namespace, NS);
    assert.equal(o.metadata.labels["ciclo.dev/endpoint"], "fraud");
    assert.equal(o.metadata.labels["ciclo.dev/deployment"], "blue");
  }
  assert.equal(d.spec.replicas, undefined, "the HPA sets the replica count");
  assert.equal(h.spec.minReplicas, 2);
  assert.equal(h.spec.maxReplicas, 6);
  assert.equal(d.spec.template.metadata.labels["ciclo.dev/deployment"], "blue");
  const c = d.spec.template.spec.containers[0];
  assert.equal(c.image, "registry.example.com/models/fraud:3");
  assert.deepEqual(c.env.find((e: Obj) => e.name === "LOG_LEVEL"), { name: "LOG_LEVEL", value: "debug" });
  assert.ok(c.env.some((e: Obj) => e.name === "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"));
  // Names past a DNS label's 63 characters are shortened with a hash, distinct per deployment.
  const long = "a".repeat(40);
  const n1 = objectName(long, `${"b".repeat(39)}1`);
  const n2 = objectName(long, `${"b".repeat(39)}2`);
  assert.ok(n1.length <= 63 && n2.length <= 63);
  assert.notEqual(n1, n2);
  new K8sDeployment(kubernetesObjects(dep({ endpoint: long, name: `${"b".repeat(39)}1` }), OBJ_OPTS)[0] as never).validate();
  assert.throws(() => kubernetesObjects(dep({ name: "c".repeat(64) }), OBJ_OPTS), /Kubernetes labels allow 63/);
});

describe("kubernetes target against the API stand-in", () => {
  let api: KubernetesApiStandIn;
  let target: KubernetesTarget;
  const changes: string[] = [];
  const logs: string[] = [];
  const make = (over: { force?: boolean; token?: string; maxReplicasFactor?: number } = {}) => {
    const kc = new KubeConfig();
    kc.loadFromString(over.token ? api.kubeconfig(NS).replace(api.token, over.token) : api.kubeconfig(NS));
    return new KubernetesTarget({ ...OBJ_OPTS, kubeConfig: kc, force: over.force, maxReplicasFactor: over.maxReplicasFactor, onChange: (e) => changes.push(e), log: (m, f) => logs.push(`${m} ${JSON.stringify(f)}`), retryMs: 50 });
  };
  const requests = (method: string, pathPart: string) => api.requests.filter((r) => r.method === method && r.url.includes(pathPart));
  const lists = () => api.requests.filter((r) => r.method === "GET" && !r.url.includes("watch=") && /\/(deployments|pods|events)(\?|$)/.test(r.url)).length;

  before(async () => {
    api = await KubernetesApiStandIn.start();
    target = make();
    await target.start();
    assert.equal(api.openWatches, 3);
  });
  after(async () => {
    await target.stop();
    await api.close();
  });

  test("apply: three objects by server-side apply, field manager ciclo, forced", async () => {
    await target.apply(dep());
    const all = requests("PATCH", "/namespaces/ml/");
    assert.equal(all.length, 6, "a dry run of the three, then the three");
    assert.ok(all.slice(0, 3).every((p) => p.url.includes("dryRun=All")));
    const patches = all.slice(3);
    for (const p of patches) {
      assert.equal(p.contentType, "application/apply-patch+yaml");
      const q = new URL(p.url, "http://x").searchParams;
      assert.equal(q.get("fieldManager"), "ciclo");
      assert.equal(q.get("force"), "true");
    }
    assert.deepEqual(patches.map((p) => new URL(p.url, "http://x").pathname), [
      "/apis/apps/v1/namespaces/ml/deployments/fraud-blue",
      "/api/v1/namespaces/ml/services/fraud-blue",
      "/apis/autoscaling/v2/namespaces/ml/horizontalpodautoscalers/fraud-blue",
    ]);
    const d = api.get("Deployment", NS, "fraud-blue")!;
    assert.equal(d.spec.template.spec.containers[0].image, "registry.example.com/models/fraud:3");
    assert.deepEqual(d.metadata.managedFields.map((m: Obj) => m.manager), ["ciclo"]);
    assert.ok(api.get("Service", NS, "fraud-blue"));
    assert.equal(api.get("HorizontalPodAutoscaler", NS, "fraud-blue")!.spec.minReplicas, 2);
    assert.deepEqual(target.deployments(), [{ endpoint: "fraud", name: "blue" }]);
  });

  test("re-apply: a new version and replicas change the objects; an env var ciclo no longer sets is removed", async () => {
    await target.apply(dep({ modelVersion: "4", replicas: 3, env: {} }));
    const d = api.get("Deployment", NS, "fraud-blue")!;
    const c = d.spec.template.spec.containers[0];
    assert.equal(c.image, "registry.example.com/models/fraud:4");
    assert.equal(c.env.find((e: Obj) => e.name === "LOG_LEVEL"), undefined);
    assert.equal(d.metadata.labels["ciclo.dev/model-version"], "4");
    assert.equal(api.get("HorizontalPodAutoscaler", NS, "fraud-blue")!.spec.minReplicas, 3);
  });

  test("another manager's change: a conflict without force (reported in the health), taken back with force", async () => {
    const edited = api.get("Deployment", NS, "fraud-blue")!;
    const r = api.applyAs("kubectl-edit", { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "fraud-blue", namespace: NS }, spec: { template: { spec: { terminationGracePeriodSeconds: 99 } } } }, true);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(api.get("Deployment", NS, "fraud-blue")!.spec.template.spec.terminationGracePeriodSeconds, 99);
    assert.notEqual(edited.spec.template.spec.terminationGracePeriodSeconds, 99);

    const polite = make({ force: false });
    await assert.rejects(polite.apply(dep({ modelVersion: "4", replicas: 3, env: {} })), /HTTP 409: Apply failed with 1 conflict: conflict with "kubectl-edit": \.spec\.template\.spec\.terminationGracePeriodSeconds/);
    assert.match(polite.summary("fraud", "blue", 3).applyError ?? "", /conflict with "kubectl-edit"/);
    assert.equal(api.get("Deployment", NS, "fraud-blue")!.spec.template.spec.terminationGracePeriodSeconds, 99, "nothing applied");

    await target.apply(dep({ modelVersion: "4", replicas: 3, env: {} }));
    const d = api.get("Deployment", NS, "fraud-blue")!;
    assert.equal(d.spec.template.spec.terminationGracePeriodSeconds, edited.spec.template.spec.terminationGracePeriodSeconds);
    assert.deepEqual(d.metadata.managedFields.map((m: Obj) => m.manager), ["ciclo"]);
    assert.equal(target.summary("fraud", "blue", 3).applyError, undefined);
  });

  test("an object the API refuses (422: the HPA's maxReplicas not an integer) leaves the others unchanged (dry run first)", async () => {
    const before = api.get("Deployment", NS, "fraud-blue")!;
    const misconfigured = make({ maxReplicasFactor: 0.5 });
    await assert.rejects(misconfigured.apply(dep({ modelVersion: "5", replicas: 3, env: {} })), /HTTP 422: HorizontalPodAutoscaler.*is invalid/);
    assert.deepEqual(api.get("Deployment", NS, "fraud-blue"), before, "the Deployment, applied before the HPA, is unchanged");
    const dry = requests("PATCH", "dryRun=All");
    assert.ok(dry.length >= 3);
  });

  const pod = (name: string, over: Obj = {}): Obj => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: NS, labels: { "ciclo.dev/endpoint": "fraud", "ciclo.dev/deployment": "blue", "app.kubernetes.io/name": "fraud-blue" } },
    spec: { containers: [{ name: "model-server", image: "x" }] },
    status: { phase: "Running", podIP: "10.0.0.7", startTime: "2026-01-01T00:00:00Z", conditions: [{ type: "Ready", status: "True" }], containerStatuses: [{ name: "model-server", ready: true, restartCount: 0, image: "x", imageID: "", state: { running: {} } }] },
    ...over,
  });

  test("status by watch: ready replicas open the Service to the router; restarts, last exit and Warning events reach the health", async () => {
    assert.deepEqual(target.readyUrls("fraud", "blue"), [], "no ready replica yet");
    api.setStatus("Deployment", NS, "fraud-blue", { replicas: 3, readyReplicas: 2, updatedReplicas: 3 });
    await waitFor(() => target.readyUrls("fraud", "blue"), (u) => u.length === 1, { what: "the ready Deployment seen by the watch" });
    assert.deepEqual(target.readyUrls("fraud", "blue"), ["http://fraud-blue.ml.svc:80"]);
    assert.ok(changes.includes("fraud"));

    api.put(pod("fraud-blue-a"));
    api.put(
      pod("fraud-blue-b", {
        status: {
          phase: "Running",
          conditions: [{ type: "Ready", status: "False" }],
          containerStatuses: [{ name: "model-server", ready: false, restartCount: 3, image: "x", imageID: "", state: { waiting: { reason: "CrashLoopBackOff" } }, lastState: { terminated: { reason: "OOMKilled", exitCode: 137, finishedAt: "2026-01-01T00:05:00Z" } } }],
        },
      }),
    );
    api.put({ apiVersion: "v1", kind: "Event", metadata: { name: "ev1", namespace: NS }, type: "Warning", reason: "BackOff", message: "Back-off restarting failed container", count: 4, involvedObject: { kind: "Pod", name: "fraud-blue-b", namespace: NS }, lastTimestamp: "2026-01-01T00:06:00Z" });
    api.put({ apiVersion: "v1", kind: "Event", metadata: { name: "ev2", namespace: NS }, type: "Normal", reason: "Pulled", message: "pulled", involvedObject: { kind: "Pod", name: "fraud-blue-a", namespace: NS } });
    const s = await waitFor(() => target.summary("fraud", "blue", 3), (x) => x.replicas.length === 2 && x.events.length === 1, { what: "pods and the Warning event seen by the watches" });
    assert.equal(s.ready, 2);
    assert.equal(s.desired, 3);
    assert.equal(s.restarts, 3);
    assert.deepEqual(s.replicas.map((r) => [r.name, r.state]), [["fraud-blue-a", "ready"], ["fraud-blue-b", "restarting"]]);
    assert.equal(s.replicas[1].lastExit, "OOMKilled (code 137) at 2026-01-01T00:05:00.000Z");
    assert.match(s.events[0], /Pod\/fraud-blue-b BackOff: Back-off restarting failed container \(×4\)/);
  });

  test("a watch the server ends is resumed from its resourceVersion (no re-list)", async () => {
    const listed = lists();
    api.closeWatches();
    await waitFor(() => api.openWatches, (n) => n === 3, { what: "three watches again" });
    api.setStatus("Deployment", NS, "fraud-blue", { replicas: 3, readyReplicas: 3 });
    await waitFor(() => target.summary("fraud", "blue", 3).ready, (n) => n === 3, { what: "the change after the re-watch" });
    assert.equal(lists(), listed);
  });

  test("bookmarks keep a quiet watch's resourceVersion fresh: after a compaction it resumes without a re-list", async () => {
    // Changes the target does not watch move the resourceVersion past what its watches last saw.
    for (let i = 0; i < 3; i++) api.applyAs("someone", { apiVersion: "v1", kind: "Service", metadata: { name: `other-${i}`, namespace: NS }, spec: { ports: [{ port: 80 }] } });
    api.bookmark();
    await waitFor(() => target.watchVersions(), (v) => v.every((x) => x === api.get("Service", NS, "other-2")!.metadata.resourceVersion), { what: "every watch at the bookmark's resourceVersion" });
    const listed = lists();
    api.compact();
    api.closeWatches();
    await waitFor(() => api.openWatches, (n) => n === 3, { what: "three watches again" });
    assert.equal(lists(), listed, "no re-list");
  });

  test("410 Gone after a compaction: the watch re-lists, and sees a deletion that happened meanwhile", async () => {
    api.applyAs("someone", { apiVersion: "v1", kind: "Service", metadata: { name: "other-9", namespace: NS }, spec: { ports: [{ port: 80 }] } });
    const listed = lists();
    api.compact();
    api.closeWatches();
    api.remove("Pod", NS, "fraud-blue-b");
    const s = await waitFor(() => target.summary("fraud", "blue", 3), (x) => x.replicas.length === 1, { what: "the deleted pod gone after the re-list" });
    assert.equal(s.replicas[0].name, "fraud-blue-a");
    assert.ok(lists() > listed, "re-listed");
    await waitFor(() => api.openWatches, (n) => n === 3, { what: "three watches again" });
  });

  test("remove deletes the three objects; removing an unknown deployment calls nothing", async () => {
    await target.remove("fraud", "blue");
    assert.equal(api.get("Deployment", NS, "fraud-blue"), undefined);
    assert.equal(api.get("Service", NS, "fraud-blue"), undefined);
    assert.equal(api.get("HorizontalPodAutoscaler", NS, "fraud-blue"), undefined);
    await waitFor(() => target.deployments(), (d) => d.length === 0, { what: "the watch to see the Deployment gone" });
    assert.deepEqual(target.readyUrls("fraud", "blue"), []);
    const before = api.requests.length;
    await target.remove("fraud", "never");
    assert.equal(api.requests.length, before);
  });

  test("a kubeconfig with a wrong token: apply fails with the API's 401", async () => {
    const bad = make({ token: "wrong" });
    await assert.rejects(bad.apply(dep({ name: "green" })), /HTTP 401/);
    assert.equal(api.get("Deployment", NS, "fraud-green"), undefined);
  });
});
