/** `ciclo models list|describe|register|alias|transition|download|history`: the model registry. */
import type { Command } from "commander";
import type { ModelVersion, RegisteredModel, RegistryEvent } from "../../shared/registry-types.js";
import { CliContext, collect, parseKeyValues, parsePositiveInt, withCommonOptions, type CommonFlags } from "../output/cli-context.js";
import { cliAction, UsageError, usageExitCodes } from "../output/cli-errors.js";
import { findModelVersion } from "../output/model-version-ref.js";
import { formatBytes, formatTime } from "../output/format.js";
import { renderFields, type Column } from "../output/table.js";
import { downloadWithProgress } from "./artifacts-command.js";

/** A filter string literal (single quotes doubled). */
export const quote = (s: string): string => `'${s.replace(/'/g, "''")}'`;

function versionColumns(cli: CliContext): Column<ModelVersion>[] {
  return [
    { header: "VERSION", value: (v) => v.version, align: "right", shrink: false },
    { header: "STAGE", value: (v) => v.currentStage, shrink: false, color: (c, v) => (v.currentStage === "Production" ? cli.colors.green(c) : c) },
    { header: "STATUS", value: (v) => v.status, shrink: false },
    { header: "ALIASES", value: (v) => v.aliases.join(", ") },
    { header: "RUN ID", value: (v) => v.runId ?? "", shrink: false },
    { header: "CREATED", value: (v) => formatTime(v.creationTimestamp), shrink: false },
    { header: "SOURCE", value: (v) => v.source },
  ];
}

async function allVersions(cli: CliContext, name: string): Promise<ModelVersion[]> {
  const out: ModelVersion[] = [];
  for await (const v of cli.registry.iterateModelVersions({ filter: `name = ${quote(name)}`, orderBy: ["version_number DESC"] })) out.push(v);
  return out;
}

const latestVersion = (m: RegisteredModel) => m.latestVersions.reduce((a, v) => Math.max(a, Number(v.version)), 0);

