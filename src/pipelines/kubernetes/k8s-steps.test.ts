/**
 * Pipeline steps with `runs-on: kubernetes`, on a real ciclo server against
 * the Kubernetes API stand-in (testing/k8s-api-stand-in.ts: server-side
 * apply, list and watch with resourceVersions, Job and pod objects validated
 * against the official schemas, the pod log endpoint). No cluster runs here:
 * the test plays the Job controller and the kubelet (a pod for the Job, its
 * log, its exit, the Job's Complete or Failed condition), so what is proven
 * is ciclo's side of the API: the Job it writes, how it follows and ends it.
 * - two steps run as two Jobs: the runner image, the step's command and env
 *   (none of the server's), labels, backoffLimit 0, activeDeadlineSeconds and
 *   ttlSecondsAfterFinished; the pod's log followed live into the step's log;
 *   an output travels through the log to the next step's command;
 * - a Failed Job is the step's failure with the container's exit code, and
 *   the retry is a second Job (attempt 2);
 * - cancel deletes the Job with propagation Background (its pod goes too);
 * - a server restart while a Job runs leaves it running, and the next server
 *   re-adopts it by its labels instead of starting a second one;
 * - a step with runs-on: kubernetes on a server without a namespace fails, saying so.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Job } from "kubernetes-models/batch/v1/Job";
import { KubernetesApiStandIn, type Obj } from "../../testing/k8s-api-stand-in.js";
import { startPipelineWorld, type PipelineWorld } from "../../testing/pipelines-fixture.js";
import { waitFor } from "../../testing/wait-for.js";
import { STEP_LABELS } from "./step-job-object.js";

const NS = "ml-jobs";
const IMAGE = "registry.example.com/team/runner:1.4";

const CICLO_YAML = `name: remote
entry_points:
  main: { command: "echo main" }
pipelines:
  two:
    runs-on: kubernetes
    image: ${IMAGE}
    inputs:
      greeting: { type: string, default: hello }
    steps:
      prepare:
        run: echo "\${{ inputs.greeting }}" && echo "model=m-17" >> "$CICLO_STEP_OUTPUTS"
        env: { STAGE: prep }
        timeout_seconds: 90
        cache: false
      train:
        needs: [prepare]
        run: echo "training \${{ steps.prepare.outputs.model }}"
        cache: false
  flaky:
    runs-on: kubernetes
    image: ${IMAGE}
    steps:
      try:
        run: ./try.sh
        retries: 1
        retry_delay_seconds: 0
        cache: false
  slow:
    runs-on: kubernetes
    image: ${IMAGE}
    steps:
      sleep:
        run: sleep 600
        cache: false
`;

describe("pipeline steps as Kubernetes Jobs (API stand-in)", () => {
  let api: KubernetesApiStandIn;
  let w: PipelineWorld;
  let proj: string;

  before(async () => {
    api = await KubernetesApiStandIn.start();
    w = await startPipelineWorld({ kubernetes: { namespace: NS, kubeconfig: api.kubeconfig(NS), logDrainMs: 10_000 } }, { jobDrainMs: 200 });
    proj = w.project("remote", { "ciclo.yaml": CICLO_YAML });
  });
  after(async () => {
    await w?.close();
    await api?.close();
  });

  const jobsOf = (runId: string, stepId: string): Obj[] => api.list("Job", NS).filter((j) => j.metadata.labels?.[STEP_LABELS.run] === runId && j.metadata.labels?.[STEP_LABELS.step] === stepId);
  const jobOf = (runId: string, stepId: string, attempt = 1) =>
    waitFor(
      () => jobsOf(runId, stepId).find((j) => j.metadata.labels[STEP_LABELS.attempt] === String(attempt)),
      (j) => j !== undefined,
      { what: `the Job of step ${stepId} attempt ${attempt}` },
    ) as Promise<Obj>;
  const logText = async (runId: string, step: string) => ((await w.api("GET", `/pipelines/runs/${runId}/logs?step=${step}`)).json.lines as Array<{ line: string; stream: string }>).map((l) => `${l.stream} ${l.line}`).join("\n");
  /** Plays the Job controller and kubelet: a pod runs, writes `output`, exits with `code`; the Job ends accordingly. */
  const kubelet = async (job: Obj, output: string, code: number, opts: { waitForFollow?: boolean } = {}) => {
    const name = job.metadata.name as string;
    const pod = api.jobs.createPod(NS, name);
    api.jobs.run(NS, pod);
    if (opts.waitForFollow) await waitFor(() => api.podLogs.following(NS, pod), (n) => n === 1, { what: "ciclo to follow the pod's log" });
    api.jobs.log(NS, pod, output);
    return {
      pod,
      end: () => {
        api.jobs.exit(NS, pod, code);
        if (code === 0) api.jobs.finish(NS, name, "Complete");
        else api.jobs.finish(NS, name, "Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit");
      },
    };
  };

  test("two steps run as two Jobs: the Job's fields, live logs, an output passed on", async () => {
    const run = await w.start(proj, "two");
    const job = await jobOf(run.run_id, "prepare");
    // The official schema (the stand-in also refused anything that does not validate).
    new Job(job as never).validate();
    const c = job.spec.template.spec.containers[0];
    assert.equal(c.image, IMAGE);
    assert.equal(job.spec.backoffLimit, 0, "ciclo does the retries");
    assert.equal(job.spec.activeDeadlineSeconds, 90);
    assert.ok(job.spec.ttlSecondsAfterFinished > 0);
    assert.equal(job.spec.template.spec.restartPolicy, "Never");
    const shell = c.command.at(-1) as string;
    assert.deepEqual(c.command.slice(0, 2), ["/bin/sh", "-c"]);
    assert.ok(shell.includes("hello") && shell.includes('echo "model=m-17"'), `the step's command, expressions resolved: ${shell}`);
    const env = new Map((c.env as Array<{ name: string; value: string }>).map((e) => [e.name, e.value]));
    assert.equal(env.get("STAGE"), "prep");
    const stepRun = (await w.api("GET", `/pipelines/runs/${run.run_id}`)).json.pipeline_run.steps.find((s: Obj) => s.step_id === "prepare").child_run_id;
    assert.equal(env.get("MLFLOW_RUN_ID"), stepRun);
    assert.equal(new URL(env.get("MLFLOW_TRACKING_URI")!).port, new URL(w.url).port, "the server's URL (no --k8s-tracking-uri here)");
    assert.ok(!env.has("PATH") && !env.has("HOME"), "nothing of the server's own environment goes into the pod");
    assert.equal(job.metadata.labels[STEP_LABELS.run], run.run_id);
    assert.equal(job.spec.template.metadata.labels[STEP_LABELS.step], "prepare", "the pods carry the labels too");

    const k = await kubelet(job, "hello\n::ciclo-output::model=m-17\n", 0, { waitForFollow: true });
    // Live: the line is in the step's log while the pod still runs.
    await waitFor(() => logText(run.run_id, "prepare"), (t) => t.includes("stdout hello"), { what: "the pod's line in the step's log" });
    k.end();

    const next = await jobOf(run.run_id, "train");
    assert.ok((next.spec.template.spec.containers[0].command.at(-1) as string).includes("training m-17"), "the output reached the next step's command");
    (await kubelet(next, "training m-17\n", 0)).end();
    const done = await w.until(run.run_id);
    assert.equal(done.status, "succeeded", JSON.stringify(done));
    assert.deepEqual(done.steps.find((s: Obj) => s.step_id === "prepare").outputs.model, "m-17");
    const log = await logText(run.run_id, "prepare");
    assert.match(log, /started Kubernetes Job ml-jobs\/ciclo-prepare-/);
    assert.ok(!log.includes("::ciclo-output::"), "the outputs' lines are not log lines");
    assert.match(await logText(run.run_id, "train"), /stdout training m-17/);
  });

  test("a Failed Job fails the step with its container's exit code; the retry is a second Job", async () => {
    const run = await w.start(proj, "flaky");
    const first = await jobOf(run.run_id, "try", 1);
    (await kubelet(first, "no luck\n", 3)).end();
    const second = await jobOf(run.run_id, "try", 2);
    assert.notEqual(second.metadata.name, first.metadata.name);
    (await kubelet(second, "ok now\n", 0)).end();
    const done = await w.until(run.run_id);
    assert.equal(done.status, "succeeded", JSON.stringify(done));
    assert.equal(done.steps[0].attempt, 2);
    const log = await logText(run.run_id, "try");
    assert.match(log, /failed: BackoffLimitExceeded.*exited with 3/);
    assert.match(log, /failed \(exit code 3\); retrying/);
  });

  test("cancel deletes the Job with propagation Background, and its pod with it", async () => {
    const run = await w.start(proj, "slow");
    const job = await jobOf(run.run_id, "sleep");
    const { pod } = await kubelet(job, "sleeping\n", 0);
    const r = await w.api("POST", `/pipelines/runs/${run.run_id}/cancel`);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    await waitFor(() => api.get("Job", NS, job.metadata.name), (j) => j === undefined, { what: "the Job to be deleted" });
    assert.equal(api.get("Pod", NS, pod), undefined, "Background propagation took the pod too");
    const del = api.requests.find((q) => q.method === "DELETE" && q.url.includes(`/jobs/${job.metadata.name}`));
    assert.match(del?.url ?? "", /propagationPolicy=Background/);
    const done = await w.until(run.run_id);
    assert.equal(done.status, "cancelled");
    await waitFor(async () => (await w.api("GET", `/pipelines/runs/${run.run_id}`)).json.pipeline_run.steps[0].status, (s) => s === "cancelled", { what: "the step to be cancelled" });
  });

  test("a restart re-adopts the running Job by its labels instead of starting a second one", async () => {
    const run = await w.start(proj, "slow");
    const job = await jobOf(run.run_id, "sleep");
    const { pod } = await kubelet(job, "before the restart\n", 0);
    await waitFor(() => logText(run.run_id, "sleep"), (t) => t.includes("before the restart"), { what: "the first server to follow the log" });
    await w.restart();
    assert.ok(api.get("Job", NS, job.metadata.name), "a stopping server leaves the Job running");
    await waitFor(() => logText(run.run_id, "sleep"), (t) => /re-adopted Kubernetes Job/.test(t), { what: "the next server to re-adopt the Job", timeoutMs: 60_000 });
    api.jobs.exit(NS, pod, 0);
    api.jobs.finish(NS, job.metadata.name, "Complete");
    const done = await w.until(run.run_id);
    assert.equal(done.status, "succeeded", JSON.stringify(done));
    assert.equal(jobsOf(run.run_id, "sleep").length, 1, "one Job for the step, not two");
    assert.equal(api.requests.filter((q) => q.method === "PATCH" && q.url.includes(`/jobs/${job.metadata.name}`)).length, 1, "the Job was applied once");
    assert.equal(done.steps[0].attempt, 1);
  });
});

describe("runs-on: kubernetes without a Kubernetes namespace", () => {
  let w: PipelineWorld;
  before(async () => {
    w = await startPipelineWorld();
  });
  after(async () => {
    await w?.close();
  });

  test("the step fails, naming the missing server setting", async () => {
    const proj = w.project("remote", { "ciclo.yaml": CICLO_YAML });
    const run = await w.start(proj, "slow");
    const done = await w.until(run.run_id);
    assert.equal(done.status, "failed");
    assert.match(done.steps[0].error, /runs-on: kubernetes.*--k8s-namespace/);
  });
});
