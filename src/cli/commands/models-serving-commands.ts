/**
 * Attaches the deployment verbs — `serve`, `predict`, `build-docker`,
 * `build-image`, `k8s` —
 * to the `ciclo models` group (the registry verbs live in models-command.ts).
 * Registered after that group in main.ts; creates the group if it is absent,
 * so either file can land first.
 * @module
 */
import type { Command } from "commander";
import { usageExitCodes } from "../output/cli-errors.js";
import { registerModelsBuildDockerCommand } from "./models-build-docker-command.js";
import { registerModelsBuildImageCommand } from "./models-build-image-command.js";
import { registerModelsK8sCommand } from "./models-k8s-command.js";
import { registerModelsPredictCommand } from "./models-predict-command.js";
import { registerModelsServeCommand } from "./models-serve-command.js";

export function registerModelsServingCommands(program: Command): void {
  const models =
    program.commands.find((c) => c.name() === "models") ??
    usageExitCodes(program.command("models").description("Models: serve, predict, build-docker, build-image, k8s"));
  registerModelsServeCommand(models);
  registerModelsPredictCommand(models);
  registerModelsBuildDockerCommand(models);
  registerModelsBuildImageCommand(models);
  registerModelsK8sCommand(models);
}
