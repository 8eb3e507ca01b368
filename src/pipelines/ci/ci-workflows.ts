/**
 * The CI workflows `ciclo ci init` writes: on a push to the watched branches
 * they install ciclo, run `ciclo pipelines run <name> --wait` against the
 * server in `CICLO_TRACKING_URI` with a token from the provider's secret
 * store, keep the run's report, and post it where the provider shows it —
 * GitHub's job summary (`$GITHUB_STEP_SUMMARY`), a GitLab merge-request
 * comment (the notes API, with a project access token), or the Azure
 * Pipelines run summary (`##vso[task.uploadsummary]`). The pipeline's exit
 * status is the job's: a failed gate fails the CI job, and the report is
 * posted either way.
 * @module
 */
import { stringify } from "yaml";

export const CI_PROVIDERS = ["github", "gitlab", "azure"] as const;
export type CiProvider = (typeof CI_PROVIDERS)[number];

export interface CiWorkflowOptions {
  provider: CiProvider;
  pipeline: string;
  /** Branches whose pushes run the pipeline (default main). */
  branches?: string[];
  /** The project folder, relative to the repository root (default `.`). */
  project?: string;
  /** The command that installs ciclo (default `npm install --global ciclo@<version>`). */
  install?: string;
  /** ciclo's version, for the default install command. */
  version: string;
  /** Node.js major version for the job (default 20). */
  nodeVersion?: string;
}

/** Where each provider looks for the file, relative to the repository root. */
export function defaultWorkflowPath(provider: CiProvider, pipeline: string): string {
  switch (provider) {
    case "github":
      return `.github/workflows/ciclo-${pipeline}.yml`;
    case "gitlab":
      return ".gitlab-ci.yml";
    case "azure":
      return "azure-pipelines.yml";
  }
}

const REPORT = "ciclo-report.txt";

/** Shell-quotes one word (single quotes, POSIX). */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function runCommand(o: CiWorkflowOptions, report: string): string {
  const project = o.project ?? ".";
  // pipefail: the job fails when the pipeline does, although tee keeps its output for the report.
  return `set -o pipefail\nciclo pipelines run ${shellQuote(o.pipeline)} --project ${shellQuote(project)} --wait 2>&1 | tee ${report}\n`;
}

function header(o: CiWorkflowOptions, settings: string[]): string {
  return [
    `Written by \`ciclo ci init --provider ${o.provider}\`: runs the ciclo pipeline '${o.pipeline}' on every push to`,
    `${(o.branches ?? ["main"]).join(", ")} and posts its report. Set these in the provider's settings:`,
    ...settings.map((s) => `  ${s}`),
  ]
    .map((l) => `# ${l}`.trimEnd())
    .join("\n");
}

function install(o: CiWorkflowOptions): string {
  return o.install ?? `npm install --global ciclo@${o.version}`;
}

