/**
 * The generated Kubernetes objects validate against the Kubernetes OpenAPI
 * schemas (kubernetes-models, no cluster), and carry what a model server
 * needs: probes on the health routes, resources, a grace period covering the
 * preStop wait and the drain window, a Service selecting the pods and an HPA
 * on the Deployment. Also through the CLI, YAML parsed back.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { Service } from "kubernetes-models/v1/Service";
import YAML from "yaml";
import { runCiclo } from "../testing/child-server.js";
import { k8sManifests, PRESTOP_SECONDS } from "./k8s-manifests.js";

const opts = { name: "Fraud_Model", image: "registry.example.com/fraud:3", modelName: "fraud", modelVersion: "3", replicas: 2, cpu: "2", memory: "1Gi", minReplicas: 2, maxReplicas: 6, drainSeconds: 30 };

function validate(objects: Array<Record<string, unknown>>): void {
  const [d, s, h] = objects;
  new Deployment(d as never).validate();
  new Service(s as never).validate();
  new HorizontalPodAutoscaler(h as never).validate();
}

test("Deployment, Service and HPA validate against the Kubernetes schemas", () => {
  const objects = k8sManifests(opts);
  assert.deepEqual(objects.map((o) => o.kind), ["Deployment", "Service", "HorizontalPodAutoscaler"]);
  validate(objects);
});

test("the validator is strict: a malformed object is refused", () => {
  const [d] = k8sManifests(opts) as Array<{ spec: { replicas: unknown } }>;
  d.spec.replicas = "two";
  assert.throws(() => new Deployment(d as never).validate());
});

test("probes, resources, graceful termination, selectors", () => {
  const [d, s, h] = k8sManifests(opts) as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(d.metadata.name, "fraud-model");
  const pod = d.spec.template.spec;
  const c = pod.containers[0];
  assert.equal(c.readinessProbe.httpGet.path, "/v2/health/ready");
  assert.equal(c.livenessProbe.httpGet.path, "/v2/health/live");
  assert.equal(c.startupProbe.httpGet.path, "/v2/health/ready");
  assert.equal(c.ports[0].containerPort, 8080);
  assert.deepEqual(c.resources, { requests: { cpu: "2", memory: "1Gi" }, limits: { memory: "1Gi" } });
  assert.ok(pod.terminationGracePeriodSeconds >= PRESTOP_SECONDS + opts.drainSeconds);
  assert.ok(c.lifecycle.preStop.exec.command.length > 0);
  assert.deepEqual(c.env.find((e: { name: string }) => e.name === "CICLO_DRAIN_SECONDS"), { name: "CICLO_DRAIN_SECONDS", value: "30" });
  assert.deepEqual(c.env.find((e: { name: string }) => e.name === "CICLO_WORKERS"), { name: "CICLO_WORKERS", value: "1" });
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.deepEqual(s.spec.selector, d.spec.selector.matchLabels);
  for (const [k, v] of Object.entries(d.spec.selector.matchLabels)) assert.equal(d.spec.template.metadata.labels[k], v);
  assert.deepEqual(h.spec.scaleTargetRef, { apiVersion: "apps/v1", kind: "Deployment", name: "fraud-model" });
  assert.equal(h.spec.minReplicas, 2);
  assert.equal(h.spec.maxReplicas, 6);
});

test("ciclo models k8s prints valid YAML; bad flags are usage errors", async () => {
  // An alias is resolved through the registry (models-k8s-command.test.ts); a version number needs no server.
  const r = await runCiclo(["models", "k8s", "-m", "models:/fraud/3", "--cpu", "500m", "--memory", "512Mi", "--max-replicas", "4", "--namespace", "ml"]);
  assert.equal(r.code, 0, r.stderr);
  const docs = YAML.parseAllDocuments(r.stdout).map((d) => d.toJS() as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(docs.length, 3);
  validate(docs);
  assert.equal(docs[0].metadata.namespace, "ml");
  assert.equal(docs[0].spec.template.spec.containers[0].image, "fraud:3");
  assert.equal(docs[0].metadata.labels["ciclo.dev/model-version"], "3");
  const bad = await runCiclo(["models", "k8s", "-m", "models:/fraud/1", "--min-replicas", "5", "--max-replicas", "2"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /below --min-replicas/);
  const badCpu = await runCiclo(["models", "k8s", "-m", "models:/fraud/1", "--cpu", "lots"]);
  assert.equal(badCpu.code, 2);
});
