/**
 * `ciclo endpoints …` and `ciclo deployments …`: managed endpoints, their
 * deployments, traffic, rollouts and logs, through the server's REST API.
 * @module
 */
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { DeploymentsClient } from "../../sdk/deployments-client.js";
import { MlflowError, type ErrorCode } from "../../shared/errors.js";
import { DEFAULT_ANALYSIS } from "../../deployments/endpoints/endpoint-validation.js";
import type { WireDeployment, WireEndpoint, WireRollout, WireStrategy } from "../../shared/wire/deployments-wire.js";
import { historyChange } from "../../shared/wire/deployments-history.js";
import { CliContext, collect, parseKeyValues, parsePositiveInt, withCommonOptions, type CommonFlags } from "../output/cli-context.js";
import { cliAction, EXIT, UsageError, usageExitCodes } from "../output/cli-errors.js";
import { formatTime } from "../output/format.js";
import { registerEndpointsAbCommand } from "./endpoints-ab-command.js";

const client = (cli: CliContext) => new DeploymentsClient({ trackingUri: cli.trackingUri });

/** `blue=90 green=10` → { blue: 90, green: 10 }. */
export function parseWeights(pairs: string[], what: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of pairs) {
    const m = /^([a-z0-9-]+)=(\d{1,3})$/.exec(p);
    if (!m) throw new UsageError(`${what} expects <deployment>=<percent>, e.g. blue=90, got '${p}'.`);
    out[m[1]] = Number(m[2]);
  }
  return out;
}

function percentMap(m: Record<string, number>): string {
  const parts = Object.entries(m).filter(([, v]) => v > 0).map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(" ") : "-";
}

function printEndpoint(cli: CliContext, e: WireEndpoint, rollouts: WireRollout[] = []): void {
  const c = cli.colors;
  cli.out(e.description ? `${c.bold(e.name)}  ${e.description}` : c.bold(e.name));
  cli.out(`  traffic  ${percentMap(e.traffic)}    mirror  ${percentMap(e.mirror_traffic)}`);
  cli.out(`  strategy ${[e.strategy.kind, e.strategy.steps?.join(" → ")].filter(Boolean).join(" ")} (${e.strategy.step_seconds}s per step)${e.sticky_header ? `   sticky by ${e.sticky_header}` : ""}`);
  cli.table(
    [
      { header: "DEPLOYMENT", value: (d: WireDeployment) => d.name },
      { header: "MODEL", value: (d) => `${d.model_name}/${d.model_version}${d.follow_alias ? ` (@${d.follow_alias})` : ""}` },
      { header: "TRAFFIC", value: (d) => `${e.traffic[d.name] ?? 0}%${e.mirror_traffic[d.name] ? ` +${e.mirror_traffic[d.name]}% mirror` : ""}`, shrink: false },
      { header: "READY", value: (d) => (d.health ? `${d.health.ready_replicas}/${d.health.desired_replicas}` : "-"), align: "right", shrink: false },
      { header: "RESTARTS", value: (d) => String(d.health?.restarts ?? 0), align: "right", shrink: false },
      { header: "REQUESTS", value: (d) => String(d.health?.requests ?? 0), align: "right", shrink: false },
      { header: "ERRORS", value: (d) => String(d.health?.errors ?? 0), align: "right", shrink: false },
      { header: "P99", value: (d) => (d.health?.p99_ms !== undefined ? `${d.health.p99_ms.toFixed(1)}ms` : "-"), align: "right", shrink: false },
    ],
    e.deployments,
    "No deployments yet: ciclo deployments create <endpoint> <name> -m models:/<model>/<version>",
  );
  for (const note of replicaTroubleNotes(e)) cli.out(c.yellow(note));
  const rollout = rolloutNote(e, rollouts, Date.now());
  if (rollout) cli.out(rollout);
}

/**
 * The running (or paused) rollout of an endpoint, with what its step waits for: the traffic line alone shows
 * `v1=90 v2=10`, and a step no request reaches never ends — a pipeline waiting on it sat there without a word.
 */
export function rolloutNote(e: WireEndpoint, rollouts: WireRollout[], now: number): string | undefined {
  const r = rollouts.find((x) => x.state === "running" || x.state === "paused");
  if (!r) return undefined;
  const steps = r.strategy.steps ?? [];
  const step = r.step >= 0 && r.step < steps.length ? `step ${r.step + 1} of ${steps.length} (${steps[r.step]} %)` : r.step < 0 ? "waiting for the candidate's replicas or its mirror step" : `step ${r.step + 1}`;
  const since = Math.max(0, Math.round((now - r.updated_at) / 1000));
  const head = `rollout ${r.rollout_id}: ${r.stable} → ${r.candidate} ${r.state}, ${step} for ${since} s.`;
  if (r.state === "paused") return `${head} Resume: ciclo endpoints rollout ${e.name} resume`;
  const minRequests = r.strategy.analysis?.min_requests ?? DEFAULT_ANALYSIS.minRequests;
  const stepSeconds = r.strategy.step_seconds ?? 60;
  return `${head} A step is judged after ${stepSeconds} s and ${minRequests} requests answered by ${r.candidate} in it; until then it waits.`;
}

