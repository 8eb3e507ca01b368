/** `ciclo pipelines triggers create|list|get|delete`: what starts pipelines on a push, a schedule or a registry event. */
import type { Command } from "commander";
import { CliContext, collect, parseKeyValues, withCommonOptions, type CommonFlags } from "../output/cli-context.js";
import { cliAction, UsageError } from "../output/cli-errors.js";
import { formatTime } from "../output/format.js";

const BASE = "/api/ciclo/v1/pipelines/triggers";

interface Trigger {
  trigger_id: string;
  name: string;
  kind: string;
  project: string;
  pipeline: string;
  config: Record<string, unknown>;
  inputs: Record<string, unknown>;
  webhook_path?: string;
  next_fire_at?: number;
}

interface CreateFlags extends CommonFlags {
  kind: string;
  project: string;
  pipeline: string;
  branch?: string[];
  repository?: string;
  username?: string;
  cron?: string;
  timezone?: string;
  model?: string;
  event?: string;
  alias?: string;
  stage?: string;
  input?: string[];
  secret?: string;
}

/** `--input k=v`: numbers and booleans as such, the rest as strings. */
function inputsOf(pairs: string[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(parseKeyValues(pairs, "--input"))) out[k] = v === "true" ? true : v === "false" ? false : v !== "" && !Number.isNaN(Number(v)) ? Number(v) : v;
  return out;
}

function configOf(f: CreateFlags): Record<string, unknown> {
  const c: Record<string, unknown> = {};
  if (f.kind === "cron") {
    if (!f.cron) throw new UsageError("A cron trigger needs --cron, e.g. --cron '0 3 * * *'.");
    c.cron = f.cron;
    if (f.timezone) c.timezone = f.timezone;
  } else if (f.kind === "registry") {
    if (!f.model || !f.event) throw new UsageError("A registry trigger needs --model and --event (version_created, alias_set, stage_transitioned).");
    Object.assign(c, { model: f.model, event: f.event }, f.alias ? { alias: f.alias } : {}, f.stage ? { stage: f.stage } : {});
  } else {
    if (f.branch) c.branches = f.branch;
    if (f.repository) c.repository = f.repository;
    if (f.username) c.username = f.username;
  }
  return c;
}

function when(t: Trigger): string {
  const c = t.config;
  if (t.kind === "cron") return `${String(c.cron)} ${String(c.timezone ?? "UTC")}, next ${formatTime(t.next_fire_at ?? null)}`;
  if (t.kind === "registry") return `${String(c.event)} of ${String(c.model)}${c.alias ? ` @${String(c.alias)}` : ""}${c.stage ? ` → ${String(c.stage)}` : ""}`;
  return `push to ${Array.isArray(c.branches) ? c.branches.join(", ") : "any branch"}${c.repository ? ` of ${String(c.repository)}` : ""}`;
}

