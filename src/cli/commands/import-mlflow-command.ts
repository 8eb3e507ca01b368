/**
 * `ciclo import-mlflow <source>`: moves an MLflow tracking store (its
 * database, or a file store folder) into a ciclo store, ids kept. Writes the
 * ciclo database directly, like `ciclo db upgrade`: run it with the ciclo
 * server stopped, or before it first starts.
 * @module
 */
import { existsSync } from "node:fs";
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import type { Command } from "commander";
import { openArtifactRepository, localRootPath } from "../../artifacts/artifact-repositories.js";
import { FileStoreSource, fileStorePath } from "../../mlflow-import/file-store-source.js";
import { formatSummary } from "../../mlflow-import/import-summary.js";
import { importMlflow, type ImportProgress, type PhaseName } from "../../mlflow-import/mlflow-importer.js";
import type { MlflowSource } from "../../mlflow-import/mlflow-source.js";
import { isSqlSourceUri } from "../../mlflow-import/sql-source-connection.js";
import { openSqlSource } from "../../mlflow-import/sql-source.js";
import { DEFAULT_BACKEND_STORE_URI, resolveArtifactUri } from "../../server/config.js";
import { SqlImportTarget } from "../../store/sql/mlflow-import/sql-import-target.js";
import { openStores } from "../../store/open-stores.js";
import { migrationSequence } from "../../store/migrations/migrator.js";
import { serverModules } from "../../modules.js";
import { sqlitePathFromUri } from "../../store/sqlite/sqlite-connection.js";
import { collect, splitIds } from "../output/cli-context.js";
import { cliAction, NotFoundError, UsageError, usageExitCodes } from "../output/cli-errors.js";
import { formatBytes } from "../output/format.js";
import { printJson } from "../output/json-output.js";
import { createProgressBar } from "../output/progress-bar.js";

interface Flags {
  backendStoreUri: string;
  artifactsDestination?: string;
  artifactsSource?: string;
  artifactsInPlace?: boolean;
  directArtifactUris?: boolean;
  experiments?: string[];
  dryRun?: boolean;
  json?: boolean;
}

/** One bar per phase (entities), artifacts with their bytes; finished phases stay as a line. */
function phaseProgress(): ImportProgress & { stop(): void } {
  const bar = createProgressBar();
  let name: PhaseName | undefined;
  let done = 0;
  let total = 0;
  let bytes = 0;
  const draw = () => bar.update(done, total, name === "artifacts" ? `artifact roots  ${formatBytes(bytes)}` : (name ?? ""));
  const close = () => {
    if (name && process.stderr.isTTY) bar.log(`${name.padEnd(18)} ${done}/${total}${name === "artifacts" ? `  ${formatBytes(bytes)}` : ""}`);
  };
  return {
    phase(n, t) {
      close();
      name = n;
      done = 0;
      total = t;
      draw();
    },
    advance(n) {
      done += n;
      draw();
    },
    bytes(n) {
      bytes += n;
      draw();
    },
    stop() {
      close();
      bar.stop();
    },
  };
}

async function openSource(spec: string, warn: (m: string) => void): Promise<MlflowSource> {
  if (isSqlSourceUri(spec)) return openSqlSource(spec);
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(spec) && !spec.startsWith("file:")) {
    throw new UsageError(`Unsupported MLflow store '${spec}': give sqlite:///…, postgresql://…, mysql://… or an mlruns/ folder.`);
  }
  const root = fileStorePath(spec);
  if (!(await stat(root).then((s) => s.isDirectory(), () => false))) throw new NotFoundError(`No MLflow file store at '${spec}' (not a folder).`);
  return new FileStoreSource(root, warn);
}

/** A dry run into a SQLite file that does not exist yet checks against an empty store in memory: it creates nothing. */
function targetUri(uri: string, dryRun: boolean): string {
  if (!dryRun || !uri.startsWith("sqlite:")) return uri;
  return existsSync(sqlitePathFromUri(uri)) ? uri : "sqlite://:memory:";
}