export function renderWorkflow(o: CiWorkflowOptions): string {
  const branches = o.branches ?? ["main"];
  const node = o.nodeVersion ?? "20";
  switch (o.provider) {
    case "github": {
      const doc = {
        name: `ciclo pipeline ${o.pipeline}`,
        on: { push: { branches }, workflow_dispatch: {} },
        permissions: { contents: "read" },
        concurrency: { group: `ciclo-${o.pipeline}-\${{ github.ref }}`, "cancel-in-progress": false },
        jobs: {
          pipeline: {
            "runs-on": "ubuntu-latest",
            "timeout-minutes": 360,
            env: { CICLO_TRACKING_URI: "${{ vars.CICLO_TRACKING_URI }}", CICLO_TRACKING_TOKEN: "${{ secrets.CICLO_TOKEN }}" },
            steps: [
              { uses: "actions/checkout@v4" },
              { uses: "actions/setup-node@v4", with: { "node-version": node } },
              { name: "Install ciclo", run: install(o) },
              { name: `Run pipeline ${o.pipeline}`, shell: "bash", run: runCommand(o, REPORT) },
              {
                name: "Post the report as the job summary",
                if: "always()",
                shell: "bash",
                run: `if [ -f ${REPORT} ]; then\n  { echo "### ciclo pipeline ${o.pipeline}"; echo; echo '\`\`\`'; cat ${REPORT}; echo '\`\`\`'; } >> "$GITHUB_STEP_SUMMARY"\nfi\n`,
              },
            ],
          },
        },
      };
      return `${header(o, ["variable CICLO_TRACKING_URI (Settings > Secrets and variables > Actions > Variables): the ciclo server's URL", "secret CICLO_TOKEN: a ciclo access token (ciclo's Settings > Tokens, or a service account's)"])}\n${stringify(doc, { lineWidth: 0 })}`;
    }
    case "gitlab": {
      const rules = branches.map((b) => ({ if: `$CI_PIPELINE_SOURCE == "push" && $CI_COMMIT_BRANCH =~ ${gitlabBranchRegex(b)}` }));
      const doc = {
        stages: ["ciclo"],
        [`ciclo-${o.pipeline}`]: {
          stage: "ciclo",
          image: `node:${node}`,
          rules: [...rules, { if: '$CI_PIPELINE_SOURCE == "web"' }],
          "timeout": "6h",
          script: [install(o), runCommand(o, REPORT)],
          after_script: [gitlabCommentScript(o)],
          artifacts: { when: "always", paths: [REPORT], expire_in: "30 days" },
        },
      };
      return `${header(o, ["CI/CD variable CICLO_TRACKING_URI: the ciclo server's URL", "CI/CD variable CICLO_TRACKING_TOKEN (masked): a ciclo access token", "CI/CD variable CICLO_GITLAB_TOKEN (masked): a project access token with the api scope, to comment on merge requests"])}\n${stringify(doc, { lineWidth: 0 })}`;
    }
    case "azure": {
      const dir = "$(Build.ArtifactStagingDirectory)";
      const doc = {
        trigger: { branches: { include: branches } },
        pr: "none",
        pool: { vmImage: "ubuntu-latest" },
        steps: [
          { checkout: "self" },
          { task: "NodeTool@0", inputs: { versionSpec: `${node}.x` }, displayName: `Use Node.js ${node}` },
          { script: install(o), displayName: "Install ciclo" },
          {
            bash: runCommand(o, `"${dir}/${REPORT}"`),
            displayName: `Run pipeline ${o.pipeline}`,
            // Secret variables reach a script only when mapped explicitly.
            env: { CICLO_TRACKING_URI: "$(CICLO_TRACKING_URI)", CICLO_TRACKING_TOKEN: "$(CICLO_TOKEN)" },
          },
          {
            bash: `if [ -f "${dir}/${REPORT}" ]; then\n  { echo "# ciclo pipeline ${o.pipeline}"; echo; echo '\`\`\`'; cat "${dir}/${REPORT}"; echo '\`\`\`'; } > "${dir}/ciclo-report.md"\n  echo "##vso[task.uploadsummary]${dir}/ciclo-report.md"\nfi\n`,
            displayName: "Post the report as the run summary",
            condition: "always()",
          },
        ],
      };
      return `${header(o, ["pipeline variable CICLO_TRACKING_URI: the ciclo server's URL", "secret pipeline variable CICLO_TOKEN: a ciclo access token"])}\n${stringify(doc, { lineWidth: 0 })}`;
    }
  }
}

/** A branch glob as GitLab's `=~` regular expression (`release/*` → `/^release\/[^/]*$/`). */
export function gitlabBranchRegex(glob: string): string {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*" && glob[i + 1] === "*") {
      re += ".*";
      i++;
    } else if (c === "*") re += "[^/]*";
    else re += c.replace(/[.+?^${}()|[\]\\/]/g, "\\$&");
  }
  return `/^${re}$/`;
}

/**
 * Posts the report on the merge requests the pushed commit belongs to (or the
 * pipeline's own merge request) through GitLab's notes API; a job without
 * CICLO_GITLAB_TOKEN, or a commit in no open merge request, posts nothing.
 */
function gitlabCommentScript(o: CiWorkflowOptions): string {
  const js = [
    `const fs = require("node:fs");`,
    `const e = process.env;`,
    `if (!e.CICLO_GITLAB_TOKEN || !fs.existsSync("${REPORT}")) process.exit(0);`,
    `const report = fs.readFileSync("${REPORT}", "utf8").slice(-60000);`,
    // The pipeline's name is checked (letters, digits, '.', '_', '-'), so it goes in as written.
    "const fence = String.fromCharCode(96).repeat(3);",
    `const body = "#### ciclo pipeline ${o.pipeline}: " + e.CI_JOB_STATUS + "\\n\\n" + fence + "\\n" + report + "\\n" + fence + "\\n[CI job](" + e.CI_JOB_URL + ")";`,
    `const h = { "PRIVATE-TOKEN": e.CICLO_GITLAB_TOKEN, "content-type": "application/json" };`,
    `const api = \`\${e.CI_API_V4_URL}/projects/\${e.CI_PROJECT_ID}\`;`,
    `(async () => {`,
    `  const iids = e.CI_MERGE_REQUEST_IID ? [e.CI_MERGE_REQUEST_IID]`,
    `    : (await (await fetch(\`\${api}/repository/commits/\${e.CI_COMMIT_SHA}/merge_requests\`, { headers: h })).json()).filter((m) => m.state === "opened").map((m) => m.iid);`,
    `  for (const iid of iids) {`,
    `    const r = await fetch(\`\${api}/merge_requests/\${iid}/notes\`, { method: "POST", headers: h, body: JSON.stringify({ body }) });`,
    `    console.log(\`report posted on !\${iid}: HTTP \${r.status}\`);`,
    `  }`,
    `})().catch((err) => console.log(\`report not posted: \${err.message}\`));`,
  ].join("\n");
  return `node -e '${js.replace(/'/g, `'\\''`)}'\n`;
}
