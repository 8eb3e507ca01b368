/**
 * `ciclo models evaluate`: computes a model's metrics on a CSV file, compares
 * them with thresholds (and a baseline model), logs them to a run, and exits
 * non-zero when a threshold fails — a CI gate.
 * @module
 */
import type { Command } from "commander";
import type { EvaluationReport } from "../../sdk/model-evaluation.js";
import { parseThresholdExpression, type MetricThreshold } from "../../models/evaluation/metric-thresholds.js";
import { CliContext, collect, withCommonOptions, type CommonFlags } from "../output/cli-context.js";
import { cliAction, EXIT, UsageError } from "../output/cli-errors.js";
import { renderFields } from "../output/table.js";

interface EvaluateFlags extends CommonFlags {
  modelUri: string;
  data: string;
  targets: string;
  modelType: string;
  baseline?: string;
  threshold?: string[];
  runId?: string;
  experimentName?: string;
  runName?: string;
  log?: boolean;
  predictionOutput?: string;
  probabilityOutput?: string;
}

const fmt = (v: number | undefined): string => (v === undefined ? "-" : String(Number(v.toPrecision(6))));

function printReport(cli: CliContext, r: EvaluationReport): void {
  const names = Object.keys(r.metrics).filter((k) => !/_class_/.test(k));
  const rows = names.map((k) => ({ k, v: r.metrics[k], b: r.baselineMetrics?.[k] }));
  cli.table(
    [
      { header: "METRIC", value: (x: (typeof rows)[number]) => x.k },
      { header: "CANDIDATE", value: (x) => fmt(x.v), align: "right", shrink: false },
      ...(r.baselineMetrics ? [{ header: "BASELINE", value: (x: (typeof rows)[number]) => fmt(x.b), align: "right" as const, shrink: false }] : []),
    ],
    rows,
  );
  if (r.confusionMatrix) {
    const { labels, matrix } = r.confusionMatrix;
    cli.out(`\nConfusion matrix (rows: true, columns: predicted)`);
    cli.table(
      [{ header: "", value: (i: number) => String(labels[i]) }, ...labels.map((l, j) => ({ header: String(l), value: (i: number) => String(matrix[i][j]), align: "right" as const, shrink: false }))],
      labels.map((_, i) => i),
    );
  }
  if (r.validation) {
    cli.out("");
    for (const res of r.validation.results) {
      for (const c of res.checks) cli.out(`${c.passed ? cli.colors.green("PASS") : cli.colors.red("FAIL")}  ${c.message}`);
    }
    cli.out(r.passed ? cli.colors.green("\nValidation passed.") : cli.colors.red(`\nValidation failed: ${r.validation.failures.length} check(s).`));
  }
  if (r.runId) cli.out(`\n${renderFields([["logged to run", r.runId], ["artifacts", r.artifacts.join(", ")]], cli.colors)}`);
}

/** Adds `evaluate` to the `models` command group (created here if it does not exist yet). */
export function registerModelsEvaluateCommand(program: Command): void {
  const models = program.commands.find((c) => c.name() === "models") ?? program.command("models").description("Models: registry, evaluation");
  withCommonOptions(models.command("evaluate"))
    .description("Compute a model's metrics on a CSV file, check thresholds (optionally against a baseline model), log them to a run")
    .requiredOption("-m, --model-uri <uri>", "models:/name@alias, models:/name/<version>, runs:/<run>/<path>, mlflow-artifacts:/…, or a local model folder")
    .requiredOption("-d, --data <file.csv>", "evaluation data with a header line (features + target)")
    .requiredOption("--targets <column>", "the target column")
    .requiredOption("--model-type <type>", "regressor or classifier")
    .option("--baseline <uri>", "baseline model for change thresholds (e.g. models:/churn@champion)")
    .option("--threshold <expr>", "'rmse<=0.5', 'r2>=0.8', 'f1>=+0.01' (absolute change vs baseline), 'accuracy>=+2%' (relative); repeatable; quoted, or the shell reads > and < as redirections", collect)
    .option("--run-id <id>", "log to this run (default: a new run)")
    .option("--experiment-name <name>", "experiment of the new run (default: Default)")
    .option("--run-name <name>", "name of the new run (default: evaluation)")
    .option("--no-log", "compute and check only; log nothing")
    .option("--prediction-output <name>", "model output holding the prediction (label for classifiers)")
    .option("--probability-output <name>", "model output holding class probabilities")
    .addHelpText(
      "after",
      `
Metrics use MLflow's names. Regressor: root_mean_squared_error (rmse),
mean_absolute_error (mae), mean_absolute_percentage_error (mape), r2_score (r2),
max_error. Classifier: accuracy_score, precision_score, recall_score, f1_score
(positive class when binary, weighted otherwise), *_macro, *_weighted,
*_class_<label>, log_loss, roc_auc; the confusion matrix is logged as
confusion_matrix.png.

Exit codes: 0 evaluated and every threshold passed; 1 a threshold failed or an
error; 2 usage; 3 a model or run not found.

Examples:
  $ ciclo models evaluate -m models:/churn/7 -d holdout.csv --targets churned --model-type classifier \\
      --baseline models:/churn@champion --threshold 'f1>=0.8' --threshold 'f1>=+0.01'
  $ ciclo models evaluate -m ./model -d test.csv --targets y --model-type regressor --threshold 'rmse<=0.5' --no-log --json`,
    )
    .action(
      cliAction("models evaluate", async (flags: EvaluateFlags) => {
        if (flags.modelType !== "regressor" && flags.modelType !== "classifier") {
          throw new UsageError(`--model-type must be regressor or classifier, got '${flags.modelType}'.`);
        }
        const thresholds: Record<string, MetricThreshold> = {};
        try {
          for (const t of flags.threshold ?? []) parseThresholdExpression(t, thresholds);
        } catch (err) {
          throw new UsageError((err as Error).message);
        }
        const cli = new CliContext(flags);
        // Loaded on use: the rest of the CLI starts without the model runtime.
        const { evaluate } = await import("../../sdk/model-evaluation.js");
        const report = await evaluate(flags.modelUri, flags.data, {
          modelType: flags.modelType,
          targets: flags.targets,
          thresholds,
          ...(flags.baseline ? { baseline: flags.baseline } : {}),
          ...(flags.runId ? { runId: flags.runId } : {}),
          ...(flags.experimentName ? { experimentName: flags.experimentName } : {}),
          ...(flags.runName ? { runName: flags.runName } : {}),
          ...(flags.predictionOutput ? { predictionOutput: flags.predictionOutput } : {}),
          ...(flags.probabilityOutput ? { probabilityOutput: flags.probabilityOutput } : {}),
          log: flags.log !== false,
          client: cli.artifacts(),
        });
        cli.emit(report, () => printReport(cli, report));
        if (!report.passed) process.exitCode = EXIT.FAILURE;
      }),
    );
}