export function registerImportMlflowCommand(program: Command): void {
  usageExitCodes(program.command("import-mlflow"))
    .description("Import an MLflow tracking store (database or mlruns/ folder) into a ciclo store, keeping its ids")
    .argument("<source>", "MLflow's backend store URI (sqlite:///…, postgresql://…, mysql://…) or a file store folder (mlruns/)")
    .option("--backend-store-uri <uri>", "the ciclo database to import into", process.env.CICLO_BACKEND_STORE_URI ?? DEFAULT_BACKEND_STORE_URI)
    .option("--artifacts-destination <dir|uri>", "where artifacts are copied: the folder or s3://, wasbs:// URI ciclo serves them from")
    .option("--artifacts-source <dir|uri>", "what mlflow-artifacts:/ stands for in the source (the MLflow server's --artifacts-destination); local artifact folders must be inside it or the file store")
    .option("--artifacts-in-place", "keep artifact locations as they are; copy nothing")
    .option("--direct-artifact-uris", "give copied artifacts the destination's own URIs instead of mlflow-artifacts:/ ones")
    .option("--experiments <ids-or-names>", "only these experiments (comma-separated, repeatable)", collect)
    .option("--dry-run", "read the source and check the target; write nothing")
    .option("--json", "print the summary as JSON on stdout")
    .addHelpText(
      "after",
      `
Experiment ids, run ids, registered model names and versions and logged model
ids keep their values, so runs:/ and models:/ URIs and bookmarks keep working.
Stop writes to MLflow first. Importing again skips what is already there; an
interrupted import resumes. A target holding any of the source's ids or names
(other than a new store's empty Default experiment) is refused. See
docs/migration.md.

Examples:
  $ ciclo import-mlflow sqlite:///mlflow.db --backend-store-uri sqlite:///ciclo.db \\
      --artifacts-source ./mlartifacts --artifacts-destination ./ciclo-data/artifacts
  $ ciclo import-mlflow postgresql://mlflow@db/mlflow --backend-store-uri postgresql://ciclo@db/ciclo \\
      --artifacts-in-place
  $ ciclo import-mlflow mysql+pymysql://root@127.0.0.1/mlflow --artifacts-source s3://ml/mlflow \\
      --artifacts-destination s3://ml/ciclo --dry-run
  $ ciclo import-mlflow ./mlruns --artifacts-destination ./ciclo-data/artifacts --json | jq .runs`,
    )
    .action(
      cliAction("import-mlflow", async (spec: string, flags: Flags) => {
        if (!flags.artifactsInPlace && !flags.artifactsDestination) throw new UsageError("Give --artifacts-destination (where to copy artifacts) or --artifacts-in-place.");
        if (flags.artifactsInPlace && flags.directArtifactUris) throw new UsageError("--direct-artifact-uris applies to copied artifacts, not --artifacts-in-place.");
        const warnings: string[] = [];
        const source = await openSource(spec, (m) => warnings.push(m));
        const destination = flags.artifactsDestination ? resolveArtifactUri(flags.artifactsDestination) : undefined;
        const allowed = [source.kind === "file" ? source.description : undefined, flags.artifactsSource && !/^[a-z][\w+.-]*:\/\//i.test(flags.artifactsSource) ? localRootPath(flags.artifactsSource) : undefined].filter(
          (x): x is string => x !== undefined,
        );
        const progress = phaseProgress();
        let summary;
        try {
          const stores = await openStores(targetUri(flags.backendStoreUri, flags.dryRun === true), { defaultArtifactRoot: "mlflow-artifacts:/", migrations: migrationSequence(serverModules()) });
          const target = new SqlImportTarget(stores.connection);
          try {
            summary = await importMlflow({
              source,
              target,
              layout: { inPlace: flags.artifactsInPlace === true, destination, direct: flags.directArtifactUris === true },
              sourceArtifacts: { artifactsSource: flags.artifactsSource ? resolveSourceRoot(flags.artifactsSource) : undefined, allowedLocalRoots: allowed },
              openRepository: openArtifactRepository,
              experiments: splitIds(flags.experiments),
              dryRun: flags.dryRun === true,
              progress,
            });
          } finally {
            await target.close();
          }
        } finally {
          progress.stop();
          await source.close();
        }
        summary.warnings.push(...warnings);
        if (flags.json) printJson(summary);
        else process.stdout.write(`${formatSummary(summary, formatBytes).join("\n")}\n`);
      }),
    );
}

/** A local --artifacts-source becomes an absolute path; URIs stay as given. */
function resolveSourceRoot(spec: string): string {
  return /^[a-z][\w+.-]*:/i.test(spec) && !spec.startsWith("file:") ? spec : resolve(localRootPath(spec));
}
