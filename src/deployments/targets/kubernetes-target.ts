/**
 * The `kubernetes` target: each deployment becomes a Deployment, a Service
 * and a HorizontalPodAutoscaler in one namespace (k8s-deployment-objects.ts),
 * written with server-side apply through `@kubernetes/client-node` — field
 * manager `ciclo`, so a re-apply changes only what ciclo owns and removes
 * what it no longer sets; by default with `force` (ciclo is the source of
 * truth for these objects: a `kubectl edit` of a field ciclo sets is taken
 * back), or without it, when a conflict is reported instead. All three are
 * first applied as a server-side dry run, so an object the API server
 * refuses leaves the others unchanged.
 *
 * Status is read back by list-and-watch (the client's ListWatch: re-watch
 * from the last resourceVersion when a watch ends, re-list on 410 Gone,
 * bookmarks asked for), of the Deployments and Pods carrying ciclo's labels
 * and of the namespace's Events: ready replicas, per-pod state and restarts
 * (with the last termination), and recent Warning events become the
 * deployment's health. The router reaches the pods through the Service
 * (`http://<name>.<namespace>.svc`), once the Deployment has a ready replica.
 *
 * Deleting a deployment deletes its three objects (foreground propagation:
 * the pods go with the Deployment). Stopping ciclo leaves them running.
 * @module
 */
import { KubernetesObjectApi, ListWatch, PatchStrategy, Watch, type KubeConfig, type KubernetesObject, type KubernetesListObject } from "@kubernetes/client-node";
import { resolveEnv, type DeploymentSecrets } from "../endpoints/deployment-secrets.js";
import { isSecretRef, type Deployment } from "../endpoints/endpoint-types.js";
import { DEPLOYMENT_LABEL, ENDPOINT_LABEL, MANAGED_SELECTOR, envSecretName, kubernetesObjects, objectName, serviceUrl, type KubernetesObjectOptions } from "./k8s-deployment-objects.js";
import type { ReplicaStatus } from "./local-target.js";
import { k8sErrorMessage } from "../../shared/node/k8s-error-message.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

export const FIELD_MANAGER = "ciclo";

export interface KubernetesTargetOptions extends KubernetesObjectOptions {
  kubeConfig: KubeConfig;
  /** Take fields another manager changed (default true); false reports the conflict instead. */
  force?: boolean;
  /** The router's URL for a deployment (default: its Service's in-cluster DNS name). */
  serviceUrl?: (endpoint: string, deployment: string, namespace: string) => string;
  onChange: (endpoint: string) => void;
  log: (msg: string, fields?: Record<string, unknown>) => void;
  /** Wait before restarting a watch that failed (default 2 s). */
  retryMs?: number;
  /** Warning events kept per deployment (default 10). */
  eventsKept?: number;
  /** Where the secrets a deployment's env names are read (at each apply, into the deployment's Kubernetes Secret). */
  secrets?: DeploymentSecrets;
}

export interface KubernetesSummary {
  ready: number;
  /** The Deployment's replica count (the HPA sets it), or the deployment's minimum before it exists. */
  desired: number;
  restarts: number;
  replicas: ReplicaStatus[];
  events: string[];
  /** The last apply's failure, if it failed. */
  applyError?: string;
}

/**
 * Asks the API server for bookmarks, so a quiet watch still advances its
 * resourceVersion, and to end each watch after 5–10 minutes (as client-go
 * does), so a watch is renewed from its resourceVersion now and then instead
 * of trusting one connection for ever.
 */
class BookmarkWatch extends Watch {
  override watch(path: string, params: Record<string, unknown>, callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void, done: (err: unknown) => void): Promise<AbortController> {
    return super.watch(path, { ...params, allowWatchBookmarks: true, timeoutSeconds: 300 + Math.floor(Math.random() * 300) }, callback, done);
  }
}

const keyOf = (endpoint: string, name: string) => `${endpoint}/${name}`;
const time = (t: unknown) => (t === undefined || t === null ? undefined : new Date(t as string | Date).getTime());

