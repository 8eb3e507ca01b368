/** `ciclo jobs list|get|logs|cancel|retry|schedules`: the server's background jobs, through its REST API. */
import type { Command } from "commander";
import { type Job, type JobLogLine, JOB_STATES, type JobState } from "../../jobs/types.js";
import { CliContext, collect, parsePositiveInt, withCommonOptions, type CommonFlags } from "../output/cli-context.js";
import { cliAction, EXIT, UsageError, usageExitCodes } from "../output/cli-errors.js";
import { formatDuration, formatTime } from "../output/format.js";
import type { Column } from "../output/table.js";

const JOB_COLUMNS: Column<Job>[] = [
  { header: "ID", value: (j) => j.jobId, align: "right", shrink: false },
  { header: "TYPE", value: (j) => j.type },
  { header: "STATE", value: (j) => j.state, shrink: false },
  { header: "ATTEMPTS", value: (j) => `${j.attempts}/${j.maxAttempts}`, align: "right", shrink: false },
  { header: "PROGRESS", value: (j) => (j.progress === null ? "" : `${Math.round(j.progress * 100)}%`), align: "right", shrink: false },
  { header: "CREATED", value: (j) => formatTime(j.createdAt), shrink: false },
  { header: "TOOK", value: (j) => (j.startedAt && j.finishedAt ? formatDuration(j.finishedAt - j.startedAt) : ""), align: "right", shrink: false },
  { header: "ERROR", value: (j) => j.error ?? "" },
];

function parseStates(values: string[] | undefined): JobState[] | undefined {
  const states = values?.flatMap((v) => v.split(",")).map((s) => s.trim().toLowerCase()).filter((s) => s !== "");
  for (const s of states ?? []) {
    if (!(JOB_STATES as readonly string[]).includes(s)) throw new UsageError(`--state must be one of ${JOB_STATES.join(", ")}, got '${s}'.`);
  }
  return states as JobState[] | undefined;
}

function printLine(cli: CliContext, l: JobLogLine): void {
  const level = l.level === "error" ? cli.colors.red(l.level) : l.level === "warn" ? cli.colors.yellow(l.level) : cli.colors.dim(l.level);
  cli.out(`${cli.colors.dim(formatTime(l.time))} ${level} ${l.message}`);
}

