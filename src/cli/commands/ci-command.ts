/** `ciclo ci init`: writes a CI workflow (GitHub Actions, GitLab CI, Azure Pipelines) that runs a pipeline on push. */
import type { Command } from "commander";
import { ciInit, CiInitError } from "../../pipelines/ci/ci-init.js";
import { CI_PROVIDERS, type CiProvider } from "../../pipelines/ci/ci-workflows.js";
import { CICLO_VERSION } from "../../shared/node/version.js";
import { collect } from "../output/cli-context.js";
import { cliAction, UsageError, usageExitCodes } from "../output/cli-errors.js";

interface CiInitFlags {
  provider: string;
  pipeline?: string;
  project?: string;
  branch?: string[];
  output?: string;
  force?: boolean;
  install?: string;
  node?: string;
}

export function registerCiCommand(program: Command): void {
  const ci = usageExitCodes(program.command("ci").description("Connect a CI provider to ciclo pipelines"));
  ci.command("init")
    .description("Write a CI workflow that runs a pipeline on every push and posts its report")
    .requiredOption("--provider <provider>", `github, gitlab or azure`)
    .option("--pipeline <name>", "the pipeline to run (default: the only one in the project's ciclo.yaml)")
    .option("--project <dir>", "the project folder, relative to the repository root", ".")
    .option("--branch <branch>", "a branch (or glob, release/*) whose pushes run it; repeatable (default main)", collect)
    .option("-o, --output <file>", "where to write (default: .github/workflows/ciclo-<pipeline>.yml, .gitlab-ci.yml, azure-pipelines.yml)")
    .option("--force", "replace the file if it exists")
    .option("--install <command>", `how the job installs ciclo (default: npm install --global ciclo@${CICLO_VERSION})`)
    .option("--node <major>", "Node.js version of the job", "20")
    .addHelpText(
      "after",
      `
The workflow runs \`ciclo pipelines run <pipeline> --project <dir> --wait\`
against the server in CICLO_TRACKING_URI with a ciclo token from the
provider's secrets, fails the job when the pipeline fails (a gate included),
and posts the run's report either way:
  github  the job summary ($GITHUB_STEP_SUMMARY); set the repository variable
          CICLO_TRACKING_URI and the secret CICLO_TOKEN
  gitlab  a comment on the commit's open merge requests (notes API); set the
          CI/CD variables CICLO_TRACKING_URI, CICLO_TRACKING_TOKEN and
          CICLO_GITLAB_TOKEN (a project access token with the api scope)
  azure   the run's summary (##vso[task.uploadsummary]); set the variable
          CICLO_TRACKING_URI and the secret variable CICLO_TOKEN
Nothing is overwritten without --force.

Examples:
  $ ciclo ci init --provider github
  $ ciclo ci init --provider gitlab --pipeline train-deploy --output .gitlab/ciclo.yml
  $ ciclo ci init --provider azure --project models/churn --branch main --branch 'release/*'`,
    )
    .action(
      cliAction("ci init", async (flags: CiInitFlags) => {
        if (!(CI_PROVIDERS as readonly string[]).includes(flags.provider)) throw new UsageError(`--provider must be one of ${CI_PROVIDERS.join(", ")}, got '${flags.provider}'.`);
        if (!/^\d{2}$/.test(flags.node ?? "20")) throw new UsageError(`--node must be a Node.js major version (20, 22), got '${flags.node}'.`);
        try {
          const r = ciInit({
            provider: flags.provider as CiProvider,
            pipeline: flags.pipeline,
            project: flags.project,
            branches: flags.branch,
            output: flags.output,
            force: flags.force,
            install: flags.install,
            nodeVersion: flags.node,
            version: CICLO_VERSION,
            root: process.cwd(),
          });
          process.stdout.write(`Wrote ${r.path}: pipeline '${r.pipeline}' runs on pushes to ${(flags.branch ?? ["main"]).join(", ")}.\n`);
          process.stdout.write(`${r.text.split("\n").filter((l) => l.startsWith("#   ")).map((l) => `Set ${l.slice(4)}`).join("\n")}\n`);
        } catch (err) {
          if (err instanceof CiInitError && err.usage) throw new UsageError(err.message);
          throw err;
        }
      }),
    );
}
