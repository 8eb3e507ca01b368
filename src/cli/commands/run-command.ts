/** `ciclo run`: runs an entry point of a project (ciclo.yaml or MLproject) as a tracked run. */
import type { Command } from "commander";
import { projectContextCapture } from "../../projects/project-context.js";
import { parseParamAssignments } from "../../projects/project-parameters.js";
import { ProjectError } from "../../projects/project-spec.js";
import { runProject } from "../../projects/project-runner.js";
import { trackingUriFromEnv } from "../../sdk/sdk-config.js";

interface RunFlags {
  entryPoint: string;
  paramList?: string[];
  experimentName?: string;
  experimentId?: string;
  runName?: string;
  trackingUri?: string;
  json?: boolean;
  capture: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The command that runs this ciclo — node and the bin it was started as — for an entry point's `$CICLO`. */
export function thisCiclo(): string[] {
  return [process.execPath, process.argv[1]];
}

export function registerRunCommand(program: Command): void {
  program
    .command("run")
    .description("Run an entry point of a project (ciclo.yaml or MLproject) as a new tracked run")
    .argument("[project]", "project folder", ".")
    .option("-e, --entry-point <name>", "entry point of the project file, or a .js/.py/.sh file of the project", "main")
    .option("-P, --param-list <key=value>", "a parameter (repeat for several); undeclared keys go to the command as --key value", collect)
    .option("--experiment-name <name>", "experiment of the run (created if absent; default: $CICLO_EXPERIMENT_NAME or Default)")
    .option("--experiment-id <id>", "experiment id of the run")
    .option("--run-name <name>", "name of the run (default: a generated one)")
    .option("--tracking-uri <uri>", "tracking server (default: $CICLO_TRACKING_URI, $MLFLOW_TRACKING_URI, http://127.0.0.1:5000)")
    .option("--no-capture", "do not record git state, diff patch and lock files")
    .option("--json", "print {runId, experimentId, status, exitCode} on stdout (the command's output goes to stderr)")
    .addHelpText(
      "after",
      `
The parameters are checked against the entry point (types string, float, int,
path, uri; required ones without a default) before the run is created. The run
records the parameters, the git commit/branch/remote, a patch of uncommitted
changes and the lock file, then the command runs in the project folder with
CICLO_RUN_ID / MLFLOW_RUN_ID, CICLO_TRACKING_URI / MLFLOW_TRACKING_URI and
MLFLOW_EXPERIMENT_ID set: the ciclo SDK's startRun() and Python's
mlflow.start_run() log into that run. Ctrl-C and SIGTERM are passed on to the
command. Parameter values are shell-quoted: they can never run as commands.

Exit code: the command's (128 + n when it died by signal n); the run ends
FINISHED (0), FAILED (other codes) or KILLED (signal). 2: bad project or
parameters (no run created).

Examples:
  $ ciclo run . -e train -P lr=0.1 -P epochs=20
  $ ciclo run ./examples/churn --experiment-name churn --run-name baseline
  $ ciclo run . -e train.js -P seed=7          # a script as entry point: node train.js --seed 7
  $ ciclo run . -e main -P alpha=0.5           # an MLflow MLproject, read as-is
  $ ciclo run . -e train --json | jq -r .runId

ciclo.yaml:
  name: churn
  env: { node: npm }
  entry_points:
    train:
      parameters:
        lr: { type: float, default: 0.1 }
        epochs: { type: int, default: 10 }
        data: path
      command: node train.js --lr {lr} --epochs {epochs} --data {data}`,
    )
    .action(async (projectDir: string, flags: RunFlags) => {
      const trackingUri = flags.trackingUri ?? trackingUriFromEnv();
      let result;
      try {
        result = await runProject({
          projectDir,
          entryPoint: flags.entryPoint,
          params: parseParamAssignments(flags.paramList ?? []),
          trackingUri,
          experimentName: flags.experimentName,
          experimentId: flags.experimentId,
          runName: flags.runName,
          cli: thisCiclo(),
          contextCapture: flags.capture && !/^(0|false|off)$/i.test(process.env.CICLO_CONTEXT_CAPTURE ?? "") ? projectContextCapture(projectDir) : false,
          stdout: flags.json ? "stderr" : "stdout",
          log: (line) => console.error(`ciclo: ${line}`),
          onLoggingError: (e) => console.error(`ciclo: warning: ${e.message}`),
        });
      } catch (err) {
        if (err instanceof ProjectError) {
          console.error(`ciclo: ${err.message}`);
          process.exitCode = 2;
          return;
        }
        throw err;
      }
      if (flags.json) {
        const { runId, experimentId, status, exitCode, signal } = result;
        process.stdout.write(`${JSON.stringify({ runId, experimentId, status, exitCode, signal: signal ?? null })}\n`);
      }
      process.exitCode = result.exitCode;
    });
}
