/**
 * Steps as Kubernetes Jobs: one `batch/v1` Job per step attempt
 * (step-job-object.ts), created by server-side apply (field manager
 * `ciclo-pipelines`) in the server's namespace, watched to its end by
 * list-and-watch of the executor's Jobs and pods (one watch each for all
 * steps: the client's ListWatch re-watches from its resourceVersion and
 * re-lists on 410 Gone). A Job's `Complete` condition is the step's success;
 * `Failed` its failure, with the container's exit code and the Job's reason
 * (`DeadlineExceeded` for the step's timeout). The pod's log is followed from
 * the log endpoint into the step's log as the pod runs.
 *
 * Cancel and timeout delete the Job with propagation `Background` (the API's
 * default for Jobs is to orphan their pods). A server stopping leaves the Job
 * running: the next server's attempt of the step finds it by its labels and
 * follows it instead of starting a second one.
 * @module
 */
import { appendFileSync } from "node:fs";
import { PassThrough } from "node:stream";
import { createInterface } from "node:readline";
import { KubernetesObjectApi, ListWatch, Log, PatchStrategy, Watch, type KubeConfig, type KubernetesListObject, type KubernetesObject } from "@kubernetes/client-node";
import type { StepAttempt, StepExecutor } from "../runs/step-executor.js";
import type { StepProcessResult } from "../runs/step-process.js";
import { CONTAINER, OUTPUT_MARK, STEP_LABELS, STEP_SELECTOR, stepJob, stepJobLabels } from "./step-job-object.js";
import { k8sErrorMessage } from "../../shared/node/k8s-error-message.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

export const STEP_FIELD_MANAGER = "ciclo-pipelines";
const STDOUT_KEEP = 1024 * 1024;
const LINE_MAX = 8192;

export interface KubernetesStepExecutorOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  /** Finished Jobs are deleted by the cluster after this long (default 1 h: time for a restarted server to read them). */
  ttlSecondsAfterFinished?: number;
  serviceAccountName?: string;
  log(msg: string, fields?: Record<string, unknown>): void;
  /** Wait before restarting a watch that failed (default 2 s). */
  retryMs?: number;
  /** How long a finished Job's log may take to arrive in full (default 10 s). */
  logDrainMs?: number;
}

const condition = (job: Obj | undefined, type: string): Obj | undefined => ((job?.status?.conditions ?? []) as Obj[]).find((c) => c.type === type && c.status === "True");

export class KubernetesStepExecutor implements StepExecutor {
  private readonly api: KubernetesObjectApi;
  private jobs: ListWatch<KubernetesObject> | undefined;
  private pods: ListWatch<KubernetesObject> | undefined;
  private started: Promise<void> | undefined;
  private stopped = false;
  /** Called on every Job or pod change (each running step re-checks its own). */
  private readonly listeners = new Set<() => void>();

  constructor(private readonly opts: KubernetesStepExecutorOptions) {
    this.api = KubernetesObjectApi.makeApiClient(opts.kubeConfig);
  }

  get namespace(): string {
    return this.opts.namespace;
  }

  /** Starts the watches once; resolves when both have listed. */
  start(): Promise<void> {
    this.started ??= this.startWatches().catch((err: unknown) => {
      this.started = undefined;
      throw new Error(`the Kubernetes watches of namespace ${this.opts.namespace} did not start: ${k8sErrorMessage(err)}`);
    });
    return this.started;
  }

  private async startWatches(): Promise<void> {
    const ns = this.opts.namespace;
    const watch = new Watch(this.opts.kubeConfig);
    const lister = (apiVersion: string, kind: string) => () => this.api.list(apiVersion, kind, ns, undefined, undefined, undefined, undefined, STEP_SELECTOR) as Promise<KubernetesListObject<KubernetesObject>>;
    const jobs = new ListWatch(`/apis/batch/v1/namespaces/${ns}/jobs`, watch, lister("batch/v1", "Job"), false, STEP_SELECTOR);
    const pods = new ListWatch(`/api/v1/namespaces/${ns}/pods`, watch, lister("v1", "Pod"), false, STEP_SELECTOR);
    const wake = () => {
      for (const l of [...this.listeners]) l();
    };
    for (const inf of [jobs, pods]) {
      inf.on("add", wake);
      inf.on("update", wake);
      inf.on("delete", wake);
      inf.on("error", (err: unknown) => {
        if (this.stopped) return;
        this.opts.log("pipelines: a Kubernetes watch failed; restarting it", { namespace: ns, error: k8sErrorMessage(err) });
        setTimeout(() => void (this.stopped ? undefined : inf.start().then(wake)), this.opts.retryMs ?? 2000).unref();
      });
    }
    await Promise.all([jobs.start(), pods.start()]);
    this.jobs = jobs;
    this.pods = pods;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([this.jobs?.stop(), this.pods?.stop()]);
  }