function printJob(cli: CliContext, j: Job): void {
  const rows: Array<[string, string]> = [
    ["id", j.jobId],
    ["type", j.type],
    ["state", j.cancelRequested && j.state === "running" ? "running (cancel requested)" : j.state],
    ["attempts", `${j.attempts} of ${j.maxAttempts}`],
    ["progress", j.progress === null ? "-" : `${Math.round(j.progress * 100)}%${j.progressMessage ? ` ${j.progressMessage}` : ""}`],
    ["created", formatTime(j.createdAt)],
    ["run after", formatTime(j.runAfter)],
    ["started", formatTime(j.startedAt)],
    ["finished", formatTime(j.finishedAt)],
    ["worker", j.leaseOwner ?? "-"],
    ["schedule", j.schedule ?? "-"],
    ["idempotency key", j.idempotencyKey ?? "-"],
    ["payload", JSON.stringify(j.payload)],
    ["result", j.result === null ? "-" : JSON.stringify(j.result)],
    ["error", j.error ?? "-"],
    ["log lines", String(j.logCount)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) cli.out(`${cli.colors.bold(k.padEnd(width))}  ${v}`);
}

export function registerJobsCommand(program: Command): void {
  const jobs = usageExitCodes(program.command("jobs").description("List, inspect, follow, cancel and retry the server's background jobs"));

  withCommonOptions(jobs.command("list"))
    .description("List jobs, newest first")
    .option("--state <state>", "only jobs in this state: queued, running, succeeded, failed, cancelled (comma-separated, repeatable)", collect)
    .option("--type <type>", "only jobs of this type, e.g. gc.purge (repeatable)", collect)
    .option("--all", "also the every-minute tick jobs of the server's schedules (monitoring.tick, pipeline-triggers.tick), hidden by default")
    .option("--max-results <n>", "at most n jobs", "50")
    .addHelpText(
      "after",
      `
Without --type or --all, the jobs of the server's *.tick schedules (two a minute, each only enqueues the work that is
due) are left out, so the list shows the work itself: rollouts, restarts, pipeline runs, monitor runs, purges.

Examples:
  $ ciclo jobs list
  $ ciclo jobs list --all
  $ ciclo jobs list --state failed,running
  $ ciclo jobs list --type gc.purge --max-results 5 --json`,
    )
    .action(
      cliAction("jobs list", async (flags: CommonFlags & { state?: string[]; type?: string[]; all?: boolean; maxResults?: string }) => {
        const cli = new CliContext(flags);
        const limit = parsePositiveInt(flags.maxResults, "--max-results") ?? 50;
        const states = parseStates(flags.state);
        const types = flags.type?.flatMap((t) => t.split(",")).filter((t) => t !== "");
        // The ticks are found from the server's schedules, not named here: a module may add its own.
        const excludeTypes = types?.length || flags.all ? undefined : [...new Set((await cli.jobs.schedules()).map((s) => s.type).filter((t) => t.endsWith(".tick")))];
        const out: Job[] = [];
        let pageToken: string | undefined;
        do {
          const page = await cli.jobs.list({ states, types, excludeTypes: excludeTypes?.length ? excludeTypes : undefined, maxResults: Math.min(1000, limit - out.length), pageToken });
          out.push(...page.items);
          pageToken = page.nextPageToken;
        } while (pageToken && out.length < limit);
        cli.emit(out, () => cli.table(JOB_COLUMNS, out, excludeTypes?.length ? `No jobs (the schedules' tick jobs are hidden: --all shows them).` : "No jobs."));
      }),
    );

  withCommonOptions(jobs.command("get"))
    .description("Show one job: state, attempts, progress, payload, result, error")
    .argument("<job-id>")
    .addHelpText("after", "\nExamples:\n  $ ciclo jobs get 42\n  $ ciclo jobs get 42 --json | jq .state")
    .action(
      cliAction("jobs get", async (id: string, flags: CommonFlags) => {
        const cli = new CliContext(flags);
        const job = await cli.jobs.get(id);
        cli.emit(job, () => printJob(cli, job));
      }),
    );

  withCommonOptions(jobs.command("logs"))
    .description("Print a job's log lines; --follow waits for new ones until the job ends")
    .argument("<job-id>")
    .option("-f, --follow", "keep printing lines as they are written, until the job has finished")
    .option("--after <seq>", "only lines after this sequence number")
    .addHelpText(
      "after",
      `
With --follow the command exits 0 when the job succeeded, 1 when it failed or
was cancelled (so a script can wait on a job). --json prints one JSON line per
log line.

Examples:
  $ ciclo jobs logs 42
  $ ciclo jobs logs 42 --follow`,
    )
    .action(
      cliAction("jobs logs", async (id: string, flags: CommonFlags & { follow?: boolean; after?: string }) => {
        const cli = new CliContext(flags);
        const after = flags.after === undefined ? 0 : parsePositiveInt(flags.after, "--after")!;
        const emit = (l: JobLogLine) => (cli.json ? cli.out(JSON.stringify(l)) : printLine(cli, l));
        if (!flags.follow) {
          let seq = after;
          for (;;) {
            const page = await cli.jobs.logs(id, { afterSeq: seq, maxResults: 5000 });
            page.lines.forEach(emit);
            if (page.lines.length === 0) return;
            seq = page.nextSeq;
          }
        }
        for await (const l of cli.jobs.follow(id, { afterSeq: after })) emit(l);
        const job = await cli.jobs.get(id);
        if (!cli.json) cli.note(`job ${job.jobId} ${job.state}${job.error ? `: ${job.error}` : ""}`);
        if (job.state !== "succeeded") process.exitCode = EXIT.FAILURE;
      }),
    );

  withCommonOptions(jobs.command("cancel"))
    .description("Cancel a job: a queued one never starts; a running one is asked to stop")
    .argument("<job-id>")
    .addHelpText("after", "\nExamples:\n  $ ciclo jobs cancel 42")
    .action(
      cliAction("jobs cancel", async (id: string, flags: CommonFlags) => {
        const cli = new CliContext(flags);
        const job = await cli.jobs.cancel(id);
        cli.emit(job, () => cli.out(job.state === "cancelled" ? `Cancelled job ${job.jobId}.` : `Asked job ${job.jobId} to stop; it is still ${job.state}.`));
      }),
    );

  withCommonOptions(jobs.command("retry"))
    .description("Queue a failed or cancelled job again, with its attempts anew")
    .argument("<job-id>")
    .addHelpText("after", "\nExamples:\n  $ ciclo jobs retry 42 && ciclo jobs logs 42 --follow")
    .action(
      cliAction("jobs retry", async (id: string, flags: CommonFlags) => {
        const cli = new CliContext(flags);
        const job = await cli.jobs.retry(id);
        cli.emit(job, () => cli.out(`Queued job ${job.jobId} again.`));
      }),
    );

  withCommonOptions(jobs.command("schedules"))
    .description("List the cron schedules that enqueue jobs")
    .addHelpText("after", "\nExamples:\n  $ ciclo jobs schedules")
    .action(
      cliAction("jobs schedules", async (flags: CommonFlags) => {
        const cli = new CliContext(flags);
        const list = await cli.jobs.schedules();
        cli.emit(list, () =>
          cli.table(
            [
              { header: "NAME", value: (s) => s.name },
              { header: "TYPE", value: (s) => s.type },
              { header: "CRON", value: (s) => `${s.cron} (${s.timezone})`, shrink: false },
              { header: "NEXT RUN", value: (s) => formatTime(s.next_run_at), shrink: false },
              { header: "LAST RUN", value: (s) => formatTime(s.last_run_at), shrink: false },
              { header: "LAST JOB", value: (s) => s.last_job_id ?? "", align: "right", shrink: false },
            ],
            list,
            "No schedules.",
          ),
        );
      }),
    );
}
