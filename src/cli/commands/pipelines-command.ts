/**
 * `ciclo pipelines run|list|status|logs|cancel|resume|approve|reject|
 * approvals|register|definitions`: pipelines on a server, through its REST API.
 * `run --wait` is made for CI: progress on stderr while it waits, a summary
 * table of the steps at the end, exit 0 only when the run succeeded.
 * @module
 */
import { pipelineRunTook, stepsDone } from "../../shared/wire/pipeline-progress.js";
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import type { PipelineLogLine, PipelineRun } from "../../sdk/pipelines-client.js";
import { CliContext, collect, parsePositiveInt, withCommonOptions, type CommonFlags } from "../output/cli-context.js";
import { cliAction, EXIT, UsageError, usageExitCodes } from "../output/cli-errors.js";
import { formatDuration, formatTime } from "../output/format.js";
import type { Column } from "../output/table.js";

type Step = PipelineRun["steps"][number];

const STEP_COLUMNS: Column<Step>[] = [
  { header: "STEP", value: (s) => s.step_id, shrink: false },
  { header: "USES", value: (s) => s.uses, shrink: false },
  { header: "STATUS", value: (s) => s.status, shrink: false },
  { header: "ATTEMPTS", value: (s) => String(s.attempt), align: "right", shrink: false },
  { header: "TOOK", value: (s) => (s.started_at && s.finished_at ? formatDuration(s.finished_at - s.started_at) : ""), align: "right", shrink: false },
  { header: "RUN", value: (s) => s.child_run_id ?? "", shrink: false },
  { header: "DETAIL", value: (s) => s.error ?? (s.cached_from ? `cached from ${s.cached_from}` : "") },
];

const RUN_COLUMNS: Column<PipelineRun>[] = [
  { header: "RUN", value: (r) => r.run_id, shrink: false },
  { header: "PIPELINE", value: (r) => r.pipeline },
  { header: "STATUS", value: (r) => r.status, shrink: false },
  { header: "TRIGGER", value: (r) => r.trigger.kind, shrink: false },
  { header: "STEPS", value: (r) => `${stepsDone(r.steps)}/${r.steps.length}`, align: "right", shrink: false },
  { header: "STARTED", value: (r) => formatTime(r.created_at), shrink: false },
  { header: "TOOK", value: (r) => tookText(r, false), align: "right", shrink: false },
  { header: "ERROR", value: (r) => r.error ?? "" },
];

/** `k=v` words into inputs (the server types them by the pipeline's declaration). */
function parseParams(words: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const w of words ?? []) {
    const eq = w.indexOf("=");
    if (eq <= 0) throw new UsageError(`--param '${w}' must be written key=value.`);
    const k = w.slice(0, eq);
    if (k in out) throw new UsageError(`--param ${k} is given twice.`);
    out[k] = w.slice(eq + 1);
  }
  return out;
}

/** A local folder becomes its absolute path (the server reads the same disk); anything else (a registered name, a git URI) is passed on. */
function projectArg(p: string): string {
  return existsSync(p) && statSync(p).isDirectory() ? resolve(p) : p;
}

/** Time spent running; a resumed run says so, and in full also the time since its first start. */
function tookText(r: PipelineRun, full: boolean): string {
  const took = pipelineRunTook(r);
  if (!took) return "";
  if (!took.resumed) return formatDuration(took.runningMs);
  return full ? `${formatDuration(took.runningMs)} running (resumed; ${formatDuration(took.sinceFirstStartMs)} since its first start)` : `${formatDuration(took.runningMs)} (resumed)`;
}

function printRun(cli: CliContext, r: PipelineRun): void {
  const status = r.status === "succeeded" ? cli.colors.green(r.status) : r.status === "failed" || r.status === "cancelled" ? cli.colors.red(r.status) : cli.colors.yellow(r.status);
  cli.out(`Pipeline ${cli.colors.bold(r.pipeline)} run ${r.run_id}: ${status}${r.error ? ` (${r.error})` : ""}`);
  cli.out(`trigger ${r.trigger.kind}${r.trigger.actor ? ` by ${r.trigger.actor}` : ""}, experiment ${r.experiment_id}, started ${formatTime(r.created_at)}${r.finished_at ? `, took ${tookText(r, true)}` : ""}`);
  cli.table(STEP_COLUMNS, r.steps, "No steps.");
  for (const a of r.approvals.filter((x) => x.state === "pending")) {
    cli.out(`Waiting for approval of '${a.step_id}'${a.approvers.length ? ` by ${a.approvers.join(" or ")}` : ""}: ciclo pipelines approve ${r.run_id} ${a.step_id}`);
  }
}

