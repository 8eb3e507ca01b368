/**
 * The `batch/v1` Job of one step attempt on the Kubernetes executor: the
 * pipeline's runner image, the step's command and environment (nothing of
 * the server's own environment), labels naming the pipeline run, the step,
 * its run and its attempt (how a restarted server finds it again),
 * `backoffLimit: 0` (ciclo does the retries, each attempt its own Job),
 * `activeDeadlineSeconds` from the step's timeout, `ttlSecondsAfterFinished`
 * so finished Jobs are cleaned up by the cluster.
 *
 * The container runs the step under a small `sh` wrapper that prints the
 * step's outputs file (`$CICLO_STEP_OUTPUTS`, GitHub-style `key=value`
 * lines) after the command, each line behind {@link OUTPUT_MARK}: the pod's
 * log is the only way back, so outputs travel in it.
 * @module
 */
import { createHash } from "node:crypto";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

export const STEP_LABELS = {
  managedBy: "app.kubernetes.io/managed-by",
  run: "ciclo.dev/pipeline-run",
  step: "ciclo.dev/pipeline-step",
  stepRun: "ciclo.dev/step-run",
  attempt: "ciclo.dev/step-attempt",
  job: "ciclo.dev/step-job",
} as const;
export const MANAGED_BY = "ciclo-pipelines";
/** Every Job (and pod) of the executor. */
export const STEP_SELECTOR = `${STEP_LABELS.managedBy}=${MANAGED_BY}`;
export const CONTAINER = "step";
export const OUTPUT_MARK = "::ciclo-output::";
/** Where the step writes its outputs inside the pod. */
export const POD_OUTPUTS_FILE = "/tmp/ciclo-step-outputs";

/** Runs `"$@"`, then prints the outputs file's lines behind the mark; exits with the command's code. */
const WRAPPER = [
  ': > "$CICLO_STEP_OUTPUTS" 2>/dev/null',
  '"$@"',
  "rc=$?",
  `if [ -s "$CICLO_STEP_OUTPUTS" ]; then while IFS= read -r l || [ -n "$l" ]; do printf '%s%s\\n' '${OUTPUT_MARK}' "$l"; done < "$CICLO_STEP_OUTPUTS"; fi`,
  "exit $rc",
].join("\n");

const hash = (s: string, n: number) => createHash("sha256").update(s).digest("hex").slice(0, n);

/** A label value (63 characters of `[A-Za-z0-9._-]`, alphanumeric at both ends); longer or odd values are shortened with a hash. */
export function labelValue(s: string): string {
  if (/^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/.test(s)) return s;
  const clean = s.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[^A-Za-z0-9]+/, "").slice(0, 50).replace(/[^A-Za-z0-9]+$/, "");
  return `${clean ? `${clean}-` : ""}${hash(s, 12)}`;
}

function dnsLabel(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/-+/g, "-").replace(/^-|-$/g, "");
}

/** The Job's name: the step, its run and the attempt — one Job per attempt, at most 63 characters (a pod label value). */
export function stepJobName(stepId: string, stepRunId: string, attempt: number): string {
  const step = dnsLabel(stepId).slice(0, 28).replace(/-$/, "") || "step";
  return `ciclo-${step}-${dnsLabel(stepRunId).slice(0, 12).replace(/-$/, "")}-${attempt}`;
}

export interface StepJobInput {
  namespace: string;
  pipelineRunId: string;
  stepId: string;
  /** The step's child run (one per step series; a resume starts a new one). */
  stepRunId: string;
  attempt: number;
  image: string;
  /** A shell command (`/bin/sh -c`) or an argument vector. */
  shell?: string;
  argv?: string[];
  env: Record<string, string | undefined>;
  timeoutSeconds?: number;
  ttlSecondsAfterFinished: number;
  serviceAccountName?: string;
}

export function stepJobLabels(i: Pick<StepJobInput, "pipelineRunId" | "stepId" | "stepRunId" | "attempt">): Record<string, string> {
  return {
    [STEP_LABELS.managedBy]: MANAGED_BY,
    [STEP_LABELS.run]: labelValue(i.pipelineRunId),
    [STEP_LABELS.step]: labelValue(i.stepId),
    [STEP_LABELS.stepRun]: labelValue(i.stepRunId),
    [STEP_LABELS.attempt]: String(i.attempt),
    [STEP_LABELS.job]: stepJobName(i.stepId, i.stepRunId, i.attempt),
  };
}

export function stepJob(i: StepJobInput): Obj {
  const name = stepJobName(i.stepId, i.stepRunId, i.attempt);
  const labels = stepJobLabels(i);
  const command = i.shell !== undefined ? ["/bin/sh", "-c", i.shell] : (i.argv ?? []);
  if (command.length === 0) throw new Error(`step '${i.stepId}' has no command to run`);
  const env = Object.entries({ ...i.env, CICLO_STEP_OUTPUTS: POD_OUTPUTS_FILE })
    .filter((e): e is [string, string] => e[1] !== undefined)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([n, value]) => ({ name: n, value }));
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, namespace: i.namespace, labels },
    spec: {
      backoffLimit: 0,
      ...(i.timeoutSeconds !== undefined && { activeDeadlineSeconds: Math.max(1, Math.ceil(i.timeoutSeconds)) }),
      ttlSecondsAfterFinished: i.ttlSecondsAfterFinished,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: "Never",
          ...(i.serviceAccountName && { serviceAccountName: i.serviceAccountName }),
          containers: [{ name: CONTAINER, image: i.image, command: ["/bin/sh", "-c", WRAPPER, "ciclo-step", ...command], env }],
        },
      },
    },
  };
}
