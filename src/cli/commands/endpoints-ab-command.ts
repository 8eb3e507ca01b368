/**
 * `ciclo endpoints ab <endpoint>`: the A/B comparison of two deployments —
 * per-variant requests, errors, latency and (with labels) accuracy or
 * MAE/RMSE, and the significance test of B against A.
 * @module
 */
import type { Command } from "commander";
import { DeploymentsClient } from "../../sdk/deployments-client.js";
import type { WireAbReport, WireAbVariant } from "../../shared/wire/ab-wire.js";
import { CliContext, parsePositiveInt, withCommonOptions, type CommonFlags } from "../output/cli-context.js";
import { cliAction, UsageError } from "../output/cli-errors.js";

interface AbFlags extends CommonFlags {
  a?: string;
  b?: string;
  window?: string;
  alpha?: string;
  minSamples?: string;
  task?: string;
  loss?: string;
  predictionColumn?: string;
}

function parseAlpha(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const x = Number(text);
  if (!(x > 0 && x <= 0.5)) throw new UsageError(`--alpha is a number in (0, 0.5], e.g. 0.05; got '${text}'.`);
  return x;
}

function oneOf<T extends string>(text: string | undefined, allowed: readonly T[], what: string): T | undefined {
  if (text === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(text)) throw new UsageError(`${what} is one of ${allowed.join(", ")}; got '${text}'.`);
  return text as T;
}

const fmt = (x: number | null | undefined, digits = 4) => (x === undefined || x === null ? "-" : Number(x.toPrecision(digits)).toString());

function printReport(cli: CliContext, r: WireAbReport): void {
  const c = cli.colors;
  cli.out(`${c.bold(r.endpoint)}  A/B over ${new Date(r.window_start).toISOString()} – ${new Date(r.window_end).toISOString()}${r.task ? `  (${r.task})` : ""}`);
  const quality = (v: WireAbVariant) =>
    v.accuracy !== undefined ? `acc ${fmt(v.accuracy)}` : v.mean_absolute_error !== undefined ? `MAE ${fmt(v.mean_absolute_error)} RMSE ${fmt(v.root_mean_squared_error)}` : "-";
  cli.table(
    [
      { header: "DEPLOYMENT", value: (v: WireAbVariant) => v.deployment },
      { header: "VERSION", value: (v) => v.model_version, shrink: false },
      { header: "TRAFFIC", value: (v) => `${v.traffic}%`, align: "right", shrink: false },
      { header: "REQUESTS", value: (v) => String(v.requests), align: "right", shrink: false },
      { header: "ERRORS", value: (v) => `${v.errors} (${fmt(100 * v.error_rate, 3)}%)`, align: "right", shrink: false },
      { header: "P50", value: (v) => (v.p50_ms !== undefined ? `${v.p50_ms.toFixed(1)}ms` : "-"), align: "right", shrink: false },
      { header: "P99", value: (v) => (v.p99_ms !== undefined ? `${v.p99_ms.toFixed(1)}ms` : "-"), align: "right", shrink: false },
      { header: "LABELLED", value: (v) => String(v.labelled), align: "right", shrink: false },
      { header: "QUALITY", value: quality },
    ],
    r.variants,
    "No deployments.",
  );
  const t = r.test;
  if (t) {
    cli.out(`\n${t.method} on ${t.metric}: A=${t.a} (n=${t.n_a}) vs B=${t.b} (n=${t.n_b}), alpha ${r.alpha}, at least ${r.min_samples} labelled rows each`);
    if (t.effect) {
      cli.out(`  statistic ${fmt(t.statistic)}${t.df !== undefined ? `  df ${fmt(t.df)}` : ""}  p-value ${fmt(t.p_value)}`);
      cli.out(`  effect B − A ${fmt(t.effect.estimate)}  ${Math.round(t.effect.confidence * 100)}% CI [${fmt(t.effect.ci_low)}, ${fmt(t.effect.ci_high)}]`);
    }
    const v = t.verdict === "significant" ? c.bold(`significant: ${t.better} is better`) : t.verdict.replace(/_/g, " ");
    cli.out(`  verdict: ${v}`);
    cli.out(`  ${t.reason}`);
  }
  for (const n of r.notes) cli.out(`note: ${n}`);
}

export function registerEndpointsAbCommand(endpoints: Command): void {
  withCommonOptions(endpoints.command("ab"))
    .description("A/B comparison of two deployments: per-variant metrics and, once labels arrive, a significance test")
    .argument("<endpoint>")
    .option("--a <deployment>", "variant A, the control (default: the deployment with the most traffic)")
    .option("--b <deployment>", "variant B (default: the one with the next most traffic)")
    .option("--window <seconds>", "requests of the last this many seconds", "3600")
    .option("--alpha <p>", "significance level", "0.05")
    .option("--min-samples <n>", "labelled rows each variant needs before a verdict", "30")
    .option("--task <task>", "classification (accuracy, two-proportion z-test) or regression (MAE/RMSE, Welch's t-test); default: from the labels")
    .option("--loss <loss>", "a regressor's per-row loss for the t-test: absolute or squared", "absolute")
    .option("--prediction-column <name>", "the logged prediction column", "prediction")
    .addHelpText(
      "after",
      `
Labels arrive by request id (every endpoint answer carries x-request-id):
  POST /api/ciclo/v1/monitoring/labels {"labels": [{"request_id": "...", "label": 1}]}

Examples:
  $ ciclo endpoints ab fraud
  $ ciclo endpoints ab fraud --a blue --b green --window 86400 --alpha 0.01
  $ ciclo endpoints ab prices --task regression --loss squared --json`,
    )
    .action(
      cliAction("endpoints ab", async (endpoint: string, f: AbFlags) => {
        const cli = new CliContext(f);
        const r = await new DeploymentsClient({ trackingUri: cli.trackingUri }).ab(endpoint, {
          a: f.a,
          b: f.b,
          window_seconds: parsePositiveInt(f.window, "--window"),
          alpha: parseAlpha(f.alpha),
          min_samples: parsePositiveInt(f.minSamples, "--min-samples"),
          task: oneOf(f.task, ["classification", "regression"] as const, "--task"),
          loss: oneOf(f.loss, ["absolute", "squared"] as const, "--loss"),
          prediction_column: f.predictionColumn,
        });
        cli.emit(r, () => printReport(cli, r));
      }),
    );
}
