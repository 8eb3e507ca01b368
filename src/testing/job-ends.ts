/**
 * Test helper: the moment a job ends, from the worker itself. Pass `onAttempt`
 * to `jobsModule(config, { onAttempt })`; `ended(jobId)` resolves once that
 * job's last attempt has ended (succeeded, failed or cancelled), whether that
 * happened before or after it was asked. The bound only stops a broken run
 * from hanging the suite.
 * @module
 */
import type { AttemptOutcome } from "../jobs/job-attempt.js";
import type { Job } from "../jobs/types.js";

const FINAL: ReadonlySet<AttemptOutcome> = new Set(["succeeded", "failed", "cancelled"]);

export interface JobEnds {
  onAttempt(job: Job, outcome: AttemptOutcome): void;
  ended(jobId: string, timeoutMs?: number): Promise<AttemptOutcome>;
}

export function jobEnds(): JobEnds {
  const ends = new Map<string, { outcome: Promise<AttemptOutcome>; settle(o: AttemptOutcome): void }>();
  const entry = (jobId: string) => {
    let e = ends.get(jobId);
    if (!e) {
      let settle!: (o: AttemptOutcome) => void;
      const outcome = new Promise<AttemptOutcome>((resolve) => (settle = resolve));
      e = { outcome, settle };
      ends.set(jobId, e);
    }
    return e;
  };
  return {
    onAttempt(job, outcome) {
      if (FINAL.has(outcome)) entry(job.jobId).settle(outcome);
    },
    async ended(jobId, timeoutMs = 120_000) {
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`job ${jobId} did not end within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        return await Promise.race([entry(jobId).outcome, bound]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
