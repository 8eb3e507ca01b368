/**
 * A step attempt's Job object: it validates against the official batch/v1
 * schema for a shell step and an argv step, names stay within a DNS label
 * and label values within Kubernetes' rules for long or odd step ids, and
 * only the step's environment goes in (outputs file set for the pod).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Job } from "kubernetes-models/batch/v1/Job";
import { labelValue, POD_OUTPUTS_FILE, STEP_LABELS, stepJob, stepJobName } from "./step-job-object.js";

const base = { namespace: "ml-jobs", pipelineRunId: "0123456789abcdef0123456789abcdef", stepRunId: "fedcba9876543210fedcba9876543210", attempt: 1, image: "registry.example.com/runner:1", ttlSecondsAfterFinished: 3600 };

test("a shell step's Job validates, with backoffLimit 0, the deadline, the TTL, its labels on the Job and its pods", () => {
  const job = stepJob({ ...base, stepId: "train", shell: "python train.py", env: { A: "1", SKIPPED: undefined }, timeoutSeconds: 12.5 });
  new Job(job as never).validate();
  assert.equal(job.spec.backoffLimit, 0);
  assert.equal(job.spec.activeDeadlineSeconds, 13, "rounded up to whole seconds");
  assert.equal(job.spec.ttlSecondsAfterFinished, 3600);
  const c = job.spec.template.spec.containers[0];
  assert.deepEqual(c.command.slice(0, 2), ["/bin/sh", "-c"]);
  assert.deepEqual(c.command.slice(-3), ["/bin/sh", "-c", "python train.py"]);
  assert.deepEqual(c.env, [
    { name: "A", value: "1" },
    { name: "CICLO_STEP_OUTPUTS", value: POD_OUTPUTS_FILE },
  ]);
  assert.deepEqual(job.metadata.labels, job.spec.template.metadata.labels);
  assert.equal(job.metadata.labels[STEP_LABELS.attempt], "1");
  assert.equal(job.metadata.labels[STEP_LABELS.job], job.metadata.name);
});

test("an argv step runs its words as given; long and odd step ids still make valid names and labels", () => {
  const id = `Step_${"x".repeat(59)}`; // 64 characters, as ciclo.yaml allows
  const job = stepJob({ ...base, stepId: id, argv: ["ciclo", "models", "register", "runs:/r/model", "churn", "--json"], env: {} });
  new Job(job as never).validate();
  assert.ok(job.metadata.name.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(job.metadata.name), job.metadata.name);
  assert.deepEqual(job.spec.template.spec.containers[0].command.slice(-6), ["ciclo", "models", "register", "runs:/r/model", "churn", "--json"]);
  const v = labelValue(id);
  assert.ok(v.length <= 63 && /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/.test(v), v);
  assert.notEqual(labelValue(`${id}a`), labelValue(`${id}b`), "shortened values stay distinct");
  assert.equal(labelValue("train"), "train");
  assert.notEqual(stepJobName("train", base.stepRunId, 1), stepJobName("train", base.stepRunId, 2), "one Job per attempt");
  assert.throws(() => stepJob({ ...base, stepId: "x", env: {} }), /no command/);
});
