/**
 * `ciclo sweep`: hyperparameter search over a project's entry point — each
 * trial a child run of the sweep's run, through the SDK against a tracking
 * server (like `ciclo run`). Settings come from the `sweep:` block of
 * ciclo.yaml, overridden by flags; `--resume` continues a sweep from its runs.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import type { Command } from "commander";
import { parseParamAssignments } from "../../projects/project-parameters.js";
import { ProjectError } from "../../projects/project-spec.js";
import { SweepSpecError } from "../../pipelines/sweeps/sweep-spec-error.js";
import { checkProjectSweep, runProjectSweep } from "../../pipelines/sweeps/project/project-sweep.js";
import { randomSeed } from "../../pipelines/sweeps/rng.js";
import { rankTrials, SAMPLER_NAMES, SweepConfigError, type SamplerName } from "../../pipelines/sweeps/sampler.js";
import { parseSearchSpace } from "../../pipelines/sweeps/search-space-parser.js";
import { createSampler, type SweepConfig } from "../../pipelines/sweeps/sweep-config.js";
import { loadSweepBlock, parseDuration } from "../../pipelines/sweeps/sweep-spec.js";
import { TrackingSweepTracker } from "../../sdk/tracking-sweep-tracker.js";
import { getOrCreateExperiment } from "../../sdk/run-starter.js";
import { experimentFromEnv } from "../../sdk/sdk-config.js";
import { CliContext, collect, TRACKING_URI_HELP } from "../output/cli-context.js";
import { reportError, UsageError } from "../output/cli-errors.js";
import { createProgressBar } from "../output/progress-bar.js";
import { printSummary, sweepLinks, sweepProgress } from "./sweep-output.js";
import { SWEEP_EXAMPLES } from "./sweep-help.js";
import { thisCiclo } from "./run-command.js";

interface SweepFlags {
  entryPoint?: string;
  space?: string;
  metric?: string;
  mode?: string;
  trials?: string;
  parallel?: string;
  sampler?: string;
  earlyStop?: string;
  minResource?: string;
  reductionFactor?: string;
  intermediateMetric?: string;
  seed?: string;
  timeout?: string;
  paramList?: string[];
  experimentName?: string;
  experimentId?: string;
  runName?: string;
  resume?: string;
  pollMs?: string;
  showOutput?: boolean;
  capture: boolean;
  trackingUri?: string;
  json?: boolean;
}

const EXIT_INTERRUPTED = 130;

const int = (text: string | undefined, what: string, min = 1): number | undefined => {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min) throw new UsageError(`${what} must be an integer ≥ ${min}, got '${text}'.`);
  return Number(text);
};
const positive = (text: string | undefined, what: string): number | undefined => {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!(n > 0) || !Number.isFinite(n)) throw new UsageError(`${what} must be a number > 0, got '${text}'.`);
  return n;
};

/** Settings of a new sweep: the project's `sweep:` block, then the flags. */
function newSweepConfig(projectDir: string, flags: SweepFlags): SweepConfig {
  const block = loadSweepBlock(projectDir) ?? {};
  const space = flags.space ? parseSearchSpace(readFileSync(flags.space, "utf8"), basename(flags.space)) : block.space;
  if (!space) throw new UsageError("no search space: pass --space FILE, or give the project's ciclo.yaml a sweep.space.");
  const metric = flags.metric ?? block.metric;
  if (!metric) throw new UsageError("no objective: pass --metric KEY (the metric each trial logs), or set sweep.metric.");
  const mode = flags.mode ?? block.direction ?? "min";
  if (mode !== "min" && mode !== "max") throw new UsageError(`--mode must be min or max, got '${mode}'.`);
  const sampler = (flags.sampler ?? block.sampler ?? "tpe") as SamplerName;
  if (!SAMPLER_NAMES.includes(sampler)) throw new UsageError(`--sampler must be one of ${SAMPLER_NAMES.join(", ")}, got '${sampler}'.`);
  const timeoutMs = flags.timeout !== undefined ? parseDuration(flags.timeout) : block.timeoutMs;
  if (flags.timeout !== undefined && timeoutMs === undefined) throw new UsageError(`--timeout must be a duration such as 90s, 30m or 1h30m, got '${flags.timeout}'.`);
  let earlyStop = block.earlyStop;
  if (flags.earlyStop !== undefined) {
    if (flags.earlyStop === "none") earlyStop = undefined;
    else if (flags.earlyStop === "asha" || flags.earlyStop === "median") earlyStop = earlyStop?.rule === flags.earlyStop ? earlyStop : { rule: flags.earlyStop };
    else throw new UsageError(`--early-stop must be asha, median or none, got '${flags.earlyStop}'.`);
  }
  if (flags.minResource !== undefined || flags.reductionFactor !== undefined) {
    if (earlyStop?.rule !== "asha") throw new UsageError("--min-resource and --reduction-factor are ASHA settings: add --early-stop asha.");
    earlyStop = { ...earlyStop, minResource: positive(flags.minResource, "--min-resource") ?? earlyStop.minResource, reductionFactor: int(flags.reductionFactor, "--reduction-factor", 2) ?? earlyStop.reductionFactor };
  }
  const config: SweepConfig = {
    space,
    metric,
    direction: mode,
    sampler,
    seed: int(flags.seed, "--seed", 0) ?? block.seed ?? randomSeed(),
    maxTrials: 0,
    maxParallel: int(flags.parallel, "--parallel") ?? block.parallel ?? 1,
    timeoutMs,
    earlyStop,
    intermediateMetric: flags.intermediateMetric ?? block.intermediateMetric,
    project: { dir: projectDir, entryPoint: flags.entryPoint ?? block.entryPoint ?? "main", params: { ...block.params, ...parseParamAssignments(flags.paramList ?? []) } },
  };
  // A grid without --trials runs the whole grid (the sampler refuses continuous spaces here, before any run exists).
  const size = createSampler(config).size;
  config.maxTrials = int(flags.trials, "--trials") ?? block.trials ?? size ?? 20;
  return config;
}