function printLogLine(cli: CliContext, l: PipelineLogLine): void {
  const tag = l.stream === "ciclo" ? cli.colors.dim(`[${l.step_id}]`) : `[${l.step_id}]`;
  cli.out(`${tag} ${l.stream === "stderr" ? cli.colors.yellow(l.line) : l.line}`);
}

async function waitForRun(cli: CliContext, runId: string, follow: boolean, json: boolean): Promise<PipelineRun> {
  const stop = new AbortController();
  const following = follow
    ? (async () => {
        try {
          for await (const l of cli.pipelines.follow(runId, { signal: stop.signal })) {
            if (json) process.stderr.write(`[${l.step_id}] ${l.line}\n`);
            else printLogLine(cli, l);
          }
        } catch (err) {
          if (!stop.signal.aborted) throw err;
        }
      })()
    : undefined;
  const seen = new Map<string, string>();
  const run = await cli.pipelines.wait(runId, {
    onChange: (r) => {
      for (const s of r.steps) {
        if (seen.get(s.step_id) === s.status) continue;
        seen.set(s.step_id, s.status);
        if (s.status !== "pending") cli.note(`${formatTime(Date.now())} ${s.step_id}: ${s.status}${s.error ? ` (${s.error})` : ""}`);
        if (s.status === "waiting") cli.note(`  approve with: ciclo pipelines approve ${r.run_id} ${s.step_id}`);
      }
    },
  });
  await following;
  stop.abort();
  return run;
}

