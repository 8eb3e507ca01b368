/** `ciclo experiments list|create|rename|delete|restore`. */
import type { Command } from "commander";
import type { Experiment } from "../../shared/tracking-types.js";
import type { ViewType } from "../../shared/types.js";
import { CliContext, collect, parseKeyValues, parsePositiveInt, withCommonOptions, type CommonFlags } from "../output/cli-context.js";
import { cliAction, UsageError, usageExitCodes } from "../output/cli-errors.js";
import { formatTime } from "../output/format.js";
import type { Column } from "../output/table.js";

const VIEWS: Record<string, ViewType> = { active: "ACTIVE_ONLY", deleted: "DELETED_ONLY", all: "ALL" };

export function parseView(view: string | undefined): ViewType {
  const v = VIEWS[(view ?? "active").toLowerCase()];
  if (!v) throw new UsageError(`--view must be active, deleted or all, got '${view}'.`);
  return v;
}

const EXPERIMENT_COLUMNS: Column<Experiment>[] = [
  { header: "ID", value: (e) => e.experimentId, align: "right", shrink: false },
  { header: "NAME", value: (e) => e.name },
  { header: "STAGE", value: (e) => e.lifecycleStage, shrink: false },
  { header: "CREATED", value: (e) => formatTime(e.creationTime), shrink: false },
  { header: "ARTIFACT LOCATION", value: (e) => e.artifactLocation },
];

export function registerExperimentsCommand(program: Command): void {
  const experiments = usageExitCodes(program.command("experiments").description("List, create, rename, delete and restore experiments"));

  withCommonOptions(experiments.command("list"))
    .description("List experiments (active ones by default)")
    .option("--view <view>", "active, deleted or all", "active")
    .option("--filter <filter>", "MLflow search filter, e.g. \"name LIKE 'vision-%'\"")
    .option("--order-by <clause>", "e.g. 'name ASC' or 'creation_time DESC' (repeatable)", collect)
    .option("--max-results <n>", "list at most n experiments (default: all)")
    .addHelpText(
      "after",
      `
Examples:
  $ ciclo experiments list
  $ ciclo experiments list --view deleted
  $ ciclo experiments list --filter "tags.team = 'vision'" --order-by "creation_time DESC"
  $ ciclo experiments list --json | jq -r '.[].name'`,
    )
    .action(
      cliAction("experiments list", async (flags: CommonFlags & { view?: string; filter?: string; orderBy?: string[]; maxResults?: string }) => {
        const cli = new CliContext(flags);
        const limit = parsePositiveInt(flags.maxResults, "--max-results") ?? Infinity;
        const viewType = parseView(flags.view);
        const out: Experiment[] = [];
        for await (const e of cli.tracking.iterateExperiments({ viewType, filter: flags.filter, orderBy: flags.orderBy, maxResults: Math.min(limit, 1000) })) {
          out.push(e);
          if (out.length >= limit) break;
        }
        cli.emit(out, () => cli.table(EXPERIMENT_COLUMNS, out, "No experiments."));
      }),
    );

  withCommonOptions(experiments.command("create"))
    .description("Create an experiment; prints its id")
    .argument("<name>", "experiment name (unique, also among deleted experiments)")
    .option("--artifact-location <uri>", "where its runs' artifacts go (default: the server's artifact root)")
    .option("--tag <key=value>", "experiment tag (repeatable)", collect)
    .addHelpText(
      "after",
      `
Examples:
  $ ciclo experiments create fraud-detection
  $ ciclo experiments create vision --tag team=cv --artifact-location s3://ml-artifacts/vision
  $ EXP=$(ciclo experiments create nightly --json | jq -r .experimentId)`,
    )
    .action(
      cliAction("experiments create", async (name: string, flags: CommonFlags & { artifactLocation?: string; tag?: string[] }) => {
        const cli = new CliContext(flags);
        const tags = parseKeyValues(flags.tag);
        const id = await cli.tracking.createExperiment(name, { artifactLocation: flags.artifactLocation, tags });
        cli.emit({ experimentId: id, name }, () => cli.out(`Created experiment '${name}' with id ${id}.`));
      }),
    );

  withCommonOptions(experiments.command("rename"))
    .description("Rename an experiment")
    .argument("<experiment>", "experiment id or name")
    .argument("<new-name>", "its new name")
    .addHelpText("after", "\nExamples:\n  $ ciclo experiments rename 3 fraud-detection-v2\n  $ ciclo experiments rename old-name new-name")
    .action(
      cliAction("experiments rename", async (ref: string, newName: string, flags: CommonFlags) => {
        const cli = new CliContext(flags);
        const e = await cli.experiment(ref);
        await cli.tracking.renameExperiment(e.experimentId, newName);
        cli.emit({ experimentId: e.experimentId, oldName: e.name, name: newName }, () =>
          cli.out(`Renamed experiment ${e.experimentId} from '${e.name}' to '${newName}'.`),
        );
      }),
    );

  for (const [verb, past, help] of [
    ["delete", "Deleted", "Delete experiments (with their runs); `restore` undoes it until `ciclo gc` purges them"],
    ["restore", "Restored", "Restore deleted experiments (and the runs their deletion deleted)"],
  ] as const) {
    withCommonOptions(experiments.command(verb))
      .description(help)
      .argument("<experiments...>", "experiment ids or names")
      .addHelpText(
        "after",
        `
Examples:
  $ ciclo experiments ${verb} 3
  $ ciclo experiments ${verb} fraud-detection 7 8${verb === "delete" ? "\n  $ ciclo gc --experiment-ids 3        # purge for good" : ""}`,
      )
      .action(
        cliAction(`experiments ${verb}`, async (refs: string[], flags: CommonFlags) => {
          const cli = new CliContext(flags);
          const done: Array<{ experimentId: string; name: string }> = [];
          for (const ref of refs) {
            const e = await cli.experiment(ref);
            if (verb === "delete") await cli.tracking.deleteExperiment(e.experimentId);
            else await cli.tracking.restoreExperiment(e.experimentId);
            done.push({ experimentId: e.experimentId, name: e.name });
            if (!cli.json) cli.out(`${past} experiment ${e.experimentId} ('${e.name}').`);
          }
          if (cli.json) cli.emit(done, () => {});
        }),
      );
  }
}