export class KubernetesTarget {
  private readonly api: KubernetesObjectApi;
  private readonly informers: Array<ListWatch<KubernetesObject>> = [];
  private readonly applied = new Map<string, Deployment>();
  private readonly applyErrors = new Map<string, string>();
  /** deployment key → recent Warning events, newest last. */
  private readonly events = new Map<string, string[]>();
  private stopped = false;
  /** Resolves once every watch has listed (or failed to, and is being retried). */
  started: Promise<void> = Promise.resolve();

  constructor(private readonly opts: KubernetesTargetOptions) {
    this.api = KubernetesObjectApi.makeApiClient(opts.kubeConfig);
  }

  get namespace(): string {
    return this.opts.namespace;
  }

  /** Starts the watches; resolves once each has listed (the status is known). */
  start(): Promise<void> {
    this.started = this.startWatches();
    return this.started;
  }

  private async startWatches(): Promise<void> {
    const ns = this.opts.namespace;
    const watch = new BookmarkWatch(this.opts.kubeConfig);
    const lister = (apiVersion: string, kind: string, selector?: string) => () =>
      this.api.list(apiVersion, kind, ns, undefined, undefined, undefined, undefined, selector) as Promise<KubernetesListObject<KubernetesObject>>;
    const deployments = new ListWatch(`/apis/apps/v1/namespaces/${ns}/deployments`, watch, lister("apps/v1", "Deployment", MANAGED_SELECTOR), false, MANAGED_SELECTOR);
    const pods = new ListWatch(`/api/v1/namespaces/${ns}/pods`, watch, lister("v1", "Pod", MANAGED_SELECTOR), false, MANAGED_SELECTOR);
    // Events carry no labels: they are matched to ciclo's pods and Deployments by the object they are about.
    const events = new ListWatch(`/api/v1/namespaces/${ns}/events`, watch, lister("v1", "Event"), false);
    const changed = (o: KubernetesObject) => {
      const endpoint = o.metadata?.labels?.[ENDPOINT_LABEL];
      if (endpoint) this.opts.onChange(endpoint);
    };
    for (const inf of [deployments, pods]) {
      inf.on("add", changed);
      inf.on("update", changed);
      inf.on("delete", changed);
    }
    events.on("add", (e) => this.recordEvent(e as Obj));
    events.on("update", (e) => this.recordEvent(e as Obj));
    this.informers.push(deployments, pods, events);
    for (const inf of this.informers) {
      inf.on("error", (err: unknown) => {
        if (this.stopped) return;
        this.opts.log("deployments: a Kubernetes watch failed; restarting it", { namespace: ns, error: k8sErrorMessage(err) });
        setTimeout(() => void (this.stopped ? undefined : inf.start()), this.opts.retryMs ?? 2000).unref();
      });
    }
    await Promise.all(this.informers.map((inf) => inf.start()));
  }

  /** Where the secrets deployments' env names are read (the module sets it once the store is known). */
  useSecrets(secrets: DeploymentSecrets | undefined): void {
    this.opts.secrets = secrets;
  }

  /** Server-side applies the deployment's objects; a failure is logged, kept for its health, and thrown. */
  async apply(d: Deployment): Promise<void> {
    const key = keyOf(d.endpoint, d.name);
    const hadSecret = this.usesEnvSecret(d.endpoint, d.name);
    this.applied.set(key, d);
    const force = this.opts.force ?? true;
    try {
      const { secret } = await resolveEnv(d.env, this.opts.secrets);
      // The Secret first: the Deployment's pods read it.
      const objects = (kubernetesObjects(d, this.opts, secret) as KubernetesObject[]).sort((a, b) => Number(b.kind === "Secret") - Number(a.kind === "Secret"));
      // A server-side dry run of all three first: one the API server refuses (validation, admission, a conflict) leaves none half-applied.
      for (const obj of objects) await this.api.patch(structuredClone(obj), undefined, "All", FIELD_MANAGER, force, PatchStrategy.ServerSideApply);
      for (const obj of objects) await this.api.patch(obj, undefined, undefined, FIELD_MANAGER, force, PatchStrategy.ServerSideApply);
      // A deployment whose env no longer names a secret: its Secret goes (asked only then: a cluster role that
      // never needed secrets need not allow them).
      if (hadSecret && !objects.some((o) => o.kind === "Secret")) await this.deleteIfThere({ apiVersion: "v1", kind: "Secret", metadata: { name: envSecretName(d.endpoint, d.name), namespace: this.opts.namespace } });
      this.applyErrors.delete(key);
    } catch (err) {
      const message = `apply failed: ${k8sErrorMessage(err)}`;
      this.applyErrors.set(key, message);
      this.opts.log("deployments: could not apply a deployment to Kubernetes", { endpoint: d.endpoint, deployment: d.name, namespace: this.opts.namespace, error: message });
      throw new Error(`Deployment '${d.name}' of endpoint '${d.endpoint}': Kubernetes ${message}`);
    } finally {
      this.opts.onChange(d.endpoint);
    }
  }