/**
 * A line per deployment whose replicas keep exiting before they are ready (a model that cannot load, a missing
 * Python package): the table alone shows `0/2` and a growing RESTARTS count, not where to look.
 */
export function replicaTroubleNotes(e: WireEndpoint): string[] {
  const notes: string[] = [];
  for (const d of e.deployments) {
    const h = d.health;
    if (!h || h.ready_replicas >= h.desired_replicas) continue;
    const exited = h.replicas.filter((r) => r.last_exit !== undefined && r.state !== "ready");
    if (exited.length === 0) continue;
    notes.push(
      `${d.name}: ${h.ready_replicas}/${h.desired_replicas} ready; ${exited.length} replica(s) exited before ready (last: ${exited[exited.length - 1].last_exit}). ` +
        `Why: ciclo deployments logs ${e.name} ${d.name} --tail 20`,
    );
  }
  return notes;
}

export function registerDeploymentsCommands(program: Command): void {
  const endpoints = usageExitCodes(program.command("endpoints").description("Managed endpoints: stable URLs routed to deployments by traffic weights"));

  withCommonOptions(endpoints.command("create"))
    .description("Create an endpoint (served at <server>/endpoints/<name>/invocations)")
    .argument("<name>", "lowercase letters, digits and '-'")
    .option("-d, --description <text>")
    .option("--strategy <kind>", "rollout strategy: canary or blue-green", "canary")
    .option("--steps <list>", "canary traffic steps in percent", "10,50,100")
    .option("--step-seconds <s>", "how long each step runs before it is judged", "60")
    .option("--max-error-rate <r>", "a step fails above this share of 5xx answers", "0.05")
    .option("--max-p99-ms <ms>", "a step fails above this p99 latency")
    .option("--max-divergence <d>", "a shadow step first; fails above this mean prediction difference from stable")
    .option("--min-requests <n>", "answers the candidate must give in a step before it is judged (0: judge on time alone)", String(DEFAULT_ANALYSIS.minRequests))
    .option("--sticky-header <name>", "route each value of this request header to the same deployment")
    .addHelpText(
      "after",
      `
Examples:
  $ ciclo endpoints create fraud
  $ ciclo endpoints create fraud --strategy canary --steps 10,50,100 --step-seconds 300 --max-error-rate 0.01
  $ ciclo endpoints create fraud --strategy blue-green --sticky-header x-user-id
  $ ciclo endpoints create nightly --min-requests 0 --step-seconds 600   # little traffic: judge each step on time`,
    )
    .action(
      cliAction("endpoints create", async (name: string, f: CommonFlags & Record<string, string | undefined>) => {
        const cli = new CliContext(f);
        if (f.strategy !== "canary" && f.strategy !== "blue-green") throw new UsageError(`--strategy must be canary or blue-green, got '${f.strategy}'.`);
        const num = (v: string | undefined, flag: string) => {
          if (v === undefined) return undefined;
          const n = Number(v);
          if (!Number.isFinite(n) || n < 0) throw new UsageError(`${flag} must be a non-negative number, got '${v}'.`);
          return n;
        };
        const count = (v: string | undefined, flag: string) => {
          const n = num(v, flag);
          if (n !== undefined && (!Number.isInteger(n) || n > 1_000_000)) throw new UsageError(`${flag} must be a whole number up to 1000000, got '${v}'.`);
          return n;
        };
        const strategy: WireStrategy = {
          kind: f.strategy,
          steps: f.strategy === "canary" ? f.steps!.split(",").map((s) => num(s.trim(), "--steps")!) : undefined,
          step_seconds: num(f.stepSeconds, "--step-seconds"),
          analysis: { max_error_rate: num(f.maxErrorRate, "--max-error-rate"), max_p99_ms: num(f.maxP99Ms, "--max-p99-ms"), max_divergence: num(f.maxDivergence, "--max-divergence"), min_requests: count(f.minRequests, "--min-requests") },
        };
        const e = await client(cli).createEndpoint({ name, description: f.description, strategy, sticky_header: f.stickyHeader });
        cli.emit(e, () => cli.out(`Created endpoint ${e.name}: ${cli.trackingUri.replace(/\/$/, "")}/endpoints/${e.name}/invocations`));
      }),
    );

  withCommonOptions(endpoints.command("list"))
    .description("List endpoints with their traffic and health")
    .addHelpText("after", "\nExamples:\n  $ ciclo endpoints list\n  $ ciclo endpoints list --json")
    .action(
      cliAction("endpoints list", async (f: CommonFlags) => {
        const cli = new CliContext(f);
        const list = await client(cli).listEndpoints();
        cli.emit(list, () =>
          cli.table(
            [
              { header: "ENDPOINT", value: (e: WireEndpoint) => e.name },
              { header: "TRAFFIC", value: (e) => percentMap(e.traffic) },
              { header: "MIRROR", value: (e) => percentMap(e.mirror_traffic) },
              { header: "READY", value: (e) => e.deployments.map((d) => `${d.name} ${d.health?.ready_replicas ?? 0}/${d.replicas}`).join(", ") },
              { header: "UPDATED", value: (e) => formatTime(e.last_updated_timestamp), shrink: false },
            ],
            list,
            "No endpoints. Create one: ciclo endpoints create <name>",
          ),
        );
      }),
    );

  withCommonOptions(endpoints.command("get"))
    .description("Show an endpoint: traffic, strategy, deployments and their health")
    .argument("<name>")
    .addHelpText("after", "\nExamples:\n  $ ciclo endpoints get fraud")
    .action(
      cliAction("endpoints get", async (name: string, f: CommonFlags) => {
        const cli = new CliContext(f);
        const c = client(cli);
        const e = await c.getEndpoint(name);
        const rollouts = cli.json ? [] : await c.listRollouts(name);
        cli.emit(e, () => printEndpoint(cli, e, rollouts));
      }),
    );

  withCommonOptions(endpoints.command("delete"))
    .description("Delete an endpoint and stop its deployments (the history is kept)")
    .argument("<name>")
    .addHelpText("after", "\nExamples:\n  $ ciclo endpoints delete fraud")
    .action(
      cliAction("endpoints delete", async (name: string, f: CommonFlags) => {
        const cli = new CliContext(f);
        await client(cli).deleteEndpoint(name);
        cli.emit({ deleted: name }, () => cli.out(`Deleted endpoint ${name}.`));
      }),
    );

  withCommonOptions(endpoints.command("traffic"))
    .description("Set the live traffic split (must sum to 100) and mirrored shares")
    .argument("<endpoint>")
    .argument("<weights...>", "deployment=percent pairs; deployments left out get 0")
    .option("--mirror <deployment=percent>", "mirror this share of requests to a deployment (repeatable; answers discarded); without it the current mirror shares stay", collect)
    .option("--reason <text>", "recorded in the history")
    .addHelpText(
      "after",
      `
Examples:
  $ ciclo endpoints traffic fraud blue=90 green=10
  $ ciclo endpoints traffic fraud blue=100 --mirror green=10 --reason "shadow test"
  $ ciclo endpoints traffic fraud blue=90 green=10 --mirror green=0   # a mirrored deployment goes live`,
    )
    .action(
      cliAction("endpoints traffic", async (endpoint: string, weights: string[], f: CommonFlags & { mirror?: string[]; reason?: string }) => {
        const cli = new CliContext(f);
        const e = await client(cli).setTraffic(endpoint, parseWeights(weights, "traffic"), f.mirror ? parseWeights(f.mirror, "--mirror") : undefined, f.reason);
        cli.emit(e, () => cli.out(`Traffic of ${e.name}: ${percentMap(e.traffic)}; mirror: ${percentMap(e.mirror_traffic)}`));
      }),
    );

  withCommonOptions(endpoints.command("invoke"))
    .description("Score through the endpoint (MLflow's scoring protocol)")
    .argument("<endpoint>")
    .option("--data <json>", "request body, e.g. '{\"dataframe_records\": [{\"x\": 1}]}'")
    .option("--input <file>", "read the request body from a file")
    .option("--deployment <name>", "invoke this deployment directly (header ciclo-deployment)")
    .addHelpText(
      "after",
      `
Examples:
  $ ciclo endpoints invoke fraud --data '{"dataframe_records": [{"amount": 12.5}]}'
  $ ciclo endpoints invoke fraud --input request.json --deployment green`,
    )
    .action(
      cliAction("endpoints invoke", async (endpoint: string, f: CommonFlags & { data?: string; input?: string; deployment?: string }) => {
        const cli = new CliContext(f);
        if ((f.data === undefined) === (f.input === undefined)) throw new UsageError("Give the request body with exactly one of --data or --input.");
        const body = f.data ?? (await readFile(f.input!, "utf8"));
        const r = await client(cli).invoke(endpoint, body, { deployment: f.deployment });
        // No deployment answered: the router refused (an unknown endpoint or deployment). That is this command's
        // error, said as every command says one (exit 3 for a name that does not exist), not a model's answer.
        const refusal = !r.deployment && r.status >= 400 ? (r.body as { error_code?: unknown; message?: unknown } | undefined) : undefined;
        if (refusal && typeof refusal.error_code === "string" && typeof refusal.message === "string") throw new MlflowError(refusal.message, refusal.error_code as ErrorCode);
        cli.emit(r, () => {
          cli.note(`HTTP ${r.status} from deployment ${r.deployment ?? "-"}`);
          cli.out(typeof r.body === "string" ? r.body : JSON.stringify(r.body));
        });
        if (r.status >= 400) process.exitCode = EXIT.FAILURE;
      }),
    );

  withCommonOptions(endpoints.command("history"))
    .description("The audit history: every change, who made it, why, and the analysis behind rollout moves")
    .argument("<endpoint>")
    .option("--max-results <n>", "newest n entries", "50")
    .addHelpText("after", "\nExamples:\n  $ ciclo endpoints history fraud")
    .action(
      cliAction("endpoints history", async (endpoint: string, f: CommonFlags & { maxResults?: string }) => {
        const cli = new CliContext(f);
        const h = await client(cli).history(endpoint, parsePositiveInt(f.maxResults, "--max-results") ?? 50);
        cli.emit(h, () =>
          cli.table(
            [
              { header: "TIME", value: (x) => formatTime(x.timestamp), shrink: false },
              { header: "ACTION", value: (x) => x.action },
              { header: "DEPLOYMENT", value: (x) => x.deployment ?? "" },
              { header: "BY", value: (x) => x.actor ?? "-" },
              { header: "CHANGE", value: (x) => historyChange(x) },
              { header: "WHY", value: (x) => x.reason ?? "" },
            ],
            h,
          ),
        );
      }),
    );

  withCommonOptions(endpoints.command("rollout"))
    .description("Start a rollout to a deployment, or promote/pause/resume/abort the running one")
    .argument("<endpoint>")
    .argument("<candidate-or-action>", "a deployment name, or promote | pause | resume | abort")
    .addHelpText(
      "after",
      `
Examples:
  $ ciclo endpoints rollout fraud green       # canary to green with the endpoint's strategy
  $ ciclo endpoints rollout fraud pause
  $ ciclo endpoints rollout fraud promote`,
    )
    .action(
      cliAction("endpoints rollout", async (endpoint: string, what: string, f: CommonFlags) => {
        const cli = new CliContext(f);
        const c = client(cli);
        const actions = ["promote", "pause", "resume", "abort"] as const;
        let r;
        if ((actions as readonly string[]).includes(what)) {
          const running = (await c.listRollouts(endpoint)).find((x) => x.state === "running" || x.state === "paused");
          if (!running) throw new UsageError(`No rollout is running on endpoint '${endpoint}'.`);
          r = await c.rolloutAction(endpoint, running.rollout_id, what as (typeof actions)[number]);
        } else {
          r = await c.startRollout(endpoint, what);
        }
        cli.emit(r, () => cli.out(`Rollout ${r.rollout_id} ${r.stable} → ${r.candidate}: ${r.state}${r.reason ? ` (${r.reason})` : ""}`));
      }),
    );

  registerEndpointsAbCommand(endpoints);

  const deployments = usageExitCodes(program.command("deployments").description("Deployments of an endpoint: a model version run with replicas and env"));

  withCommonOptions(deployments.command("create"))
    .description("Create a deployment; ciclo starts its model-server replicas")
    .argument("<endpoint>")
    .argument("<name>")
    .requiredOption("-m, --model-uri <uri>", "models:/<name>/<version>, or models:/<name>@<alias> to follow an alias")
    .option("--replicas <n>", "model-server processes", "1")
    .option("--env <key=value>", "environment variable for the model server (repeatable); KEY=secret:<name> reads a server secret when a replica starts", collect)
    .option("--target <target>", "where it runs: local (model-server processes of the server), container (an image under podman), or kubernetes (a Deployment, Service and HPA; the server needs --k8s-namespace)", "local")
    .option("--image <image>", "container target: the model server image to run (sets env CICLO_IMAGE; implies --target container)")
    .addHelpText(
      "after",
      `
The first deployment of an endpoint takes all of its traffic; later ones get
0 % until you set it (ciclo endpoints traffic) or roll out to them.

The container target runs the image under podman on the server's machine
(host network); each replica serves the deployment's model version, fetched
from the server at start, in that image's runtime and Python environment.

Examples:
  $ ciclo deployments create fraud blue -m models:/fraud/3 --replicas 2
  $ ciclo deployments create fraud green -m models:/fraud@champion --env LOG_LEVEL=debug
  $ ciclo deployments create fraud blue -m models:/fraud/3 --env API_KEY=secret:payments-key
  $ ciclo deployments create churn main -m models:/churn/4 --image 127.0.0.1:5000/ml/churn@sha256:…
  $ ciclo deployments create fraud blue -m models:/fraud/3 --target kubernetes --replicas 2`,
    )
    .action(
      cliAction("deployments create", async (endpoint: string, name: string, f: CommonFlags & { modelUri: string; replicas: string; env?: string[]; target: string; image?: string }) => {
        const cli = new CliContext(f);
        const env = { ...parseEnvFlags(f.env), ...(f.image ? { CICLO_IMAGE: f.image } : {}) };
        const target = f.image && f.target === "local" ? "container" : f.target;
        const d = await client(cli).createDeployment(endpoint, { name, model_uri: f.modelUri, replicas: parsePositiveInt(f.replicas, "--replicas"), env, target });
        cli.emit(d, () => cli.out(`Created deployment ${endpoint}/${d.name}: ${d.model_name} version ${d.model_version}, ${d.replicas} replica(s). Watch it: ciclo endpoints get ${endpoint}`));
      }),
    );

  withCommonOptions(deployments.command("update"))
    .description("Change a deployment's model, replicas or env (replicas are replaced one at a time)")
    .argument("<endpoint>")
    .argument("<name>")
    .option("-m, --model-uri <uri>")
    .option("--replicas <n>")
    .option("--env <key=value>", "replaces the whole env (repeatable); KEY=secret:<name> names a server secret", collect)
    .addHelpText(
      "after",
      "\nExamples:\n  $ ciclo deployments update fraud blue --replicas 4\n  $ ciclo deployments update fraud blue -m models:/fraud/4\n  $ ciclo deployments update fraud blue --env API_KEY=secret:payments-key",
    )
    .action(
      cliAction("deployments update", async (endpoint: string, name: string, f: CommonFlags & { modelUri?: string; replicas?: string; env?: string[] }) => {
        const cli = new CliContext(f);
        const d = await client(cli).updateDeployment(endpoint, name, { model_uri: f.modelUri, replicas: parsePositiveInt(f.replicas, "--replicas"), env: f.env ? parseEnvFlags(f.env) : undefined });
        cli.emit(d, () => cli.out(`Updated deployment ${endpoint}/${d.name}: ${d.model_name} version ${d.model_version}, ${d.replicas} replica(s).`));
      }),
    );

  withCommonOptions(deployments.command("delete"))
    .description("Delete a deployment (it must take no live traffic) and drain its replicas")
    .argument("<endpoint>")
    .argument("<name>")
    .addHelpText("after", "\nExamples:\n  $ ciclo endpoints traffic fraud green=100 && ciclo deployments delete fraud blue")
    .action(
      cliAction("deployments delete", async (endpoint: string, name: string, f: CommonFlags) => {
        const cli = new CliContext(f);
        await client(cli).deleteDeployment(endpoint, name);
        cli.emit({ deleted: `${endpoint}/${name}` }, () => cli.out(`Deleted deployment ${endpoint}/${name}.`));
      }),
    );

  withCommonOptions(deployments.command("logs"))
    .description("The model servers' recent output (stdout and stderr of every replica)")
    .argument("<endpoint>")
    .argument("<name>")
    .option("--tail <n>", "last n lines", "200")
    .addHelpText("after", "\nExamples:\n  $ ciclo deployments logs fraud blue --tail 50")
    .action(
      cliAction("deployments logs", async (endpoint: string, name: string, f: CommonFlags & { tail?: string }) => {
        const cli = new CliContext(f);
        const lines = await client(cli).logs(endpoint, name, parsePositiveInt(f.tail, "--tail") ?? 200);
        cli.emit(lines, () => lines.forEach((l) => cli.out(l)));
      }),
    );
}

/** `--env KEY=value` pairs; `KEY=secret:<name>` names a server secret (the API's `{secret: name}`). */
export function parseEnvFlags(pairs: string[] | undefined): Record<string, string | { secret: string }> {
  return Object.fromEntries(Object.entries(parseKeyValues(pairs, "--env")).map(([k, v]) => [k, v.startsWith("secret:") ? { secret: v.slice("secret:".length) } : v]));
}
