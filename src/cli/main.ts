/**
 * The `ciclo` command.
 * @module
 */
import { Command } from "commander";
import { CICLO_VERSION } from "../server/version.js";
import { registerArtifactsCommand } from "./commands/artifacts-command.js";
import { registerDbCommand } from "./commands/db-command.js";
import { registerExperimentsCommand } from "./commands/experiments-command.js";
import { registerGcCommand } from "./commands/gc-command.js";
import { registerModelsCommand } from "./commands/models-command.js";
import { registerModelsEvaluateCommand } from "./commands/models-evaluate-command.js";
import { registerModelsServingCommands } from "./commands/models-serving-commands.js";
import { registerRunsCommand } from "./commands/runs-command.js";
import { registerReproduceCommand } from "./commands/reproduce-command.js";
import { registerRunCommand } from "./commands/run-command.js";
import { registerServerCommand } from "./commands/server-command.js";
import { registerSyncCommand } from "./commands/sync-command.js";
import { registerTransferCommands } from "./commands/transfer-command.js";

export function buildProgram(): Command {
  const program = new Command("ciclo")
    .description("ciclo: track, register, package, deploy and monitor ML models")
    .version(CICLO_VERSION)
    .showHelpAfterError();
  registerServerCommand(program);
  registerDbCommand(program);
  registerSyncCommand(program);
  registerExperimentsCommand(program);
  registerRunsCommand(program);
  registerArtifactsCommand(program);
  registerModelsCommand(program);
  registerModelsEvaluateCommand(program);
  registerModelsServingCommands(program);
  registerGcCommand(program);
  registerTransferCommands(program);
  registerRunCommand(program);
  registerReproduceCommand(program);
  return program;
}

export async function main(argv: string[] = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    console.error(`ciclo: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
