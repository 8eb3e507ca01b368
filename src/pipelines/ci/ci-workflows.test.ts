/**
 * `ciclo ci init`: the workflows it writes validate against GitHub's, GitLab's
 * and Azure Pipelines' published JSON schemas (vendored in schemas/, see its
 * README), run the pipeline on push with --wait, and their report steps —
 * run here with bash and node as the providers would — post the report where
 * each provider shows it. Existing files are kept unless --force.
 */
import assert from "node:assert/strict";
import { execFile, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gunzipSync } from "node:zlib";
import { after, before, describe, test } from "node:test";
import { Ajv, type ValidateFunction } from "ajv";
import { parse } from "yaml";
import { tempDir } from "../../testing/temp-dir.js";
import { ciInit, CiInitError } from "./ci-init.js";
import { renderWorkflow, type CiProvider } from "./ci-workflows.js";

const exec = promisify(execFile);
const SCHEMAS = fileURLToPath(new URL("./schemas/", import.meta.url));
const CICLO_BIN = fileURLToPath(new URL("../../../bin/ciclo.js", import.meta.url));

function schema(provider: CiProvider): object {
  const file = { github: "github-workflow.json", gitlab: "gitlab-ci.json", azure: "azure-pipelines-service-schema.json.gz" }[provider];
  const bytes = readFileSync(join(SCHEMAS, file));
  return JSON.parse((file.endsWith(".gz") ? gunzipSync(bytes) : bytes).toString("utf8")) as object;
}

const validators = new Map<CiProvider, ValidateFunction>();
function validator(provider: CiProvider): ValidateFunction {
  let v = validators.get(provider);
  if (!v) {
    // Formats (uri, ...) are not checked (no ajv-formats); Azure's patterns are not valid as unicode regexps.
    v = new Ajv({ strict: false, allErrors: true, validateFormats: false, unicodeRegExp: false }).compile(schema(provider));
    validators.set(provider, v);
  }
  return v;
}

function assertValid(provider: CiProvider, doc: unknown): void {
  const v = validator(provider);
  assert.ok(v(doc), `${provider} schema: ${JSON.stringify(v.errors?.slice(0, 5), null, 1)}`);
}

