/**
 * The Kubernetes objects of one managed deployment under the `kubernetes`
 * target: the Deployment, Service and HorizontalPodAutoscaler that
 * `ciclo models k8s` writes (k8s-manifests.ts: probes on the health routes,
 * graceful drain, resources, non-root), labelled with the endpoint and
 * deployment they serve so the target can find, watch and delete them.
 *
 * The HPA owns the replica count: the applied Deployment leaves
 * `spec.replicas` out (a field ciclo set would be reset on every apply,
 * fighting the autoscaler); the deployment's `replicas` is the HPA's minimum.
 *
 * Env entries that name a ciclo secret become a Kubernetes Secret of the
 * deployment (`<name>-env`, one key per variable) that the container reads
 * through `valueFrom.secretKeyRef`: the value is never in the Deployment.
 * @module
 */
import { createHash } from "node:crypto";
import { isSecretRef, type Deployment } from "../endpoints/endpoint-types.js";
import { k8sManifests, k8sName } from "../k8s-manifests.js";

export const ENDPOINT_LABEL = "ciclo.dev/endpoint";
export const DEPLOYMENT_LABEL = "ciclo.dev/deployment";
/** Every object the target manages carries both labels (a label-existence selector). */
export const MANAGED_SELECTOR = `${ENDPOINT_LABEL},${DEPLOYMENT_LABEL}`;
export const SERVICE_PORT = 80;

export interface KubernetesObjectOptions {
  namespace: string;
  /** The model-server image of a version: `{model}` and `{version}` are replaced (default `{model}:{version}`, as `ciclo models k8s`). */
  imageTemplate: string;
  /** CPU and memory request per pod (default "1" and "1Gi"). */
  cpu?: string;
  memory?: string;
  /** HPA maximum as a multiple of the deployment's replicas (default 3). */
  maxReplicasFactor?: number;
  drainSeconds?: number;
  /** Added to every model server's env (the OTLP endpoint when tracing is on). */
  extraEnv?: Record<string, string>;
}

/** `<endpoint>-<deployment>`, or a shortened form with a hash when that passes 63 characters (a DNS label). */
export function objectName(endpoint: string, deployment: string): string {
  const full = k8sName(`${endpoint}-${deployment}`);
  if (`${endpoint}-${deployment}`.length <= 63 && full === `${endpoint}-${deployment}`) return full;
  const hash = createHash("sha256").update(`${endpoint}\u0000${deployment}`).digest("hex").slice(0, 8);
  return `${full.slice(0, 54).replace(/-+$/, "")}-${hash}`;
}

/** The in-cluster URL of a deployment's Service (the router's one "replica": kube-proxy spreads over the ready pods). */
export function serviceUrl(endpoint: string, deployment: string, namespace: string): string {
  return `http://${objectName(endpoint, deployment)}.${namespace}.svc:${SERVICE_PORT}`;
}

/** The Kubernetes Secret holding a deployment's secret env values. */
export const envSecretName = (endpoint: string, deployment: string): string => `${objectName(endpoint, deployment)}-env`;

export function imageOf(template: string, d: Pick<Deployment, "modelName" | "modelVersion">): string {
  return template.replaceAll("{model}", k8sName(d.modelName)).replaceAll("{version}", k8sName(d.modelVersion));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

/** `secretEnv`: the values of the secrets `d.env` names, read by the caller at apply time. */
export function kubernetesObjects(d: Deployment, o: KubernetesObjectOptions, secretEnv: Record<string, string> = {}): Obj[] {
  // ciclo's names allow 64 characters; a Kubernetes label value 63.
  for (const [what, n] of [["endpoint", d.endpoint], ["deployment", d.name]]) {
    if (n.length > 63) throw new Error(`the ${what} name '${n}' is 64 characters; Kubernetes labels allow 63: use a shorter name for the kubernetes target.`);
  }
  const name = objectName(d.endpoint, d.name);
  const objects = k8sManifests({
    name,
    image: imageOf(o.imageTemplate, d),
    modelName: d.modelName,
    modelVersion: d.modelVersion,
    replicas: d.replicas,
    cpu: o.cpu ?? "1",
    memory: o.memory ?? "1Gi",
    minReplicas: d.replicas,
    maxReplicas: d.replicas * (o.maxReplicasFactor ?? 3),
    drainSeconds: o.drainSeconds ?? 30,
    namespace: o.namespace,
  }) as Obj[];
  const ours = { [ENDPOINT_LABEL]: d.endpoint, [DEPLOYMENT_LABEL]: d.name };
  for (const obj of objects) {
    // A fresh labels object per object (k8sManifests shares one between them).
    obj.metadata = { ...obj.metadata, labels: { ...obj.metadata.labels, ...ours } };
  }
  const [deployment] = objects;
  delete deployment.spec.replicas;
  const template = deployment.spec.template;
  template.metadata = { ...template.metadata, labels: { ...template.metadata.labels, ...ours } };
  const container = template.spec.containers[0];
  const env = { ...d.env, ...o.extraEnv };
  const secretName = envSecretName(d.endpoint, d.name);
  container.env = [
    ...container.env,
    ...Object.keys(env)
      .sort()
      .map((k) => {
        const v = env[k];
        return isSecretRef(v) ? { name: k, valueFrom: { secretKeyRef: { name: secretName, key: k } } } : { name: k, value: v };
      }),
  ];
  const secretKeys = Object.keys(d.env).filter((k) => isSecretRef(d.env[k]));
  if (secretKeys.length > 0) {
    const data: Record<string, string> = {};
    for (const k of secretKeys) {
      if (secretEnv[k] === undefined) throw new Error(`env ${k}: the value of its secret was not read`);
      data[k] = Buffer.from(secretEnv[k], "utf8").toString("base64");
    }
    objects.push({ apiVersion: "v1", kind: "Secret", metadata: { name: secretName, namespace: o.namespace, labels: { ...ours } }, type: "Opaque", data });
  }
  return objects;
}
