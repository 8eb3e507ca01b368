/**
 * Pods and Jobs in the Kubernetes API stand-in: the pod log endpoint
 * (`GET /api/v1/namespaces/<ns>/pods/<name>/log`, `follow=true` streams until
 * the container ends, 400 while it waits to start, 404 for no pod), and the
 * test hooks that play what a cluster's Job controller and kubelet do: a pod
 * for a Job (the template's labels, the job-name labels, owned by the Job),
 * the pod running, writing its log and ending, and the Job's terminal
 * condition (`Complete` or `Failed`). Tests drive these steps; nothing
 * happens by itself.
 * @module
 */
import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import { statusBody, type Obj } from "./k8s-stand-in-apply.js";

/** What the stand-in offers these helpers: its objects and their changes. */
export interface ObjectAccess {
  get(kind: string, namespace: string, name: string): Obj | undefined;
  put(obj: Obj): void;
  setStatus(kind: string, namespace: string, name: string, status: Obj): void;
}

const key = (ns: string, pod: string) => `${ns}/${pod}`;

export class PodLogs {
  private readonly text = new Map<string, string>();
  private readonly followers = new Map<string, Set<ServerResponse>>();

  constructor(private readonly objects: ObjectAccess) {}

  /** The log endpoint. */
  serve(ns: string, pod: string, q: URLSearchParams, res: ServerResponse): void {
    const send = (code: number, o: Obj) => void res.writeHead(code, { "content-type": "application/json" }).end(JSON.stringify(o));
    const p = this.objects.get("Pod", ns, pod);
    if (!p) return send(404, statusBody(404, "NotFound", `pods "${pod}" not found`, { name: pod, kind: "pods" }));
    const containers = ((p.spec?.containers ?? []) as Obj[]).map((c) => String(c.name));
    const container = q.get("container") ?? (containers.length === 1 ? containers[0] : undefined);
    if (container === undefined) return send(400, statusBody(400, "BadRequest", `a container name must be specified for pod ${pod}, choose one of: [${containers.join(" ")}]`));
    if (!containers.includes(container)) return send(400, statusBody(400, "BadRequest", `container ${container} is not valid for pod ${pod}`));
    const state = containerState(p, container);
    if (state === "waiting") return send(400, statusBody(400, "BadRequest", `container "${container}" in pod "${pod}" is waiting to start: ContainerCreating`));
    res.writeHead(200, { "content-type": "text/plain" });
    res.write(this.text.get(key(ns, pod)) ?? "");
    if (q.get("follow") !== "true" || state === "terminated") {
      res.end();
      return;
    }
    res.flushHeaders();
    const set = this.followers.get(key(ns, pod)) ?? new Set();
    this.followers.set(key(ns, pod), set.add(res));
    res.on("close", () => set.delete(res));
  }

  /** Output of the pod's container (the kubelet's log file). */
  write(ns: string, pod: string, text: string): void {
    this.text.set(key(ns, pod), (this.text.get(key(ns, pod)) ?? "") + text);
    for (const f of this.followers.get(key(ns, pod)) ?? []) f.write(text);
  }

  /** The container ended: followed logs end. */
  ended(ns: string, pod: string): void {
    for (const f of this.followers.get(key(ns, pod)) ?? []) f.end();
    this.followers.delete(key(ns, pod));
  }

  closeAll(): void {
    for (const set of this.followers.values()) for (const f of set) f.end();
    this.followers.clear();
  }

  /** Open follow streams of a pod. */
  following(ns: string, pod: string): number {
    return this.followers.get(key(ns, pod))?.size ?? 0;
  }
}

function containerState(pod: Obj, container: string): "waiting" | "running" | "terminated" {
  const st = ((pod.status?.containerStatuses ?? []) as Obj[]).find((c) => c.name === container)?.state ?? {};
  return st.terminated ? "terminated" : st.running ? "running" : "waiting";
}

/** Plays the Job controller and the kubelet for one Job's pod, step by step. */
export class JobPlay {
  constructor(
    private readonly objects: ObjectAccess,
    private readonly logs: PodLogs,
  ) {}

  /** The Job controller: a Pending pod from the Job's template, owned by it; the Job counts it active. */
  createPod(ns: string, jobName: string): string {
    const job = this.objects.get("Job", ns, jobName);
    if (!job) throw new Error(`no Job ${ns}/${jobName}`);
    const name = `${jobName}-${randomBytes(3).toString("hex").slice(0, 5)}`;
    const tpl = job.spec.template;
    this.objects.put({
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name,
        namespace: ns,
        labels: { ...tpl.metadata?.labels, "batch.kubernetes.io/job-name": jobName, "job-name": jobName, "batch.kubernetes.io/controller-uid": job.metadata.uid, "controller-uid": job.metadata.uid },
        ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name: jobName, uid: job.metadata.uid, controller: true, blockOwnerDeletion: true }],
      },
      spec: structuredClone(tpl.spec),
      status: { phase: "Pending", containerStatuses: (tpl.spec.containers as Obj[]).map((c) => ({ name: c.name, ready: false, restartCount: 0, state: { waiting: { reason: "ContainerCreating" } } })) },
    });
    this.objects.setStatus("Job", ns, jobName, { ...job.status, active: 1, startTime: new Date().toISOString() });
    return name;
  }

  /** The kubelet: the pod's containers run. */
  run(ns: string, pod: string): void {
    const p = this.pod(ns, pod);
    const at = new Date().toISOString();
    this.objects.setStatus("Pod", ns, pod, { ...p.status, phase: "Running", startTime: at, containerStatuses: (p.spec.containers as Obj[]).map((c) => ({ name: c.name, ready: true, restartCount: 0, state: { running: { startedAt: at } } })) });
  }

  /** The kubelet: the container writes to its log. */
  log(ns: string, pod: string, text: string): void {
    this.logs.write(ns, pod, text);
  }

  /** The kubelet: the container exits; the pod Succeeded (0) or Failed. */
  exit(ns: string, pod: string, exitCode: number): void {
    const p = this.pod(ns, pod);
    const at = new Date().toISOString();
    const terminated = { exitCode, reason: exitCode === 0 ? "Completed" : "Error", startedAt: p.status.startTime ?? at, finishedAt: at };
    this.objects.setStatus("Pod", ns, pod, { ...p.status, phase: exitCode === 0 ? "Succeeded" : "Failed", containerStatuses: (p.spec.containers as Obj[]).map((c) => ({ name: c.name, ready: false, restartCount: 0, state: { terminated } })) });
    this.logs.ended(ns, pod);
  }

  /** The Job controller: the Job's terminal condition (after its pod ended, or for a reason of its own such as DeadlineExceeded). */
  finish(ns: string, jobName: string, outcome: "Complete" | "Failed", reason?: string, message?: string): void {
    const job = this.objects.get("Job", ns, jobName);
    if (!job) throw new Error(`no Job ${ns}/${jobName}`);
    const at = new Date().toISOString();
    const condition = { type: outcome, status: "True", lastProbeTime: at, lastTransitionTime: at, ...(reason && { reason }), ...(message && { message }) };
    this.objects.setStatus("Job", ns, jobName, {
      ...job.status,
      active: 0,
      ...(outcome === "Complete" ? { succeeded: 1, completionTime: at } : { failed: 1 }),
      conditions: [...((job.status?.conditions ?? []) as Obj[]), condition],
    });
  }

  private pod(ns: string, pod: string): Obj {
    const p = this.objects.get("Pod", ns, pod);
    if (!p) throw new Error(`no Pod ${ns}/${pod}`);
    return p;
  }
}
