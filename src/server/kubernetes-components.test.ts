/**
 * deploy/kubernetes's optional components for managed deployments, rendered
 * by `kubectl kustomize` on top of an overlay and validated against the
 * Kubernetes schemas (kubernetes-models, no cluster):
 * - `kubernetes-target`: the server's Role grants exactly what the kubernetes
 *   target does (server-side apply = patch, delete, list/watch; pods and
 *   events read-only), bound to the server's service account, whose token is
 *   mounted; the server learns its namespace (CICLO_K8S_NAMESPACE, read by
 *   `ciclo server`) and may reach the API server and the model servers;
 * - `gateway`: `ciclo gateway` as its own Deployment, Service, HPA and
 *   disruption budget, its flags ones the real command accepts, reading the
 *   route table from the server's Service, allowed to reach it and the model
 *   servers.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, before, describe, test } from "node:test";
import { Command } from "commander";
import YAML from "yaml";
import { registerGatewayCommand } from "../cli/commands/gateway-command.js";
import { registerServerCommand } from "../cli/commands/server-command.js";
import { findKubectl, K8S_DIR, renderKustomization, validateK8sObject, type K8sObject } from "../testing/kustomize.js";

const K8S = K8S_DIR;
type Obj = K8sObject;

/** The long flags a CLI command accepts. */
function flagsOf(register: (p: Command) => void, name: string): Set<string> {
  const program = new Command();
  register(program);
  const cmd = program.commands.find((c) => c.name() === name)!;
  return new Set(cmd.options.map((o) => o.long!).filter(Boolean));
}

describe("deploy/kubernetes components: kubernetes-target and gateway", () => {
  let kubectl: string | undefined;
  let dir: string | undefined;
  let objs: Obj[] = [];
  const find = (kind: string, name: string) => {
    const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
    assert.ok(o, `${kind} ${name} rendered`);
    return o;
  };

  before(async () => {
    kubectl = await findKubectl("kubernetes component tests");
    if (!kubectl) return;
    dir = mkdtempSync(join(tmpdir(), "ciclo-k8s-components-"));
    writeFileSync(
      join(dir, "kustomization.yaml"),
      YAML.stringify({
        apiVersion: "kustomize.config.k8s.io/v1beta1",
        kind: "Kustomization",
        resources: [relative(dir, join(K8S, "overlays/postgres-s3"))],
        components: [relative(dir, join(K8S, "components/kubernetes-target")), relative(dir, join(K8S, "components/gateway"))],
      }),
    );
    objs = await renderKustomization(kubectl, dir);
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  test("every object validates against the Kubernetes schemas", (t) => {
    if (!kubectl) return t.skip("no kubectl");
    for (const o of objs) {
      validateK8sObject(o);
    }
  });

  test("the Role covers what the target does and no more; bound to the server's account, whose token is mounted", (t) => {
    if (!kubectl) return t.skip("no kubectl");
    const role = find("Role", "ciclo-deployments");
    const verbsOf = (group: string, resource: string) => new Set(role.rules.filter((r: Obj) => r.apiGroups.includes(group) && r.resources.includes(resource)).flatMap((r: Obj) => r.verbs));
    for (const [group, resource] of [["apps", "deployments"], ["", "services"], ["autoscaling", "horizontalpodautoscalers"]]) {
      const v = verbsOf(group, resource);
      for (const need of ["patch", "delete", "list", "watch"]) assert.ok(v.has(need), `${resource}: ${need}`);
      assert.ok(!v.has("*") && !v.has("deletecollection") && !v.has("escalate"));
    }
    for (const resource of ["pods", "events"]) assert.deepEqual([...verbsOf("", resource)].sort(), ["get", "list", "watch"]);
    // Secrets: written (a deployment's env naming a ciclo secret becomes its Secret), never read back or listed.
    assert.deepEqual([...verbsOf("", "secrets")].sort(), ["create", "delete", "patch"]);
    assert.ok(!role.rules.some((r: Obj) => r.resources.includes("*")), "no wildcards");
    const binding = find("RoleBinding", "ciclo-deployments");
    const server = find("Deployment", "ciclo-server");
    const pod = server.spec.template.spec;
    assert.deepEqual(binding.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "ciclo-deployments" });
    assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: pod.serviceAccountName }]);
    assert.equal(pod.automountServiceAccountToken, true, "the in-cluster config needs the account's token");
    const env = pod.containers[0].env as Obj[];
    assert.deepEqual(env.find((e) => e.name === "CICLO_K8S_NAMESPACE")?.valueFrom, { fieldRef: { fieldPath: "metadata.namespace" } });
    assert.match(env.find((e) => e.name === "CICLO_K8S_IMAGE")?.value, /\{model\}.*\{version\}/);
    // The gateway's pods are not given the token.
    assert.equal(find("Deployment", "ciclo-gateway").spec.template.spec.automountServiceAccountToken, false);
  });

  test("the gateway: flags `ciclo gateway` accepts, the server's Service as route table, probes on /health, a Service on its port", (t) => {
    if (!kubectl) return t.skip("no kubectl");
    const gw = find("Deployment", "ciclo-gateway");
    const c = gw.spec.template.spec.containers[0];
    assert.equal(c.args[0], "gateway");
    const accepted = flagsOf(registerGatewayCommand, "gateway");
    for (const a of c.args.slice(1) as string[]) if (a.startsWith("--")) assert.ok(accepted.has(a), `ciclo gateway accepts ${a}`);
    const server = find("Service", "ciclo-server");
    const uri = new URL(c.args[c.args.indexOf("--tracking-uri") + 1]);
    assert.equal(uri.hostname, server.metadata.name);
    assert.equal(Number(uri.port), server.spec.ports[0].port);
    assert.equal(String(c.args[c.args.indexOf("--port") + 1]), String(c.ports[0].containerPort));
    assert.equal(c.readinessProbe.httpGet.path, "/health");
    const svc = find("Service", "ciclo-gateway");
    for (const [k, v] of Object.entries(svc.spec.selector)) assert.equal(gw.spec.template.metadata.labels[k], v);
    assert.equal(svc.spec.ports[0].targetPort, "http");
    assert.deepEqual(find("HorizontalPodAutoscaler", "ciclo-gateway").spec.scaleTargetRef, { apiVersion: "apps/v1", kind: "Deployment", name: "ciclo-gateway" });
    // The server's flags stay ones `ciclo server` accepts (the component adds env, not flags).
    const serverFlags = flagsOf(registerServerCommand, "server");
    assert.ok(serverFlags.has("--k8s-namespace") && serverFlags.has("--k8s-image"));
  });

  test("network policies: the gateway reaches the server and the model servers; the server reaches the API server and the model servers", (t) => {
    if (!kubectl) return t.skip("no kubectl");
    const gw = find("NetworkPolicy", "ciclo-gateway");
    const ports = (np: Obj) => np.spec.egress.flatMap((e: Obj) => e.ports.map((p: Obj) => p.port));
    assert.ok(ports(gw).includes(5000) && ports(gw).includes(8080) && ports(gw).includes(53));
    const modelPeer = gw.spec.egress.find((e: Obj) => e.ports.some((p: Obj) => p.port === 8080)).to[0].podSelector.matchExpressions[0];
    assert.deepEqual(modelPeer, { key: "ciclo.dev/deployment", operator: "Exists" });
    const srv = find("NetworkPolicy", "ciclo-server-kubernetes-target");
    assert.ok(ports(srv).includes(443) && ports(srv).includes(6443) && ports(srv).includes(8080));
  });
});
