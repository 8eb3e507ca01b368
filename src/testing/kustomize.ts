/**
 * deploy/kubernetes rendered as a cluster would receive it, without a cluster:
 * `kubectl kustomize` (the kubectl scripts/kubectl.sh finds or installs) and
 * the official Kubernetes schemas (kubernetes-models) to validate each object.
 * Shared by the manifests and the components tests.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { Ingress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { Role } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import YAML from "yaml";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** deploy/kubernetes in this checkout. */
export const K8S_DIR = join(ROOT, "deploy/kubernetes");

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type K8sObject = Record<string, any>;

/** The schema of each kind deploy/kubernetes renders, by `apiVersion/kind`. */
const MODELS: Record<string, new (o: never) => { validate(): void }> = {
  "v1/ServiceAccount": ServiceAccount,
  "v1/ConfigMap": ConfigMap,
  "v1/Service": Service,
  "v1/PersistentVolumeClaim": PersistentVolumeClaim,
  "apps/v1/Deployment": Deployment,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "networking.k8s.io/v1/Ingress": Ingress,
  "rbac.authorization.k8s.io/v1/Role": Role,
  "rbac.authorization.k8s.io/v1/RoleBinding": RoleBinding,
};

/** The kubectl to render with; undefined (the suite skips, saying so) when there is none, unless CICLO_REQUIRE_ALL=1. */
export async function findKubectl(suite: string): Promise<string | undefined> {
  try {
    return (await run("bash", [join(ROOT, "scripts/kubectl.sh"), "path"])).stdout.trim();
  } catch (err) {
    const reason = `no kubectl 1.24+ (${(err as { stderr?: string }).stderr?.trim() ?? String(err)})`;
    if (process.env.CICLO_REQUIRE_ALL === "1") throw new Error(`${reason} (CICLO_REQUIRE_ALL=1 forbids skipping)`);
    console.log(`# SKIP ${suite}: ${reason}`);
    return undefined;
  }
}

/** `kubectl kustomize <dir>`, parsed into its objects. */
export async function renderKustomization(kubectl: string, dir: string): Promise<K8sObject[]> {
  const { stdout } = await run(kubectl, ["kustomize", dir], { maxBuffer: 16 * 1024 * 1024 });
  return YAML.parseAllDocuments(stdout).map((d) => d.toJS() as K8sObject);
}

/** Validates an object against its kind's official schema; throws for a kind without one, or an invalid object. */
export function validateK8sObject(o: K8sObject): void {
  const Model = MODELS[`${o.apiVersion}/${o.kind}`];
  if (!Model) throw new Error(`no schema for ${o.apiVersion}/${o.kind}`);
  new Model(o as never).validate();
}