export function registerModelsCommand(program: Command): void {
  const models = usageExitCodes(program.command("models").description("Models: the registry (list, describe, register, alias, transition, download, history), evaluation and serving"));

  withCommonOptions(models.command("list"))
    .description("List registered models")
    .option("--filter <filter>", "e.g. \"name LIKE 'fraud%'\" or \"tags.team = 'risk'\"")
    .option("--max-results <n>", "list at most n models (default: all)")
    .addHelpText("after", "\nExamples:\n  $ ciclo models list\n  $ ciclo models list --filter \"name LIKE 'fraud%'\" --json")
    .action(
      cliAction("models list", async (flags: CommonFlags & { filter?: string; maxResults?: string }) => {
        const cli = new CliContext(flags);
        const limit = parsePositiveInt(flags.maxResults, "--max-results") ?? Infinity;
        const out: RegisteredModel[] = [];
        for await (const m of cli.registry.iterateRegisteredModels({ filter: flags.filter, maxResults: Math.min(limit, 1000) })) {
          out.push(m);
          if (out.length >= limit) break;
        }
        cli.emit(out, () =>
          cli.table(
            [
              { header: "NAME", value: (m) => m.name },
              { header: "LATEST", value: (m) => (latestVersion(m) ? String(latestVersion(m)) : "-"), align: "right", shrink: false },
              { header: "ALIASES", value: (m) => m.aliases.map((a) => `${a.alias}→${a.version}`).join(", ") },
              { header: "UPDATED", value: (m) => formatTime(m.lastUpdatedTimestamp), shrink: false },
              { header: "DESCRIPTION", value: (m) => m.description ?? "" },
            ],
            out,
            "No registered models.",
          ),
        );
      }),
    );

  withCommonOptions(models.command("describe"))
    .description("Show a registered model and its versions, or one version (by number or alias)")
    .argument("<name>", "registered model name")
    .argument("[version]", "describe this version only: its number, or an alias (champion or @champion)")
    .addHelpText("after", "\nExamples:\n  $ ciclo models describe fraud\n  $ ciclo models describe fraud 3 --json\n  $ ciclo models describe fraud @champion")
    .action(
      cliAction("models describe", async (name: string, version: string | undefined, flags: CommonFlags) => {
        const cli = new CliContext(flags);
        if (version !== undefined) {
          const v = await findModelVersion(cli, name, version);
          cli.emit(v, () => {
            cli.out(
              renderFields(
                [
                  ["name", v.name],
                  ["version", v.version],
                  ["stage", v.currentStage],
                  ["status", v.status + (v.statusMessage ? ` (${v.statusMessage})` : "")],
                  ["aliases", v.aliases.join(", ") || "-"],
                  ["source", v.source],
                  ["run id", v.runId ?? "-"],
                  ["model id", v.modelId ?? "-"],
                  ["created", formatTime(v.creationTimestamp)],
                  ["updated", formatTime(v.lastUpdatedTimestamp)],
                  ["description", v.description ?? ""],
                  ...v.tags.map((t): [string, string] => [`tag ${t.key}`, t.value]),
                ],
                cli.colors,
              ),
            );
          });
          return;
        }
        const model = await cli.registry.getRegisteredModel(name).catch((err: unknown) => cli.modelNotFound(err, name));
        const versions = await allVersions(cli, name);
        cli.emit({ ...model, versions }, () => {
          cli.out(
            renderFields(
              [
                ["name", model.name],
                ["description", model.description ?? ""],
                ["created", formatTime(model.creationTimestamp)],
                ["updated", formatTime(model.lastUpdatedTimestamp)],
                ["aliases", model.aliases.map((a) => `${a.alias}→${a.version}`).join(", ") || "-"],
                ...model.tags.map((t): [string, string] => [`tag ${t.key}`, t.value]),
              ],
              cli.colors,
            ),
          );
          cli.out(`\n${cli.colors.bold(`Versions (${versions.length})`)}`);
          cli.table(versionColumns(cli), versions, "No versions.");
        });
      }),
    );

  withCommonOptions(models.command("register"))
    .description("Register a model version from a run's or a logged model's files (the registered model is created if needed)")
    .argument("<model-uri>", "runs:/<run_id>/<path>, models:/<model_id>, or a URI in the artifact store")
    .argument("<name>", "registered model name")
    .option("--tag <key=value>", "version tag (repeatable)", collect)
    .option("--description <text>", "version description")
    .option("--await-seconds <s>", "wait this long for the version to be READY", "300")
    .addHelpText("after", "\nExamples:\n  $ ciclo models register runs:/5f3c0a.../model fraud\n  $ ciclo models register runs:/5f3c0a.../model fraud --tag validated=true --json")
    .action(
      cliAction("models register", async (uri: string, name: string, flags: CommonFlags & { tag?: string[]; description?: string; awaitSeconds: string }) => {
        const cli = new CliContext(flags);
        const wait = Number(flags.awaitSeconds);
        if (!Number.isFinite(wait) || wait < 0) throw new UsageError(`--await-seconds must be a number of seconds, got '${flags.awaitSeconds}'.`);
        const v = await cli.registry.registerModel(uri, name, { tags: parseKeyValues(flags.tag), description: flags.description, awaitRegistrationFor: wait });
        cli.emit(v, () => cli.out(`Registered '${name}' version ${v.version} from ${uri} (${v.status}).`));
      }),
    );

  withCommonOptions(models.command("alias"))
    .description("Point an alias at a version (or remove it with --delete)")
    .argument("<name>", "registered model name")
    .argument("<alias>", "alias, e.g. champion")
    .argument("[version]", "the version the alias should point at")
    .option("--delete", "remove the alias")
    .addHelpText("after", "\nExamples:\n  $ ciclo models alias fraud champion 3\n  $ ciclo models alias fraud challenger --delete")
    .action(
      cliAction("models alias", async (name: string, alias: string, version: string | undefined, flags: CommonFlags & { delete?: boolean }) => {
        const cli = new CliContext(flags);
        if (flags.delete) {
          if (version !== undefined) throw new UsageError("--delete takes no version.");
          await cli.registry.deleteRegisteredModelAlias(name, alias);
          cli.emit({ name, alias, deleted: true }, () => cli.out(`Removed alias '${alias}' of '${name}'.`));
          return;
        }
        if (version === undefined) throw new UsageError("Give the version the alias should point at (or --delete).");
        await cli.registry.setRegisteredModelAlias(name, alias, version);
        cli.emit({ name, alias, version }, () => cli.out(`'${name}@${alias}' now points at version ${version}.`));
      }),
    );

  withCommonOptions(models.command("transition"))
    .description("Move a version to a stage: None, Staging, Production or Archived (MLflow's stages; aliases are the newer way)")
    .argument("<name>", "registered model name")
    .argument("<version>", "version")
    .argument("<stage>", "None, Staging, Production or Archived")
    .option("--archive-existing", "archive the versions now in that stage")
    .addHelpText("after", "\nExamples:\n  $ ciclo models transition fraud 3 Production --archive-existing\n  $ ciclo models transition fraud 2 Archived")
    .action(
      cliAction("models transition", async (name: string, version: string, stage: string, flags: CommonFlags & { archiveExisting?: boolean }) => {
        const cli = new CliContext(flags);
        const v = await cli.registry.transitionModelVersionStage(name, version, stage, flags.archiveExisting === true);
        cli.emit(v, () => cli.out(`'${name}' version ${v.version} is now in ${v.currentStage}.`));
      }),
    );

  withCommonOptions(models.command("download"))
    .description("Download a model version's files")
    .argument("<model>", "a registered model name, or a URI: models:/<name>/<version|stage|latest>, models:/<name>@<alias>, models:/<model_id>")
    .argument("[version]", "with a name: the version (a number, a stage, or latest; default latest)")
    .option("-a, --alias <alias>", "with a name: the version this alias points at")
    .option("-d, --dest <dir>", "local folder to download into", ".")
    .addHelpText(
      "after",
      `
The model's files land directly in --dest (as MLflow's download_artifacts does
for models:/ URIs). Prints the local path.

Examples:
  $ ciclo models download fraud --alias champion -d ./serving
  $ ciclo models download fraud 3 -d /tmp/fraud-v3
  $ ciclo models download models:/fraud/Production -d ./prod`,
    )
    .action(
      cliAction("models download", async (model: string, version: string | undefined, flags: CommonFlags & { alias?: string; dest: string }) => {
        const cli = new CliContext(flags);
        const isUri = model.startsWith("models:");
        if (isUri && (version !== undefined || flags.alias)) throw new UsageError("A version or --alias goes with a model name, not with a models:/ URI.");
        if (version !== undefined && flags.alias) throw new UsageError("Give a version or --alias, not both.");
        const uri = isUri ? model : flags.alias ? `models:/${model}@${flags.alias}` : `models:/${model}/${version ?? "latest"}`;
        const res = await downloadWithProgress(cli, uri, flags.dest, `downloading ${uri}`);
        cli.emit({ ...res, modelUri: uri }, () => cli.out(res.localPath));
        if (!cli.json) cli.note(`Downloaded ${res.files} file(s), ${formatBytes(res.bytes)} of ${uri}.`);
      }),
    );

  withCommonOptions(models.command("history"))
    .description("The audit timeline of a registered model: who changed what, when (versions, stages, aliases, tags)")
    .argument("<name>", "registered model name")
    .option("--max-results <n>", "show at most n events (default: all)")
    .addHelpText("after", "\nExamples:\n  $ ciclo models history fraud\n  $ ciclo models history fraud --json | jq '.[] | select(.entity == \"registered_model_alias\")'")
    .action(
      cliAction("models history", async (name: string, flags: CommonFlags & { maxResults?: string }) => {
        const cli = new CliContext(flags);
        const limit = parsePositiveInt(flags.maxResults, "--max-results") ?? Infinity;
        const events: RegistryEvent[] = [];
        for await (const e of cli.registry.iterateRegisteredModelHistory(name, { maxResults: Math.min(limit, 1000) })) {
          events.push(e);
          if (events.length >= limit) break;
        }
        cli.emit(events, () =>
          cli.table(
            [
              { header: "TIME", value: (e) => formatTime(e.timestamp), shrink: false },
              { header: "ACTOR", value: (e) => e.actor ?? "-" },
              { header: "VERSION", value: (e) => e.version ?? "", align: "right", shrink: false },
              { header: "ENTITY", value: (e) => e.entity.replace(/_/g, " ") },
              { header: "ACTION", value: (e) => e.action, shrink: false },
              { header: "KEY", value: (e) => e.key ?? "" },
              { header: "CHANGE", value: (e) => change(e) },
            ],
            events,
            "No events.",
          ),
        );
      }),
    );
}

function change(e: RegistryEvent): string {
  if (e.from !== null && e.to !== null) return `${e.from} → ${e.to}`;
  if (e.to !== null) return e.to;
  if (e.from !== null) return `(was ${e.from})`;
  return "";
}