const FIXED_ON_RESUME: Array<[keyof SweepFlags, string]> = [
  ["space", "--space"], ["metric", "--metric"], ["mode", "--mode"], ["sampler", "--sampler"], ["earlyStop", "--early-stop"],
  ["seed", "--seed"], ["entryPoint", "--entry-point"], ["paramList", "-P"], ["intermediateMetric", "--intermediate-metric"],
  ["minResource", "--min-resource"], ["reductionFactor", "--reduction-factor"], ["experimentName", "--experiment-name"], ["experimentId", "--experiment-id"],
];

export function registerSweepCommand(program: Command): void {
  program
    .command("sweep")
    .description("Search hyperparameters of a project's entry point: each trial a child run of one sweep run (random, grid or TPE search; ASHA or median early stopping)")
    .argument("[project]", "project folder (with ciclo.yaml or MLproject)", ".")
    .option("-e, --entry-point <name>", "entry point each trial runs (default: sweep.entry_point, else main)")
    .option("--space <file>", "search space, YAML or JSON (default: sweep.space of ciclo.yaml)")
    .option("--metric <key>", "objective: the metric trials log; its last value is the trial's result")
    .option("--mode <min|max>", "min: lower is better (default); max: higher is better")
    .option("--trials <n>", "trials to finish (default: the grid's size for grid, else 20)")
    .option("--parallel <n>", "trials running at once (default 1)")
    .option("--sampler <name>", "tpe (default), random or grid")
    .option("--early-stop <rule>", "asha, median or none: stop trials whose intermediate values lag")
    .option("--min-resource <step>", "ASHA: step of the first rung (default 1)")
    .option("--reduction-factor <n>", "ASHA: keep the best 1/n at each rung (default 4)")
    .option("--intermediate-metric <key>", "metric early stopping watches by step (default: --metric)")
    .option("--seed <n>", "seed of the search (default: random, recorded on the sweep run)")
    .option("--timeout <duration>", "start no trial after this long (90s, 30m, 1h30m); running ones finish")
    .option("-P, --param-list <key=value>", "a fixed parameter for every trial (repeat for several)", collect)
    .option("--experiment-name <name>", "experiment of the runs (created if absent)")
    .option("--experiment-id <id>", "experiment id of the runs")
    .option("--run-name <name>", "name of the sweep run")
    .option("--resume <sweep-run-id>", "continue an interrupted sweep (--trials, --parallel and --timeout may change)")
    .option("--poll-ms <ms>", "how often running trials' metrics are read for early stopping (default 1000)")
    .option("--show-output", "trial output to stderr (default: a log file per trial, uploaded as trial-N.log)")
    .option("--no-capture", "do not record git state on the runs")
    .option("--tracking-uri <uri>", TRACKING_URI_HELP)
    .option("--json", "print the summary as JSON on stdout")
    .addHelpText("after", SWEEP_EXAMPLES)
    .action(async (projectArg: string, flags: SweepFlags, cmd: Command) => {
      try {
        process.exitCode = await sweep(projectArg, flags, cmd.args.length === 0);
      } catch (err) {
        if (err instanceof ProjectError || err instanceof SweepSpecError || err instanceof SweepConfigError || err instanceof RangeError) {
          process.stderr.write(`ciclo sweep: ${err.message}\n`);
          process.exitCode = 2;
        } else reportError(err, "sweep");
      }
    });
}