export function registerPipelineTriggersCommand(program: Command): void {
  const pipelines = program.commands.find((c) => c.name() === "pipelines") ?? program.command("pipelines").description("Pipelines");
  const triggers = pipelines.command("triggers").description("Start pipelines on a git push (GitHub, GitLab, Azure DevOps), a schedule or a registry event");

  withCommonOptions(triggers.command("create"))
    .description("Define a trigger; a webhook trigger's secret and URL are printed once")
    .argument("<name>")
    .requiredOption("--kind <kind>", "github, gitlab, azure, cron or registry")
    .requiredOption("--project <project>", "registered project name, absolute folder on the server, or git URI")
    .requiredOption("--pipeline <name>", "the pipeline to start")
    .option("--branch <branch>", "push triggers: a branch or glob (repeatable; default every branch)", collect)
    .option("--repository <repo>", "push triggers: only this repository (org/repo)")
    .option("--username <user>", "azure: the service hook's basic-auth user name")
    .option("--secret <secret>", "push triggers: the webhook secret (default: generated)")
    .option("--cron <expr>", "cron triggers: the schedule")
    .option("--timezone <zone>", "cron triggers: IANA zone (default UTC)")
    .option("--model <name>", "registry triggers: the registered model")
    .option("--event <event>", "registry triggers: version_created, alias_set or stage_transitioned")
    .option("--alias <alias>", "registry alias_set: only this alias")
    .option("--stage <stage>", "registry stage_transitioned: only into this stage")
    .option("--input <key=value>", "a fixed pipeline input (repeatable)", collect)
    .addHelpText(
      "after",
      `
Examples:
  $ ciclo pipelines triggers create churn-push --kind github --project https://github.com/acme/churn.git --pipeline train-deploy --branch main
  $ ciclo pipelines triggers create nightly --kind cron --cron '0 3 * * *' --timezone Europe/Berlin --project churn --pipeline retrain
  $ ciclo pipelines triggers create new-version --kind registry --model churn --event version_created --project churn --pipeline evaluate`,
    )
    .action(
      cliAction("pipelines triggers create", async (name: string, f: CreateFlags) => {
        const cli = new CliContext(f);
        const body = { name, kind: f.kind, project: f.project, pipeline: f.pipeline, config: configOf(f), inputs: inputsOf(f.input), ...(f.secret ? { secret: f.secret } : {}) };
        const r = await cli.pipelines.http.post<{ trigger: Trigger; secret?: string }>(`${BASE}/create`, body, { idempotent: false });
        if (cli.json) return cli.out(JSON.stringify(r));
        cli.out(`trigger ${r.trigger.name} (${r.trigger.trigger_id}): ${r.trigger.kind}, ${when(r.trigger)} → ${r.trigger.pipeline}`);
        if (r.trigger.webhook_path) cli.out(`webhook URL: ${cli.trackingUri.replace(/\/+$/, "")}${r.trigger.webhook_path}`);
        if (r.secret) cli.out(`secret (shown once): ${r.secret}`);
      }),
    );

  withCommonOptions(triggers.command("list"), { json: true })
    .description("List triggers")
    .addHelpText("after", "\nExamples:\n  $ ciclo pipelines triggers list\n  $ ciclo pipelines triggers list --json")
    .action(
      cliAction("pipelines triggers list", async (f: CommonFlags) => {
        const cli = new CliContext(f);
        const { triggers: list } = await cli.pipelines.http.get<{ triggers: Trigger[] }>(`${BASE}/list`);
        if (cli.json) return cli.out(JSON.stringify(list));
        for (const t of list) cli.out(`${t.name}\t${t.kind}\t${t.pipeline}\t${when(t)}\t${t.trigger_id}`);
      }),
    );

  withCommonOptions(triggers.command("get"), { json: true })
    .description("A trigger and its last firings (delivery, tick or event; started, ignored or failed, and why)")
    .argument("<trigger>", "id or name")
    .addHelpText("after", "\nExamples:\n  $ ciclo pipelines triggers get churn-push\n  $ ciclo pipelines triggers get 9f0c2a7be1d34c55a0e1f3b2 --json")
    .action(
      cliAction("pipelines triggers get", async (id: string, f: CommonFlags) => {
        const cli = new CliContext(f);
        const r = await cli.pipelines.http.get<{ trigger: Trigger; firings: Array<{ firing_key: string; fired_at: number; outcome: string; reason?: string; run_id?: string }> }>(`${BASE}/get`, { trigger_id: id });
        if (cli.json) return cli.out(JSON.stringify(r));
        cli.out(`${r.trigger.name} (${r.trigger.trigger_id}): ${r.trigger.kind}, ${when(r.trigger)} → ${r.trigger.pipeline} of ${r.trigger.project}`);
        for (const x of r.firings) cli.out(`${formatTime(x.fired_at)}  ${x.outcome.padEnd(8)} ${x.firing_key}${x.run_id ? `  run ${x.run_id}` : ""}${x.reason ? `  ${x.reason}` : ""}`);
      }),
    );

  withCommonOptions(triggers.command("delete"))
    .description("Delete a trigger (and its webhook secret)")
    .argument("<trigger>", "id or name")
    .addHelpText("after", "\nExamples:\n  $ ciclo pipelines triggers delete churn-push")
    .action(
      cliAction("pipelines triggers delete", async (id: string, f: CommonFlags) => {
        const cli = new CliContext(f);
        await cli.pipelines.http.request("DELETE", `${BASE}/delete`, { body: { trigger_id: id } });
        cli.note(`deleted trigger ${id}`);
      }),
    );
}
