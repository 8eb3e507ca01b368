/**
 * The `ciclo` command.
 * @module
 */
import { Command } from "commander";
import { CICLO_VERSION } from "../shared/node/version.js";

type Register = (program: Command) => void;

/**
 * Commands by name, loaded on demand: `ciclo server` must not pay for the model runtimes,
 * the AWS SDK or the project runner, and a broken command file breaks only that command.
 * `ciclo --help` (no command) loads them all to list them.
 */
const COMMANDS: Record<string, Array<() => Promise<Register>>> = {
  server: [async () => (await import("./commands/server-command.js")).registerServerCommand],
  db: [async () => (await import("./commands/db-command.js")).registerDbCommand],
  sync: [async () => (await import("./commands/sync-command.js")).registerSyncCommand],
  experiments: [async () => (await import("./commands/experiments-command.js")).registerExperimentsCommand],
  runs: [async () => (await import("./commands/runs-command.js")).registerRunsCommand],
  artifacts: [async () => (await import("./commands/artifacts-command.js")).registerArtifactsCommand],
  models: [
    async () => (await import("./commands/models-command.js")).registerModelsCommand,
    async () => (await import("./commands/models-evaluate-command.js")).registerModelsEvaluateCommand,
    async () => (await import("./commands/models-serving-commands.js")).registerModelsServingCommands,
  ],
  gc: [async () => (await import("./commands/gc-command.js")).registerGcCommand],
  jobs: [async () => (await import("./commands/jobs-command.js")).registerJobsCommand],
  endpoints: [async () => (await import("./commands/deployments-command.js")).registerDeploymentsCommands],
  deployments: [async () => (await import("./commands/deployments-command.js")).registerDeploymentsCommands],
  gateway: [async () => (await import("./commands/gateway-command.js")).registerGatewayCommand],
  export: [async () => (await import("./commands/transfer-command.js")).registerTransferCommands],
  import: [async () => (await import("./commands/transfer-command.js")).registerTransferCommands],
  "import-mlflow": [async () => (await import("./commands/import-mlflow-command.js")).registerImportMlflowCommand],
  run: [async () => (await import("./commands/run-command.js")).registerRunCommand],
  reproduce: [async () => (await import("./commands/reproduce-command.js")).registerReproduceCommand],
  image: [async () => (await import("./commands/image-command.js")).registerImageCommand],
  sweep: [async () => (await import("./commands/sweep-command.js")).registerSweepCommand],
  pipelines: [
    async () => (await import("./commands/pipelines-command.js")).registerPipelinesCommand,
    async () => (await import("./commands/pipeline-triggers-command.js")).registerPipelineTriggersCommand,
  ],
  monitor: [async () => (await import("./commands/monitor-command.js")).registerMonitorCommand],
  ci: [async () => (await import("./commands/ci-command.js")).registerCiCommand],
  auth: [async () => (await import("./commands/auth-command.js")).registerAuthCommands],
  tokens: [async () => (await import("./commands/auth-command.js")).registerAuthCommands],
  users: [async () => (await import("./commands/auth-command.js")).registerAuthCommands],
  secrets: [async () => (await import("./commands/auth-command.js")).registerAuthCommands],
};

/** Builds the program with the commands `argv` names (all of them when it names none). */
export async function buildProgram(argv: string[] = process.argv): Promise<Command> {
  const program = new Command("ciclo")
    .description("ciclo: track, register, package, deploy and monitor ML models")
    .version(CICLO_VERSION)
    .showHelpAfterError();
  const args = argv.slice(2);
  const name = args.find((a) => !a.startsWith("-"));
  // `ciclo --version` (no command) needs none of them; `ciclo --help` and an unknown name list them all.
  const versionOnly = !name && args.some((a) => a === "-V" || a === "--version");
  const loaders = name && COMMANDS[name] ? COMMANDS[name] : versionOnly ? [] : [...new Set(Object.values(COMMANDS).flat())];
  const registered = new Set<Register>();
  for (const load of loaders) {
    const register = await load();
    // `export` and `import` share one module that registers both.
    if (registered.has(register)) continue;
    registered.add(register);
    register(program);
  }
  program.addHelpText("after", TOP_EXAMPLES);
  for (const group of program.commands) addGroupExamples(group);
  return program;
}

const TOP_EXAMPLES = `
Examples:
  $ ciclo server --port 5000                         # the server: API and UI, data in ./ciclo-data/
  $ ciclo runs list -e churn --order-by "metrics.auc DESC"
  $ ciclo models serve -m models:/churn@champion
  $ ciclo <command> --help                           # each command's options and examples`;

/**
 * A command group's help (\`ciclo models --help\`) ends with the first example of each of its commands, taken from
 * their own help when it is shown, so the group's examples are always the commands' real ones.
 */
function addGroupExamples(group: Command): void {
  if (group.commands.length === 0) return;
  group.addHelpText("after", () => {
    const lines = group.commands.flatMap((c) => firstExample(c) ?? []);
    return lines.length ? `\nExamples (the first of each command; \`${commandPath(group)} <command> --help\` has more):\n${lines.join("\n")}` : "";
  });
  for (const sub of group.commands) addGroupExamples(sub);
}

function firstExample(cmd: Command): string | undefined {
  if (cmd.commands.length > 0) return cmd.commands.map(firstExample).find((l) => l !== undefined);
  let text = "";
  const saved = cmd.configureOutput();
  cmd.configureOutput({ ...saved, writeOut: (s) => void (text += s), writeErr: (s) => void (text += s) });
  try {
    cmd.outputHelp();
  } finally {
    cmd.configureOutput(saved);
  }
  // The first example that runs this command: a help may open with a step that prepares for it (`ciclo monitor
  // create` first shows how to store a reference profile). An example continued on the next line (`… \\`) is
  // shown up to its break.
  const examples = text.match(/^ *\$ ciclo .*$/gm) ?? [];
  const own = examples.find((line) => (line + " ").includes(`${commandPath(cmd)} `));
  return (own ?? examples[0])?.replace(/\s*\\$/, " …");
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

export async function main(argv: string[] = process.argv): Promise<void> {
  try {
    await (await buildProgram(argv)).parseAsync(argv);
  } catch (err) {
    console.error(`ciclo: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