function cli(cwd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CICLO_BIN, ...args], { cwd, env: { ...process.env, CICLO_FROM_SOURCE: "1", NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    p.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    p.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const REPORT = "pipeline train-deploy: failed at gate\nSTEP      STATE      \ntrain     succeeded  \nevaluate  failed     accuracy 0.71 < champion 0.83\n";

describe("ciclo ci init", () => {
  let repo: { path: string; remove(): void };
  before(() => {
    repo = tempDir("ciclo-ci-init-");
    mkdirSync(join(repo.path, "models", "churn"), { recursive: true });
    writeFileSync(join(repo.path, "models", "churn", "ciclo.yaml"), "name: churn\nentry_points:\n  main:\n    command: node train.js\npipelines:\n  train-deploy:\n    steps: []\n");
  });
  after(() => repo?.remove());

  test("GitHub: the workflow validates, runs the pipeline on push with --wait, and its summary step writes the report to $GITHUB_STEP_SUMMARY", async () => {
    const r = await cli(repo.path, ["ci", "init", "--provider", "github", "--project", "models/churn", "--branch", "main", "--branch", "release/*"]);
    assert.equal(r.code, 0, r.stderr);
    const file = join(repo.path, ".github", "workflows", "ciclo-train-deploy.yml");
    assert.match(r.stdout, /Wrote .*ciclo-train-deploy\.yml/);
    assert.match(r.stdout, /secret CICLO_TOKEN/);
    const doc = parse(readFileSync(file, "utf8"));
    assertValid("github", doc);
    assert.deepEqual(doc.on.push.branches, ["main", "release/*"]);
    const steps = doc.jobs.pipeline.steps as Array<Record<string, string>>;
    assert.match(steps.find((s) => s.name?.startsWith("Run pipeline"))!.run!, /ciclo pipelines run train-deploy --project models\/churn --wait/);
    assert.equal(doc.jobs.pipeline.env.CICLO_TRACKING_TOKEN, "${{ secrets.CICLO_TOKEN }}");
    // The summary step, as the runner would run it.
    const summary = steps.find((s) => s.name?.includes("job summary"))!;
    assert.equal(summary.if, "always()");
    const work = tempDir("ciclo-gh-step-");
    try {
      writeFileSync(join(work.path, "ciclo-report.txt"), REPORT);
      const out = join(work.path, "summary.md");
      execFileSync("bash", ["-e", "-c", summary.run!], { cwd: work.path, env: { ...process.env, GITHUB_STEP_SUMMARY: out } });
      const md = readFileSync(out, "utf8");
      assert.match(md, /^### ciclo pipeline train-deploy\n/);
      assert.ok(md.includes(REPORT), md);
    } finally {
      work.remove();
    }
    // A second init keeps the file; --force replaces it.
    writeFileSync(file, "# mine\n");
    const again = await cli(repo.path, ["ci", "init", "--provider", "github", "--project", "models/churn"]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /exists; pass --force/);
    assert.equal(readFileSync(file, "utf8"), "# mine\n");
    const forced = await cli(repo.path, ["ci", "init", "--provider", "github", "--project", "models/churn", "--force"]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.notEqual(readFileSync(file, "utf8"), "# mine\n");
  });

  test("GitLab: the job validates, runs on pushes to the branches, and its after_script comments on the commit's open merge requests", async () => {
    const r = await cli(repo.path, ["ci", "init", "--provider", "gitlab", "--project", "models/churn"]);
    assert.equal(r.code, 0, r.stderr);
    const doc = parse(readFileSync(join(repo.path, ".gitlab-ci.yml"), "utf8"));
    assertValid("gitlab", doc);
    const job = doc["ciclo-train-deploy"];
    assert.match(job.rules[0].if, /\$CI_PIPELINE_SOURCE == "push" && \$CI_COMMIT_BRANCH =~ \/\^main\$\//);
    assert.match(job.script.join("\n"), /set -o pipefail\nciclo pipelines run train-deploy --project models\/churn --wait/);
    // GitLab's API, as far as the script uses it: merge requests of a commit, notes on a merge request.
    const notes: Array<{ url: string; token: string | undefined; body: string }> = [];
    const gitlab = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        if (req.method === "GET" && req.url === "/api/v4/projects/42/repository/commits/abc123/merge_requests") {
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify([{ iid: 7, state: "opened" }, { iid: 3, state: "merged" }]));
        } else if (req.method === "POST" && req.url?.startsWith("/api/v4/projects/42/merge_requests/")) {
          notes.push({ url: req.url, token: req.headers["private-token"] as string | undefined, body: (JSON.parse(body) as { body: string }).body });
          res.writeHead(201, { "content-type": "application/json" }).end("{}");
        } else res.writeHead(404).end();
      });
    });
    await new Promise<void>((ok) => gitlab.listen(0, "127.0.0.1", ok));
    const work = tempDir("ciclo-gl-step-");
    try {
      const port = (gitlab.address() as AddressInfo).port;
      const env = { ...process.env, CI_API_V4_URL: `http://127.0.0.1:${port}/api/v4`, CI_PROJECT_ID: "42", CI_COMMIT_SHA: "abc123", CI_JOB_STATUS: "failed", CI_JOB_URL: "https://gitlab.example/jobs/1" };
      // Without the token, or without a report, it posts nothing and succeeds.
      // Async: the GitLab stand-in answers from this process, which a sync exec would block.
      await exec("bash", ["-e", "-c", job.after_script[0]], { cwd: work.path, env: { ...env, CICLO_GITLAB_TOKEN: "glpat-test" } });
      writeFileSync(join(work.path, "ciclo-report.txt"), REPORT);
      await exec("bash", ["-e", "-c", job.after_script[0]], { cwd: work.path, env });
      assert.equal(notes.length, 0);
      const { stdout: out } = await exec("bash", ["-e", "-c", job.after_script[0]], { cwd: work.path, env: { ...env, CICLO_GITLAB_TOKEN: "glpat-test" }, encoding: "utf8" });
      assert.match(out, /report posted on !7: HTTP 201/);
      assert.equal(notes.length, 1, "the open merge request only");
      assert.equal(notes[0]!.url, "/api/v4/projects/42/merge_requests/7/notes");
      assert.equal(notes[0]!.token, "glpat-test");
      assert.match(notes[0]!.body, /^#### ciclo pipeline train-deploy: failed\n\n```\n/);
      assert.ok(notes[0]!.body.includes(REPORT));
    } finally {
      work.remove();
      await new Promise((ok) => gitlab.close(ok));
    }
  });

  test("Azure Pipelines: the pipeline validates, maps the secret into the run step, and uploads the report as the run summary", async () => {
    const r = await cli(repo.path, ["ci", "init", "--provider", "azure", "--project", "models/churn", "--pipeline", "train-deploy"]);
    assert.equal(r.code, 0, r.stderr);
    const doc = parse(readFileSync(join(repo.path, "azure-pipelines.yml"), "utf8"));
    assertValid("azure", doc);
    assert.deepEqual(doc.trigger.branches.include, ["main"]);
    const run = doc.steps.find((s: { displayName?: string }) => s.displayName?.startsWith("Run pipeline"));
    assert.match(run.bash, /ciclo pipelines run train-deploy --project models\/churn --wait/);
    assert.equal(run.env.CICLO_TRACKING_TOKEN, "$(CICLO_TOKEN)");
    const post = doc.steps.find((s: { displayName?: string }) => s.displayName?.includes("run summary"));
    assert.equal(post.condition, "always()");
    const work = tempDir("ciclo-az-step-");
    try {
      writeFileSync(join(work.path, "ciclo-report.txt"), REPORT);
      // Azure replaces $(Build.ArtifactStagingDirectory) before the script runs.
      const script = (post.bash as string).replaceAll("$(Build.ArtifactStagingDirectory)", work.path);
      const out = execFileSync("bash", ["-e", "-c", script], { encoding: "utf8" });
      assert.equal(out.trim(), `##vso[task.uploadsummary]${work.path}/ciclo-report.md`);
      assert.ok(readFileSync(join(work.path, "ciclo-report.md"), "utf8").includes(REPORT));
    } finally {
      work.remove();
    }
  });

  test("the schemas tell a broken workflow from a good one", () => {
    const gh = parse(renderWorkflow({ provider: "github", pipeline: "p", version: "0.1.0" }));
    delete gh.jobs.pipeline["runs-on"];
    assert.equal(validator("github")(gh), false);
    const gl = parse(renderWorkflow({ provider: "gitlab", pipeline: "p", version: "0.1.0" }));
    gl["ciclo-p"].when = "sometimes";
    assert.equal(validator("gitlab")(gl), false);
    const az = parse(renderWorkflow({ provider: "azure", pipeline: "p", version: "0.1.0" }));
    az.steps[0] = { chekout: "self" };
    assert.equal(validator("azure")(az), false);
  });

  test("which pipeline: the named one if the project declares it, else the only one; clear errors otherwise", () => {
    const dir = tempDir("ciclo-ci-pick-");
    try {
      const base = { provider: "github" as const, version: "0.1.0", root: dir.path };
      assert.throws(() => ciInit(base), (e: unknown) => e instanceof CiInitError && /No ciclo.yaml/.test(e.message));
      writeFileSync(join(dir.path, "ciclo.yaml"), "pipelines:\n  a: {}\n  b: {}\n");
      assert.throws(() => ciInit(base), /several pipelines \(a, b\): choose one with --pipeline/);
      assert.throws(() => ciInit({ ...base, pipeline: "c" }), /no pipeline 'c'; it declares a, b/);
      assert.throws(() => ciInit({ ...base, pipeline: "../../etc/x" }), /not a pipeline name/);
      assert.throws(() => ciInit({ ...base, pipeline: "a", branches: ["bad branch"] }), /not a branch name/);
      assert.equal(existsSync(join(dir.path, ".github")), false, "nothing written on a refusal");
      assert.equal(ciInit({ ...base, pipeline: "b" }).pipeline, "b");
    } finally {
      dir.remove();
    }
  });
});
