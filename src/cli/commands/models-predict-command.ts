/**
 * `ciclo models predict`: batch scoring of a file (src/serving/batch-predict.ts),
 * flags as `mlflow models predict` (`-m`, `-i/--input-path`, `-o/--output-path`).
 * @module
 */
import { stat } from "node:fs/promises";
import type { Command } from "commander";
import { BatchMonitorUpload, type MonitorUploadSummary } from "../../serving/batch/batch-monitor-upload.js";
import { predictFile, type FileFormat } from "../../serving/batch/batch-predict.js";
import { resolveModelSource } from "../../serving/model-source.js";
import { InvalidParameterValueError } from "../../shared/errors.js";
import { formatBytes } from "../output/format.js";
import { cliAction, NotFoundError } from "../output/cli-errors.js";
import { createProgressBar } from "../output/progress-bar.js";
import { numberFlag } from "./models-serve-command.js";
import { addRuntimeFlags, runtimeChoice, type RuntimeFlags } from "./python-runtime-flags.js";

interface PredictFlags extends RuntimeFlags {
  modelUri: string;
  inputPath: string;
  outputPath: string;
  inputFormat?: FileFormat;
  outputFormat?: FileFormat;
  workers?: string;
  trackingUri?: string;
  logToMonitor?: string;
  json?: boolean;
}

export function registerModelsPredictCommand(models: Command): void {
  const predict = models
    .command("predict")
    .description("Score a file with a model: CSV, JSON lines or Parquet in and out, streamed (files larger than memory work), on every core")
    .requiredOption("-m, --model-uri <uri>", "models:/…, runs:/…, mlflow-artifacts:/…, or a local model folder")
    .requiredOption("-i, --input-path <file>", "input rows: .csv (with a header), .jsonl (one object per line) or .parquet")
    .requiredOption("-o, --output-path <file>", "predictions, one row per input row in the same order: .csv, .jsonl or .parquet")
    .option("--input-format <format>", "csv, jsonl or parquet (default: from the file extension)")
    .option("--output-format <format>", "csv, jsonl or parquet (default: from the file extension)")
    .option("-w, --workers <n>", "scoring threads — or Python worker processes — (default: one per core; 0 = the main thread)")
    .option("--tracking-uri <uri>", "tracking server, to resolve models:/ and runs:/ URIs (and for --log-to-monitor)")
    .option("--log-to-monitor <name>", "also send the inputs and predictions to the server's monitoring store as the dataset window <name> (a monitor watches it with target.dataset)")
    .option("--json", "print the summary as JSON");
  addRuntimeFlags(predict)
    .addHelpText(
      "after",
      "\nExamples:\n  $ ciclo models predict -m models:/fraud@champion -i transactions.parquet -o scores.parquet\n  $ ciclo models predict -m ./model -i rows.csv -o predictions.jsonl\n" +
        "  $ ciclo models predict -m ./sklearn-model -i rows.csv -o scores.csv --python /usr/bin/python3 --workers 2\n" +
        "  $ ciclo models predict -m models:/fraud/3 -i nightly.parquet -o scores.parquet --tracking-uri http://ciclo:5000 --log-to-monitor fraud-nightly",
    )
    .action(
      cliAction("models predict", async (flags: PredictFlags) => {
        // Before the model is fetched and loaded (seconds for a Python model): a mistyped input path fails at once.
        const input = await stat(flags.inputPath).catch(() => undefined);
        if (!input?.isFile()) throw new NotFoundError(`The input file ${flags.inputPath} ${input ? "is not a file" : "does not exist"}: give a .csv, .jsonl or .parquet file with -i.`);
        const source = await resolveModelSource(flags.modelUri, { trackingUri: flags.trackingUri });
        const trackingUri = flags.trackingUri || process.env.CICLO_TRACKING_URI || process.env.MLFLOW_TRACKING_URI;
        if (flags.logToMonitor !== undefined && !trackingUri) {
          throw new InvalidParameterValueError("--log-to-monitor sends the rows to a ciclo server: give --tracking-uri (or set CICLO_TRACKING_URI).");
        }
        const upload = flags.logToMonitor !== undefined ? new BatchMonitorUpload({ trackingUri: trackingUri!, dataset: flags.logToMonitor, modelName: source.name, modelVersion: source.version }) : undefined;
        const bar = createProgressBar();
        try {
          const r = await predictFile({
            modelPath: source.path,
            input: flags.inputPath,
            output: flags.outputPath,
            inputFormat: flags.inputFormat,
            outputFormat: flags.outputFormat,
            workers: numberFlag(flags.workers, "--workers"),
            runtime: runtimeChoice(flags),
            onProgress: (p) => bar.update(p.done, p.total, p.unit === "bytes" ? `${formatBytes(p.done)} · ${p.rows} rows` : `rows`),
            onLog: upload ? (records) => upload.add(records) : undefined,
          });
          const logged: MonitorUploadSummary | undefined = await upload?.finish();
          bar.stop();
          const summary = {
            rows: r.rows,
            seconds: Math.round(r.ms) / 1000,
            rowsPerSecond: Math.round((r.rows / r.ms) * 1000),
            output: flags.outputPath,
            ...(logged && { monitor: { dataset: logged.dataset, rows: logged.rows, window_start: logged.windowStart, window_end: logged.windowEnd } }),
          };
          if (flags.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
          else {
            process.stderr.write(`Scored ${r.rows} rows in ${summary.seconds} s (${summary.rowsPerSecond} rows/s) → ${flags.outputPath}\n`);
            if (logged) process.stderr.write(`Logged ${logged.rows} rows to monitoring as dataset '${logged.dataset}' (model ${source.name} version ${source.version})\n`);
          }
        } finally {
          bar.stop();
          await source.cleanup();
        }
      }),
    );
}
