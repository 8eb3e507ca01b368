/**
 * `ciclo models k8s`: Kubernetes objects for a model server image built by
 * build-docker — a Deployment, a Service and a HorizontalPodAutoscaler —
 * following the conventions model servers share (KServe raw deployment,
 * Triton, Azure ML):
 *
 * - probes on the server's own health routes: a startup probe on
 *   `/v2/health/ready` while the model loads, readiness on the same route (false while
 *   loading and while draining), liveness on `/v2/health/live` — answered by
 *   the HTTP thread, so a busy model never gets a healthy pod restarted
 *   (KServe#3592);
 * - graceful termination: `preStop` waits a few seconds so endpoints drop the
 *   pod before SIGTERM, then the server drains for `drainSeconds`;
 *   `terminationGracePeriodSeconds` covers both plus a margin;
 * - CPU/memory requests (HPA targets CPU utilisation, 80 % by default as
 *   KServe's raw mode), a memory limit, non-root and read-only root filesystem;
 * - Prometheus scrape annotations for `/metrics`.
 * @module
 */
import YAML from "yaml";

export interface K8sOptions {
  /** Object names and the `app.kubernetes.io/name` label (DNS-1123). */
  name: string;
  image: string;
  modelName: string;
  modelVersion: string;
  replicas: number;
  /** CPU request per pod, e.g. "1" or "500m". */
  cpu: string;
  /** Memory request and limit, e.g. "1Gi". */
  memory: string;
  minReplicas: number;
  maxReplicas: number;
  drainSeconds: number;
  /** HPA target CPU utilisation, percent of the request. */
  targetCpuPercent?: number;
  namespace?: string;
}

export const PRESTOP_SECONDS = 5;
const PORT = 8080;

/** A Kubernetes name: lower-case alphanumerics and '-', at most 63 characters. */
export function k8sName(s: string): string {
  const n = s.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 63).replace(/-+$/, "");
  return n || "model";
}

/** A label value: alphanumerics, '-', '_', '.', at most 63, alphanumeric at both ends. */
function labelValue(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, "-").slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
}

/** Inference threads for a CPU request: cores − 1, at least 1 (the HTTP thread needs the rest). */
function workersFor(cpu: string): number {
  const cores = cpu.endsWith("m") ? Number(cpu.slice(0, -1)) / 1000 : Number(cpu);
  return Number.isFinite(cores) ? Math.max(1, Math.floor(cores) - 1) : 1;
}

export function k8sManifests(o: K8sOptions): Array<Record<string, unknown>> {
  const name = k8sName(o.name);
  const selector = { "app.kubernetes.io/name": name };
  const labels = {
    ...selector,
    "app.kubernetes.io/component": "model-server",
    "app.kubernetes.io/managed-by": "ciclo",
    "ciclo.dev/model": labelValue(o.modelName),
    "ciclo.dev/model-version": labelValue(o.modelVersion),
  };
  const meta = { name, labels, ...(o.namespace ? { namespace: o.namespace } : {}) };
  const probe = (path: string, extra: Record<string, number>) => ({ httpGet: { path, port: "http" }, ...extra });
  const deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: meta,
    spec: {
      replicas: o.replicas,
      selector: { matchLabels: selector },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels, annotations: { "prometheus.io/scrape": "true", "prometheus.io/port": String(PORT), "prometheus.io/path": "/metrics" } },
        spec: {
          terminationGracePeriodSeconds: PRESTOP_SECONDS + Math.ceil(o.drainSeconds) + 5,
          securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: "model-server",
              image: o.image,
              ports: [{ name: "http", containerPort: PORT, protocol: "TCP" }],
              env: [
                { name: "HOST", value: "0.0.0.0" },
                { name: "PORT", value: String(PORT) },
                { name: "CICLO_MODEL_NAME", value: o.modelName },
                { name: "CICLO_MODEL_VERSION", value: o.modelVersion },
                { name: "CICLO_WORKERS", value: String(workersFor(o.cpu)) },
                { name: "CICLO_DRAIN_SECONDS", value: String(o.drainSeconds) },
              ],
              resources: { requests: { cpu: o.cpu, memory: o.memory }, limits: { memory: o.memory } },
              // Loading a large model can take a while: the startup probe holds liveness off until it is ready.
              startupProbe: probe("/v2/health/ready", { periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 150 }),
              readinessProbe: probe("/v2/health/ready", { periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2, successThreshold: 1 }),
              livenessProbe: probe("/v2/health/live", { periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 }),
              lifecycle: { preStop: { exec: { command: ["node", "-e", `setTimeout(() => {}, ${PRESTOP_SECONDS * 1000})`] } } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
              volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
            },
          ],
          volumes: [{ name: "tmp", emptyDir: {} }],
        },
      },
    },
  };
  const service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: meta,
    spec: { type: "ClusterIP", selector, ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }] },
  };
  const hpa = {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: meta,
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name },
      minReplicas: o.minReplicas,
      maxReplicas: o.maxReplicas,
      metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: o.targetCpuPercent ?? 80 } } }],
      behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
    },
  };
  return [deployment, service, hpa];
}

/** Objects as one multi-document YAML stream (`kubectl apply -f -`). */
export function manifestsYaml(objects: Array<Record<string, unknown>>): string {
  return objects.map((o) => YAML.stringify(o, { lineWidth: 0 })).join("---\n");
}
