/** `ciclo reproduce`: runs a recorded project run again from its recorded code, and compares. */
import type { Command } from "commander";
import { projectContextCapture } from "../../projects/project-context.js";
import { ProjectError } from "../../projects/project-spec.js";
import { ReproduceError } from "../../projects/reproduce-plan.js";
import { reproduceRun, type ReproduceResult } from "../../projects/reproduce.js";
import { formatComparison } from "../../projects/run-comparison.js";
import { trackingUriFromEnv } from "../../sdk/sdk-config.js";
import { thisCiclo } from "./run-command.js";

interface ReproduceFlags {
  workDir?: string;
  source?: string;
  install: boolean;
  offline?: boolean;
  capture: boolean;
  experimentName?: string;
  runName?: string;
  trackingUri?: string;
  tolerance: string;
  failOnDiff?: boolean;
  json?: boolean;
}

export function registerReproduceCommand(program: Command): void {
  program
    .command("reproduce")
    .description("Re-run a project run from its recorded commit, patch, lock file and parameters, and compare the results")
    .argument("<run_id>", "the run to reproduce (made by `ciclo run`, `mlflow run`, or a script using the ciclo SDK)")
    .option("--work-dir <dir>", "new or empty folder to rebuild the code in (default: a new temp folder, kept)")
    .option("--source <path-or-url>", "clone from this repository instead of the recorded remote / local work tree")
    .option("--no-install", "do not reinstall dependencies from the recorded lock file")
    .option("--offline", "reinstall from the local package cache only, never the network (packages come from the cache first anyway)")
    .option("--experiment-name <name>", "experiment of the new run (default: the original's)")
    .option("--run-name <name>", "name of the new run (default: <original name>-reproduced)")
    .option("--tracking-uri <uri>", "tracking server (default: $CICLO_TRACKING_URI, $MLFLOW_TRACKING_URI, http://127.0.0.1:5000)")
    .option("--tolerance <relative>", "metrics within this relative difference count as equal", "0")
    .option("--fail-on-diff", "exit with code 3 when a metric differs (or is missing)")
    .option("--no-capture", "do not record git state and lock files on the new run")
    .option("--json", "print the result and the comparison as JSON on stdout (other output goes to stderr)")
    .addHelpText(
      "after",
      `
Steps: read the run's recorded commit, remote, project folder, entry point and
parameters (for a script run with the SDK: its command line and folder); clone
the remote (or, when it lacks the commit, the work tree the run came from) into
a fresh folder and check the commit out; apply the recorded patch of uncommitted changes; put the recorded package.json and lock file back
and reinstall (npm ci --prefer-offline, or pnpm/yarn install --frozen-lockfile:
packages from the local cache first; --offline: only from it); run the same entry
point with the same parameters as a new run of the same experiment, tagged
ciclo.reproduce.of=<run_id>; print params and metrics side by side
("=" equal, "≠" different, with the difference).

Only reproduce runs you trust: this runs the recorded code on your machine.

Exit codes: 0 reproduced (metrics may differ, see --fail-on-diff); the
command's own code when it fails; 2 the run cannot be reproduced (nothing
recorded, commit not found, patch does not apply, install failed); 3 metrics
differ and --fail-on-diff was given.

Examples:
  $ ciclo reproduce 3f2a9c0d1e…
  $ ciclo reproduce 3f2a9c0d1e… --offline          # no network: dependencies from the npm cache
  $ ciclo reproduce 3f2a9c0d1e… --work-dir ./repro --source git@github.com:org/churn.git
  $ ciclo reproduce 3f2a9c0d1e… --tolerance 1e-6 --fail-on-diff     # in CI
  $ ciclo reproduce 3f2a9c0d1e… --json | jq '.comparison.metrics[] | select(.equal | not)'`,
    )
    .action(async (runId: string, flags: ReproduceFlags) => {
      const tolerance = Number(flags.tolerance);
      if (!Number.isFinite(tolerance) || tolerance < 0) throw new Error(`--tolerance must be a number ≥ 0, not '${flags.tolerance}'.`);
      const captureOn = flags.capture && !/^(0|false|off)$/i.test(process.env.CICLO_CONTEXT_CAPTURE ?? "");
      let result: ReproduceResult;
      try {
        result = await reproduceRun({
          runId,
          trackingUri: flags.trackingUri ?? trackingUriFromEnv(),
          cli: thisCiclo(),
          workDir: flags.workDir,
          source: flags.source,
          install: flags.install,
          offline: flags.offline === true,
          experimentName: flags.experimentName,
          runName: flags.runName,
          tolerance,
          contextCapture: captureOn ? projectContextCapture : undefined,
          stdout: flags.json ? "stderr" : "stdout",
          log: (line) => console.error(`ciclo: ${line}`),
          onLoggingError: (e) => console.error(`ciclo: warning: ${e.message}`),
        });
      } catch (err) {
        if (err instanceof ReproduceError || err instanceof ProjectError) {
          console.error(`ciclo: ${err.message}`);
          process.exitCode = 2;
          return;
        }
        throw err;
      }
      const { run, comparison } = result;
      if (flags.json) {
        const out = {
          originalRunId: runId,
          runId: run.runId,
          experimentId: run.experimentId,
          status: run.status,
          exitCode: run.exitCode,
          workDir: result.workDir,
          source: result.source,
          commit: result.plan.commit,
          entryPoint: result.plan.entryPoint,
          parameters: result.plan.params,
          comparison,
        };
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      } else {
        console.log(`Reproduced run ${runId} as run ${run.runId}: ${run.status} (exit code ${run.exitCode}); code in ${result.workDir}`);
        console.log("");
        for (const line of formatComparison(comparison)) console.log(line);
      }
      if (run.exitCode !== 0) process.exitCode = run.exitCode;
      else if (flags.failOnDiff && !comparison.metricsMatch) process.exitCode = 3;
    });
}