async function sweep(projectArg: string, flags: SweepFlags, projectDefaulted: boolean): Promise<number> {
  const ctx = new CliContext(flags);
  const client = ctx.tracking;
  const artifacts = ctx.artifacts();
  let resumed: TrackingSweepTracker | undefined;
  let config: SweepConfig;
  if (flags.resume) {
    const fixed = FIXED_ON_RESUME.filter(([k]) => flags[k] !== undefined).map(([, f]) => f);
    if (fixed.length > 0) throw new UsageError(`${fixed.join(", ")} cannot change when resuming: the sweep keeps its recorded settings.`);
    resumed = await TrackingSweepTracker.open(client, artifacts, flags.resume);
    config = resumed.config;
    if (!projectDefaulted && config.project) config.project.dir = projectArg;
    config.maxTrials = int(flags.trials, "--trials") ?? config.maxTrials;
    config.maxParallel = int(flags.parallel, "--parallel") ?? config.maxParallel;
    if (flags.timeout !== undefined) config.timeoutMs = parseDuration(flags.timeout);
  } else {
    config = newSweepConfig(projectArg, flags);
  }
  const setup = checkProjectSweep(config);
  config = setup.config;
  let experimentId: string | undefined;
  if (!resumed) {
    const fromEnv = experimentFromEnv();
    const name = flags.experimentName ?? fromEnv.name;
    experimentId = flags.experimentId ?? (name ? (await getOrCreateExperiment(client, name)).experimentId : (fromEnv.experimentId ?? "0"));
  }

  const bar = createProgressBar();
  const log = (line: string) => (ctx.json ? process.stderr.write(`${line}\n`) : bar.log(line));
  const abort = new AbortController();
  let sweepRunId = flags.resume ?? "";
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupts++;
    if (interrupts === 1) {
      log(`${sig}: stopping the running trials; resume with: ciclo sweep --resume ${sweepRunId}`);
      abort.abort();
    } else process.exit(EXIT_INTERRUPTED);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const t0 = Date.now();
  try {
    const { result, tracker } = await runProjectSweep({
      client,
      artifacts,
      trackingUri: ctx.trackingUri,
      cli: thisCiclo(),
      setup,
      tracker: resumed,
      experimentId,
      runName: flags.runName,
      capture: flags.capture && !/^(0|false|off)$/i.test(process.env.CICLO_CONTEXT_CAPTURE ?? ""),
      showOutput: flags.showOutput,
      pollMs: int(flags.pollMs, "--poll-ms"),
      signal: abort.signal,
      onStart: (t) => {
        sweepRunId = t.sweepRunId;
        log(`Sweep ${t.sweepRunId} in experiment ${t.experimentId}: ${config.sampler} search of ${config.metric} (${config.direction}), ${config.maxTrials} trials, ${config.maxParallel} at a time, seed ${config.seed}${config.earlyStop ? `, ${config.earlyStop.rule} early stopping` : ""}${resumed ? " (resumed)" : ""}`);
      },
      onEvent: sweepProgress({ ...bar, log }, config.maxTrials, config.metric, ctx.errColors),
      warn: (message) => ctx.note(`ciclo sweep: ${message}`),
    });
    bar.stop();
    const ranked = rankTrials(result.trials.filter((t) => t.state === "complete"), config.direction);
    const trialRunIds = ranked.map((t) => result.runIds.get(t.number)).filter((id): id is string => id !== undefined);
    const links = sweepLinks(ctx.trackingUri, tracker.experimentId, tracker.sweepRunId, config.metric, trialRunIds);
    const elapsedMs = Date.now() - t0;
    if (ctx.json) {
      process.stdout.write(`${JSON.stringify({ sweepRunId: tracker.sweepRunId, experimentId: tracker.experimentId, status: result.status, elapsedMs, seed: config.seed, summary: result.summary, links })}\n`);
    } else {
      printSummary((l) => ctx.out(l), result.summary, { sweepRunId: tracker.sweepRunId, status: result.status, elapsedMs, links }, ctx.colors);
      if (result.timedOut) ctx.note("The time budget ran out: no more trials were started.");
      if (result.exhausted) ctx.note("Every point of the grid has been tried.");
      if (result.interrupted) ctx.note(`Interrupted. Resume with: ciclo sweep --resume ${tracker.sweepRunId}`);
    }
    return result.status === "FINISHED" ? 0 : result.status === "KILLED" ? EXIT_INTERRUPTED : 1;
  } finally {
    bar.stop();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