  async run(
    plan: { shell?: string; argv?: string[]; env: NodeJS.ProcessEnv },
    a: StepAttempt,
    opts: { signal: AbortSignal; onLine(stream: "stdout" | "stderr", line: string): void; note(line: string): void },
  ): Promise<StepProcessResult> {
    await this.start();
    const ns = this.opts.namespace;
    const labels = stepJobLabels(a);
    const selector = [STEP_LABELS.stepRun, STEP_LABELS.attempt].map((l) => `${l}=${labels[l]}`).join(",");
    // A Job of this very attempt (a server stopped while it ran): follow it instead of starting a second one.
    const found = this.jobs!.list(ns).find((j) => j.metadata?.labels?.[STEP_LABELS.stepRun] === labels[STEP_LABELS.stepRun] && j.metadata?.labels?.[STEP_LABELS.attempt] === labels[STEP_LABELS.attempt] && !j.metadata?.deletionTimestamp);
    let name: string;
    if (found) {
      name = found.metadata!.name!;
      opts.note(`re-adopted Kubernetes Job ${ns}/${name} (found by its labels ${selector}); following it`);
    } else {
      const job = stepJob({ ...a, namespace: ns, shell: plan.shell, argv: plan.argv, env: plan.env, ttlSecondsAfterFinished: this.opts.ttlSecondsAfterFinished ?? 3600, serviceAccountName: this.opts.serviceAccountName });
      name = job.metadata.name;
      try {
        await this.api.patch(job as KubernetesObject, undefined, undefined, STEP_FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
      } catch (err) {
        throw new Error(`Kubernetes refused the step's Job ${ns}/${name}: ${k8sErrorMessage(err)}`);
      }
      opts.note(`started Kubernetes Job ${ns}/${name} (image ${a.image})`);
    }
    return this.follow(name, a, opts);
  }

  /** Watches the Job to its end, following its pod's log. */
  private follow(name: string, a: StepAttempt, opts: { signal: AbortSignal; onLine(stream: "stdout" | "stderr", line: string): void; note(line: string): void }): Promise<StepProcessResult> {
    const ns = this.opts.namespace;
    let stdout = "";
    const streams = new Map<string, { ended: Promise<void>; abort(): void }>();
    const onLine = (line: string) => {
      if (line.startsWith(OUTPUT_MARK)) {
        appendFileSync(a.outputsFile, `${line.slice(OUTPUT_MARK.length)}\n`);
        return;
      }
      if (stdout.length < STDOUT_KEEP) stdout += `${line}\n`;
      opts.onLine("stdout", line.length > LINE_MAX ? `${line.slice(0, LINE_MAX)}…` : line);
    };
    const followPod = (pod: string, follow: boolean) => {
      const out = new PassThrough();
      const rl = createInterface({ input: out, crlfDelay: Infinity });
      rl.on("line", onLine);
      const ended = new Promise<void>((r) => rl.once("close", r));
      let controller: AbortController | undefined;
      const abort = () => {
        controller?.abort();
        out.end();
      };
      streams.set(pod, { ended, abort });
      new Log(this.opts.kubeConfig)
        .log(ns, pod, CONTAINER, out, { follow })
        .then((c) => void (controller = c))
        .catch((err: unknown) => {
          opts.note(`could not read the log of pod ${pod}: ${k8sErrorMessage(err)}`);
          out.end();
        });
    };

    return new Promise<StepProcessResult>((resolve) => {
      let seen = false;
      let done = false;
      // Set on a cancel or timeout: the Job's deletion that follows is ours, not a failure.
      let stopping = false;
      const finish = async (r: Omit<StepProcessResult, "stdout">, drain: boolean, failed?: Obj) => {
        if (done) return;
        done = true;
        this.listeners.delete(check);
        opts.signal.removeEventListener("abort", onAbort);
        if (drain) {
          // The pods as the API server has them now (the pod watch may lag the Job's): a pod whose log is not
          // followed yet (it ended between two looks) is read once, whole; a failure's exit code is its container's.
          const pods = await this.listPods(name).catch((err: Error) => {
            opts.note(`could not list the pods of Kubernetes Job ${ns}/${name}: ${err.message}`);
            return [] as Obj[];
          });
          for (const p of pods) if (!streams.has(p.metadata.name) && p.status?.phase !== "Pending") followPod(p.metadata.name, false);
          if (failed) {
            const code = pods
              .flatMap((p) => (p.status?.containerStatuses ?? []) as Obj[])
              .map((c) => c.state?.terminated?.exitCode as number | undefined)
              .find((c) => c !== undefined && c !== 0);
            r = { ...r, exitCode: code ?? 1 };
            opts.note(`Kubernetes Job ${ns}/${name} failed: ${failed.reason ?? "no reason given"}${failed.message ? ` (${failed.message})` : ""}${code !== undefined ? `; its container exited with ${code}` : ""}`);
          }
          const all = Promise.all([...streams.values()].map((s) => s.ended));
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([all, new Promise<void>((res) => (timer = setTimeout(res, this.opts.logDrainMs ?? 10_000)))]);
          clearTimeout(timer);
        }
        for (const s of streams.values()) s.abort();
        resolve({ ...r, stdout });
      };
      const onAbort = () => {
        const reason = opts.signal.reason as unknown;
        const why = reason instanceof Error ? reason.message : String(reason ?? "stopped");
        if (why.startsWith("interrupted")) {
          opts.note(`leaving Kubernetes Job ${ns}/${name} running (${why}); the next attempt follows it`);
          void finish({ exitCode: 128, signal: null, stopped: why }, false);
          return;
        }
        stopping = true;
        void this.deleteJob(name)
          .then(() => opts.note(`deleted Kubernetes Job ${ns}/${name} (${why})`))
          .catch((err: Error) => opts.note(`could not delete Kubernetes Job ${ns}/${name}: ${err.message}`))
          .finally(() => void finish({ exitCode: 128, signal: null, stopped: why }, false));
      };
      const check = () => {
        if (done || stopping) return;
        const job = this.jobs!.get(name, ns) as Obj | undefined;
        if (!job) {
          if (seen) {
            opts.note(`Kubernetes Job ${ns}/${name} was deleted before it finished`);
            void finish({ exitCode: 128, signal: null }, true);
          }
          return;
        }
        seen = true;
        for (const p of this.podsOf(name)) {
          const phase = p.status?.phase;
          if (!streams.has(p.metadata.name) && (phase === "Running" || phase === "Succeeded" || phase === "Failed")) followPod(p.metadata.name, phase === "Running");
        }
        if (condition(job, "Complete")) return void finish({ exitCode: 0, signal: null }, true);
        const failed = condition(job, "Failed");
        if (failed) void finish({ exitCode: 1, signal: null }, true, failed);
      };
      this.listeners.add(check);
      if (opts.signal.aborted) queueMicrotask(onAbort);
      else opts.signal.addEventListener("abort", onAbort, { once: true });
      check();
    });
  }

  private podsOf(job: string): Obj[] {
    return (this.pods?.list(this.opts.namespace) ?? []).map((p) => p as Obj).filter((p) => p.metadata?.labels?.[STEP_LABELS.job] === job && !p.metadata?.deletionTimestamp);
  }

  private async listPods(job: string): Promise<Obj[]> {
    const list = (await this.api.list("v1", "Pod", this.opts.namespace, undefined, undefined, undefined, undefined, `${STEP_LABELS.job}=${job}`)) as KubernetesListObject<KubernetesObject>;
    return (list.items as Obj[]).filter((p) => !p.metadata?.deletionTimestamp);
  }

  /** Deletes a Job and (propagation Background) its pods; one already gone is fine. */
  async deleteJob(name: string): Promise<void> {
    try {
      await this.api.delete({ apiVersion: "batch/v1", kind: "Job", metadata: { name, namespace: this.opts.namespace } }, undefined, undefined, undefined, undefined, "Background");
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw new Error(k8sErrorMessage(err));
    }
  }
}