export function registerPipelinesCommand(program: Command): void {
  const pipelines = usageExitCodes(program.command("pipelines").description("Pipelines: run a project's pipeline on the server, follow it, cancel, resume, approve"));

  withCommonOptions(pipelines.command("run"))
    .description("Start a pipeline of a project (its ciclo.yaml) on the server; --wait waits and exits non-zero unless it succeeded")
    .argument("<pipeline>", "the pipeline's name under pipelines: in ciclo.yaml")
    .option("--project <dir-or-name>", "the project: a folder (the server must see it), a registered project name or a git URI", ".")
    .option("-p, --param <key=value>", "an input of the pipeline (repeatable)", collect)
    .option("--wait", "wait until the run has finished; print progress and a summary table")
    .option("-f, --follow", "with --wait, print the steps' log lines as they come")
    .option("--no-cache", "run every step, even those an identical earlier step could stand in for")
    .addHelpText(
      "after",
      `
Exit codes with --wait: 0 the run succeeded; 1 it failed or was cancelled (the
summary says which step and why); 2 usage; 3 no such project or pipeline.

Examples:
  $ ciclo pipelines run churn --wait
  $ ciclo pipelines run churn --project ./churn -p lr=0.05 -p train_data=data/2024.csv --wait --follow
  $ ciclo pipelines run nightly --project churn-repo --no-cache
  $ ciclo pipelines run churn --wait --json > run.json`,
    )
    .action(
      cliAction("pipelines run", async (name: string, flags: CommonFlags & { project: string; param?: string[]; wait?: boolean; follow?: boolean; cache: boolean }) => {
        const cli = new CliContext(flags);
        if (flags.follow && !flags.wait) throw new UsageError("--follow needs --wait.");
        const started = await cli.pipelines.start({ project: projectArg(flags.project), pipeline: name, inputs: parseParams(flags.param), noCache: flags.cache === false, actor: process.env.USER });
        cli.note(`Started pipeline ${name}: run ${started.run_id} (experiment ${started.experiment_id}).`);
        if (!flags.wait) {
          cli.emit(started, () => cli.out(started.run_id));
          return;
        }
        const run = await waitForRun(cli, started.run_id, flags.follow === true, cli.json);
        cli.emit(run, () => printRun(cli, run));
        if (run.status !== "succeeded") process.exitCode = EXIT.FAILURE;
      }),
    );

  withCommonOptions(pipelines.command("list"))
    .description("List pipeline runs, newest first")
    .option("--pipeline <name>", "only runs of this pipeline")
    .option("--status <status>", "only runs in this state: running, waiting, succeeded, failed, cancelled")
    .option("--max-results <n>", "at most n runs", "50")
    .addHelpText("after", "\nExamples:\n  $ ciclo pipelines list\n  $ ciclo pipelines list --pipeline churn --status failed --json")
    .action(
      cliAction("pipelines list", async (flags: CommonFlags & { pipeline?: string; status?: string; maxResults?: string }) => {
        const cli = new CliContext(flags);
        const runs = await cli.pipelines.list({ pipeline: flags.pipeline, status: flags.status, maxResults: parsePositiveInt(flags.maxResults, "--max-results") });
        cli.emit(runs, () => cli.table(RUN_COLUMNS, runs, "No pipeline runs."));
      }),
    );

  withCommonOptions(pipelines.command("status"))
    .description("Show a pipeline run: its steps' states, attempts, runs and errors; pending approvals")
    .argument("<run-id>")
    .addHelpText("after", "\nExamples:\n  $ ciclo pipelines status 3f2a…\n  $ ciclo pipelines status 3f2a… --json | jq '.steps[] | {step_id, status}'")
    .action(
      cliAction("pipelines status", async (runId: string, flags: CommonFlags) => {
        const cli = new CliContext(flags);
        const run = await cli.pipelines.get(runId);
        cli.emit(run, () => printRun(cli, run));
      }),
    );

  withCommonOptions(pipelines.command("logs"))
    .description("Print a pipeline run's log lines (all steps, or one); --follow waits for new ones until the run ends")
    .argument("<run-id>")
    .option("--step <step>", "only this step's lines")
    .option("-f, --follow", "keep printing lines as they are written, until the run has finished")
    .addHelpText("after", "\nWith --follow the command exits 0 when the run succeeded, 1 otherwise.\n\nExamples:\n  $ ciclo pipelines logs 3f2a…\n  $ ciclo pipelines logs 3f2a… --step train --follow")
    .action(
      cliAction("pipelines logs", async (runId: string, flags: CommonFlags & { step?: string; follow?: boolean }) => {
        const cli = new CliContext(flags);
        const print = (l: PipelineLogLine) => (cli.json ? cli.out(JSON.stringify(l)) : printLogLine(cli, l));
        if (flags.follow) {
          for await (const l of cli.pipelines.follow(runId, { step: flags.step })) print(l);
          if ((await cli.pipelines.get(runId)).status !== "succeeded") process.exitCode = EXIT.FAILURE;
          return;
        }
        let after = 0;
        for (;;) {
          const page = await cli.pipelines.logs(runId, { step: flags.step, afterSeq: after, maxResults: 5000 });
          for (const l of page.lines) print(l);
          if (page.lines.length < 5000) break;
          after = page.next_seq;
        }
      }),
    );

  withCommonOptions(pipelines.command("cancel"))
    .description("Cancel a pipeline run: queued steps never start, running ones are stopped")
    .argument("<run-id>")
    .addHelpText("after", "\nExamples:\n  $ ciclo pipelines cancel 3f2a…")
    .action(
      cliAction("pipelines cancel", async (runId: string, flags: CommonFlags) => {
        const cli = new CliContext(flags);
        const run = await cli.pipelines.cancel(runId);
        cli.emit(run, () => cli.out(`Cancelled pipeline run ${run.run_id}.`));
      }),
    );

  withCommonOptions(pipelines.command("resume"))
    .description("Run a failed or cancelled pipeline run again from its steps that did not succeed")
    .argument("<run-id>")
    .option("--wait", "wait until the run has finished (exit code as for run --wait)")
    .option("-f, --follow", "with --wait, print the steps' log lines as they come")
    .option("--no-cache", "run the resumed steps even when an identical earlier step could stand in for them")
    .addHelpText("after", "\nExamples:\n  $ ciclo pipelines resume 3f2a…\n  $ ciclo pipelines resume 3f2a… --wait --follow")
    .action(
      cliAction("pipelines resume", async (runId: string, flags: CommonFlags & { wait?: boolean; follow?: boolean; cache: boolean }) => {
        const cli = new CliContext(flags);
        if (flags.follow && !flags.wait) throw new UsageError("--follow needs --wait.");
        const resumed = await cli.pipelines.resume(runId, { noCache: flags.cache === false });
        if (!flags.wait) {
          cli.emit(resumed, () => cli.out(`Resumed pipeline run ${resumed.run_id}.`));
          return;
        }
        const run = await waitForRun(cli, runId, flags.follow === true, cli.json);
        cli.emit(run, () => printRun(cli, run));
        if (run.status !== "succeeded") process.exitCode = EXIT.FAILURE;
      }),
    );

  for (const verb of ["approve", "reject"] as const) {
    withCommonOptions(pipelines.command(verb))
      .description(verb === "approve" ? "Approve a waiting approve step: the pipeline goes on" : "Reject a waiting approve step: the pipeline run fails there")
      .argument("<run-id>")
      .argument("<step>", "the approve step's id")
      .option("-m, --comment <text>", "recorded with the answer")
      .option("--by <user>", "who answers, on a server without authentication (default: $USER)")
      .addHelpText("after", `\nExamples:\n  $ ciclo pipelines ${verb} 3f2a… gate -m "${verb === "approve" ? "metrics look right" : "wait for the holdout refresh"}"`)
      .action(
        cliAction(`pipelines ${verb}`, async (runId: string, step: string, flags: CommonFlags & { comment?: string; by?: string }) => {
          const cli = new CliContext(flags);
          const a = await cli.pipelines.answer(runId, step, { approved: verb === "approve", comment: flags.comment, by: flags.by ?? process.env.USER });
          cli.emit(a, () => cli.out(`${a.state === "approved" ? "Approved" : "Rejected"} step '${a.step_id}' of pipeline run ${a.run_id}${a.answered_by ? ` as ${a.answered_by}` : ""}.`));
        }),
      );
  }

  withCommonOptions(pipelines.command("approvals"))
    .description("List approvals: the pending ones by default (the inbox)")
    .option("--state <state>", "pending, approved or rejected", "pending")
    .addHelpText("after", "\nExamples:\n  $ ciclo pipelines approvals\n  $ ciclo pipelines approvals --state approved --json")
    .action(
      cliAction("pipelines approvals", async (flags: CommonFlags & { state: string }) => {
        const cli = new CliContext(flags);
        if (!["pending", "approved", "rejected"].includes(flags.state)) throw new UsageError(`--state must be pending, approved or rejected, got '${flags.state}'.`);
        const list = await cli.pipelines.approvals({ state: flags.state as "pending" });
        cli.emit(list, () =>
          cli.table(
            [
              { header: "RUN", value: (a) => a.run_id, shrink: false },
              { header: "STEP", value: (a) => a.step_id, shrink: false },
              { header: "PIPELINE", value: (a) => a.pipeline },
              { header: "STATE", value: (a) => a.state, shrink: false },
              { header: "APPROVERS", value: (a) => a.approvers.join(", ") || "anyone" },
              { header: "REQUESTED", value: (a) => formatTime(a.requested_at), shrink: false },
              { header: "MESSAGE", value: (a) => a.message ?? a.comment ?? "" },
            ],
            list,
            "No approvals.",
          ),
        );
      }),
    );

  withCommonOptions(pipelines.command("register"))
    .description("Register a project with the server (a name for a folder on its disk or a git URI), for triggers and the UI")
    .argument("<name>")
    .argument("<source>", "an absolute folder on the server, or a git URI (https://host/org/repo.git#branch)")
    .addHelpText(
      "after",
      "\nTriggers its pipelines declare under on: (push, schedule, registry) are created, replaced or deleted to match\nthe file; a new webhook's URL and secret are printed once.\n\nExamples:\n  $ ciclo pipelines register churn /srv/projects/churn\n  $ ciclo pipelines register churn https://git.example.com/ml/churn.git#main",
    )
    .action(
      cliAction("pipelines register", async (name: string, source: string, flags: CommonFlags) => {
        const cli = new CliContext(flags);
        const r = await cli.pipelines.registerProject(name, projectArg(source));
        cli.emit(r, () => {
          cli.out(`Registered project '${r.project.name}' (${r.project.source}): pipelines ${r.pipelines.join(", ") || "none"}.`);
          // Triggers its ciclo.yaml declares (on:): what the registration did to each; a new webhook's secret, once.
          for (const t of r.triggers ?? []) {
            cli.out(`  trigger ${t.name} (${t.kind}, pipeline ${t.pipeline}): ${t.change}`);
            if (t.webhook_path && t.change !== "deleted") cli.out(`    webhook URL: ${cli.trackingUri.replace(/\/+$/, "")}${t.webhook_path}`);
            if (t.secret) cli.out(`    secret (shown once): ${t.secret}`);
          }
        });
      }),
    );

  withCommonOptions(pipelines.command("definitions"))
    .description("List a registered project's pipelines: inputs and steps")
    .argument("<project>", "a registered project name")
    .addHelpText("after", "\nExamples:\n  $ ciclo pipelines definitions churn --json")
    .action(
      cliAction("pipelines definitions", async (project: string, flags: CommonFlags) => {
        const cli = new CliContext(flags);
        const defs = await cli.pipelines.definitions(project);
        cli.emit(defs, () => {
          for (const d of defs) {
            cli.out(`${cli.colors.bold(d.name)}${d.description ? ` — ${d.description}` : ""}`);
            if (d.inputs.length) cli.out(`  inputs: ${d.inputs.map((i) => `${i.name}:${i.type}${i.default !== undefined ? `=${String(i.default)}` : ""}`).join(", ")}`);
            for (const s of d.steps) cli.out(`  ${s.step_id} (${s.uses})${s.needs.length ? ` ← ${s.needs.join(", ")}` : ""}${s.if ? ` if ${s.if}` : ""}`);
          }
        });
      }),
    );
}