  /** Deletes the deployment's objects (those already gone are fine). */
  async remove(endpoint: string, name: string): Promise<void> {
    const key = keyOf(endpoint, name);
    if (!this.applied.has(key) && !this.deploymentObject(endpoint, name)) return;
    const hadSecret = this.usesEnvSecret(endpoint, name);
    this.applied.delete(key);
    this.applyErrors.delete(key);
    this.events.delete(key);
    const meta = { name: objectName(endpoint, name), namespace: this.opts.namespace };
    for (const o of [
      { apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", metadata: meta },
      { apiVersion: "v1", kind: "Service", metadata: meta },
      { apiVersion: "apps/v1", kind: "Deployment", metadata: meta },
      ...(hadSecret ? [{ apiVersion: "v1", kind: "Secret", metadata: { ...meta, name: envSecretName(endpoint, name) } }] : []),
    ]) {
      await this.deleteIfThere(o);
    }
    this.opts.onChange(endpoint);
  }

  /** Whether the deployment's objects (as last applied here, or as the cluster has them) read its env Secret. */
  private usesEnvSecret(endpoint: string, name: string): boolean {
    const applied = this.applied.get(keyOf(endpoint, name));
    if (applied && Object.values(applied.env).some(isSecretRef)) return true;
    const secret = envSecretName(endpoint, name);
    const containers = (this.deploymentObject(endpoint, name) as Obj | undefined)?.spec?.template?.spec?.containers ?? [];
    return (containers as Obj[]).some((c) => (c.env ?? []).some((e: Obj) => e.valueFrom?.secretKeyRef?.name === secret));
  }

  /** Deletes one object; one already gone is fine. */
  private async deleteIfThere(o: KubernetesObject & { metadata: { name: string; namespace: string } }): Promise<void> {
    try {
      await this.api.delete(o, undefined, undefined, undefined, undefined, "Foreground");
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw new Error(`Could not delete ${o.kind} ${o.metadata.namespace}/${o.metadata.name}: ${k8sErrorMessage(err)}`);
    }
  }

  /** The deployments this target runs: applied by this process, or found in the cluster with ciclo's labels. */
  deployments(): Array<Pick<Deployment, "endpoint" | "name">> {
    const out = new Map<string, Pick<Deployment, "endpoint" | "name">>();
    for (const d of this.applied.values()) out.set(keyOf(d.endpoint, d.name), { endpoint: d.endpoint, name: d.name });
    for (const o of this.informers[0]?.list(this.opts.namespace) ?? []) {
      const endpoint = o.metadata?.labels?.[ENDPOINT_LABEL];
      const name = o.metadata?.labels?.[DEPLOYMENT_LABEL];
      if (endpoint && name) out.set(keyOf(endpoint, name), { endpoint, name });
    }
    return [...out.values()];
  }

  /** The Service, once the Deployment has a ready replica. */
  readyUrls(endpoint: string, name: string): string[] {
    const ready = Number(this.deploymentObject(endpoint, name)?.status?.readyReplicas ?? 0);
    if (ready === 0) return [];
    return [(this.opts.serviceUrl ?? serviceUrl)(endpoint, name, this.opts.namespace)];
  }

  status(endpoint: string, name: string): ReplicaStatus[] {
    return this.summary(endpoint, name, 0).replicas;
  }

  summary(endpoint: string, name: string, minReplicas: number): KubernetesSummary {
    const key = keyOf(endpoint, name);
    const dep = this.deploymentObject(endpoint, name);
    const pods = (this.informers[1]?.list(this.opts.namespace) ?? [])
      .map((p) => p as Obj)
      .filter((p) => p.metadata.labels?.[ENDPOINT_LABEL] === endpoint && p.metadata.labels?.[DEPLOYMENT_LABEL] === name)
      .sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)));
    const replicas = pods.map((p, index) => podStatus(p, index));
    return {
      ready: Number(dep?.status?.readyReplicas ?? 0),
      desired: Number(dep?.spec?.replicas ?? minReplicas),
      restarts: replicas.reduce((a, r) => a + r.restarts, 0),
      replicas,
      events: [...(this.events.get(key) ?? [])],
      ...(this.applyErrors.has(key) && { applyError: this.applyErrors.get(key) }),
    };
  }

  logs(endpoint: string, name: string): string[] {
    return [`Pods of the kubernetes target log to the cluster: kubectl logs -n ${this.opts.namespace} -l ${ENDPOINT_LABEL}=${endpoint},${DEPLOYMENT_LABEL}=${name} --tail 100`];
  }

  /** The resourceVersion each watch has reached (deployments, pods, events). */
  watchVersions(): string[] {
    return this.informers.map((i) => i.latestResourceVersion());
  }

  /** Stops watching; the cluster keeps running the deployments. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.informers.map((i) => i.stop()));
  }

  private deploymentObject(endpoint: string, name: string): Obj | undefined {
    return this.informers[0]?.get(objectName(endpoint, name), this.opts.namespace) as Obj | undefined;
  }

  private recordEvent(e: Obj): void {
    if (e.type !== "Warning") return;
    const about = e.involvedObject ?? e.regarding ?? {};
    const labelled = (o: Obj | undefined) => (o ? keyOf(o.metadata.labels?.[ENDPOINT_LABEL], o.metadata.labels?.[DEPLOYMENT_LABEL]) : undefined);
    const key = about.kind === "Pod" ? labelled(this.informers[1]?.get(about.name, this.opts.namespace) as Obj | undefined) : about.kind === "Deployment" ? labelled(this.informers[0]?.get(about.name, this.opts.namespace) as Obj | undefined) : undefined;
    if (!key) return;
    const at = time(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp);
    const line = `${at !== undefined ? new Date(at).toISOString() : "?"} ${about.kind}/${about.name} ${e.reason ?? ""}: ${String(e.message ?? "").slice(0, 300)}${Number(e.count) > 1 ? ` (×${e.count})` : ""}`;
    const list = this.events.get(key) ?? [];
    // An event seen again (its count grew) replaces its earlier line.
    const prefix = `${about.kind}/${about.name} ${e.reason ?? ""}:`;
    const kept = list.filter((l) => !l.includes(prefix));
    kept.push(line);
    this.events.set(key, kept.slice(-(this.opts.eventsKept ?? 10)));
    this.opts.onChange(key.split("/")[0]);
  }
}

/** One pod as a replica: ready when its Ready condition holds; restarts and the last termination from its containers. */
function podStatus(p: Obj, index: number): ReplicaStatus {
  const st = p.status ?? {};
  const containers: Obj[] = st.containerStatuses ?? [];
  const ready = (st.conditions ?? []).some((c: Obj) => c.type === "Ready" && c.status === "True");
  const waiting = containers.map((c) => c.state?.waiting?.reason).find((r) => r !== undefined);
  const state: ReplicaStatus["state"] = p.metadata.deletionTimestamp
    ? "draining"
    : ready
      ? "ready"
      : st.phase === "Failed"
        ? "failed"
        : waiting === "CrashLoopBackOff"
          ? "restarting"
          : "starting";
  const last = containers.map((c) => c.lastState?.terminated).find((t) => t !== undefined);
  const finished = time(last?.finishedAt);
  return {
    index,
    name: String(p.metadata.name),
    state,
    ...(st.podIP && { url: `http://${st.podIP}:8080` }),
    restarts: containers.reduce((a, c) => a + Number(c.restartCount ?? 0), 0),
    ...(last && { lastExit: `${last.reason ?? "terminated"} (code ${last.exitCode})${finished !== undefined ? ` at ${new Date(finished).toISOString()}` : ""}` }),
    ...(time(st.startTime) !== undefined && { startedAt: time(st.startTime) }),
  };
}
