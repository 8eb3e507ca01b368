/**
 * Triggers against the real pipelines engine on a real server (loopback
 * port, SQLite, the job runner, step processes): a signed GitHub push to a
 * git repository starts the pipeline at the pushed branch — a clone of the
 * repository, so the step sees the pushed commit — and the run carries the
 * trigger (kind git, the delivery, the commit) as MLflow tags; a pipeline
 * with an approve step, started by a push, waits until approved. A trigger
 * naming a pipeline the project lacks is refused with nothing stored.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, test } from "node:test";
import { runCiclo } from "../../../testing/child-server.js";
import { startPipelineWorld, type PipelineWorld } from "../../../testing/pipelines-fixture.js";

describe("git push triggers start the engine's pipelines", () => {
  let w: PipelineWorld;
  let repoUrl: string;
  let sha: string;
  const savedKey = process.env.CICLO_SECRETS_KEY;
  before(async () => {
    // Webhook secrets live in the secret store, which needs a key.
    process.env.CICLO_SECRETS_KEY = randomBytes(32).toString("base64");
    w = await startPipelineWorld();
    const repo = join(w.dir, "repo");
    mkdirSync(repo);
    writeFileSync(
      join(repo, "ciclo.yaml"),
      `name: churn
entry_points:
  main: { command: "echo main" }
pipelines:
  ship:
    steps:
      where:
        run: echo "commit=$(git rev-parse HEAD)" >> "$CICLO_STEP_OUTPUTS"
        cache: false
  gated:
    steps:
      build:
        run: echo built
        cache: false
      approve:
        uses: approve
        needs: [build]
        with: { message: deploy this push? }
      deploy:
        needs: [approve]
        run: echo "deployed after \${{ steps.approve.outputs.by }} approved"
        cache: false
`,
    );
    const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=e2e", "-c", "user.email=e2e@ciclo.invalid", ...args], { cwd: repo, encoding: "utf8" }).trim();
    git("init", "--quiet", "--initial-branch=main");
    git("add", ".");
    git("commit", "--quiet", "-m", "pipelines");
    sha = git("rev-parse", "HEAD");
    repoUrl = pathToFileURL(repo).href;
  });
  after(async () => {
    await w?.close();
    if (savedKey === undefined) delete process.env.CICLO_SECRETS_KEY;
    else process.env.CICLO_SECRETS_KEY = savedKey;
  });

  async function trigger(name: string, pipeline: string) {
    const r = await w.api("POST", "/pipelines/triggers/create", { name, kind: "github", project: repoUrl, pipeline, config: { branches: ["main"] } });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    return r.json as { trigger: { webhook_path: string; trigger_id: string }; secret: string };
  }

  async function push(path: string, secret: string, delivery = randomUUID()) {
    const body = JSON.stringify({ ref: "refs/heads/main", after: sha, repository: { full_name: "acme/churn", clone_url: repoUrl }, pusher: { name: "ana" } });
    const res = await fetch(`${w.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": "push", "x-github-delivery": delivery, "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}` },
      body,
    });
    return { status: res.status, json: (await res.json()) as any };
  }

  test("a trigger naming a pipeline the project does not declare, or a project that cannot be read, is refused; nothing is stored", async () => {
    const state = async () => ({
      triggers: (await w.api("GET", "/pipelines/triggers/list")).json.triggers.map((t: any) => t.name).sort(),
      secrets: (await w.api("GET", "/secrets/list")).json.secrets.map((x: any) => x.name).sort(),
      checkouts: existsSync(join(w.dir, "work", "checkouts")) ? readdirSync(join(w.dir, "work", "checkouts")) : [],
    });
    const before = await state();
    const cases: Array<[Record<string, unknown>, number, string, RegExp]> = [
      [{ name: "no-such-pipeline", kind: "github", project: repoUrl, pipeline: "shipp" }, 404, "RESOURCE_DOES_NOT_EXIST", /has no pipeline 'shipp' \(its pipelines: ship, gated\)/],
      [{ name: "no-such-pipeline-cron", kind: "cron", project: repoUrl, pipeline: "nightly", config: { cron: "0 3 * * *" } }, 404, "RESOURCE_DOES_NOT_EXIST", /has no pipeline 'nightly'/],
      [{ name: "no-such-folder", kind: "cron", project: join(w.dir, "nowhere"), pipeline: "ship", config: { cron: "0 3 * * *" } }, 400, "INVALID_PARAMETER_VALUE", /does not exist on the server/],
      [{ name: "no-such-repo", kind: "github", project: `${repoUrl}-gone`, pipeline: "ship" }, 400, "INVALID_PARAMETER_VALUE", /Could not fetch/],
    ];
    for (const [body, status, code, message] of cases) {
      const r = await w.api("POST", "/pipelines/triggers/create", body);
      assert.equal(r.status, status, JSON.stringify(r.json));
      assert.equal(r.json.error_code, code);
      assert.match(r.json.message, message);
    }
    assert.deepEqual(await state(), before, "no trigger, no webhook secret, no checkout left behind");
  });

  test("a push runs the pipeline at the pushed commit; the run records the git trigger", async () => {
    const { trigger: t, secret } = await trigger("on-push", "ship");
    const delivery = randomUUID();
    const r = await push(t.webhook_path, secret, delivery);
    assert.equal(r.status, 202, JSON.stringify(r.json));
    assert.equal(r.json.outcome, "started");
    const run = await w.until(r.json.run_id);
    assert.equal(run.status, "succeeded", JSON.stringify(run));
    assert.equal(run.steps[0].outputs.commit, sha, "the step ran at the pushed commit");
    assert.equal(run.trigger.kind, "git");
    assert.equal(run.trigger.actor, "ana");
    assert.equal(run.trigger.detail.delivery_id, delivery);
    assert.equal(run.trigger.detail.commit, sha);
    const tags = Object.fromEntries((await w.mlflow("GET", `/runs/get?run_id=${run.run_id}`)).json.run.data.tags.map((x: any) => [x.key, x.value]));
    assert.equal(tags["ciclo.pipeline.trigger"], "git");
    assert.equal(JSON.parse(tags["ciclo.pipeline.trigger.detail"]).commit, sha);
    const fired = (await w.api("GET", `/pipelines/triggers/get?trigger_id=on-push`)).json.firings;
    assert.deepEqual(fired.map((f: any) => [f.firing_key, f.outcome, f.run_id]), [[delivery, "started", run.run_id]]);
    // The same delivery again starts nothing.
    const replay = await push(t.webhook_path, secret, delivery);
    assert.equal(replay.status, 409);
    assert.equal(replay.json.error_code, "RESOURCE_CONFLICT");
    assert.equal((await w.api("GET", "/pipelines/runs?pipeline=ship")).json.pipeline_runs.length, 1);
  });

  test("a pushed pipeline with an approve step waits until approved, then deploys", async () => {
    const { trigger: t, secret } = await trigger("gated-push", "gated");
    const r = await push(t.webhook_path, secret);
    assert.equal(r.status, 202, JSON.stringify(r.json));
    const waiting = await w.until(r.json.run_id, ["waiting"]);
    assert.deepEqual(waiting.steps.map((s: any) => s.status), ["succeeded", "waiting", "pending"]);
    const inbox = (await w.api("GET", "/pipelines/approvals?state=pending")).json.approvals;
    assert.ok(inbox.some((a: any) => a.run_id === r.json.run_id && a.message === "deploy this push?"), JSON.stringify(inbox));
    const ok = await w.api("POST", `/pipelines/runs/${r.json.run_id}/approvals/approve`, { approved: true, by: "lead", comment: "go" });
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    const done = await w.until(r.json.run_id);
    assert.equal(done.status, "succeeded");
    const logs = (await w.api("GET", `/pipelines/runs/${r.json.run_id}/logs?step=deploy`)).json.lines;
    assert.ok(logs.some((l: any) => l.line === "deployed after lead approved"), JSON.stringify(logs));
  });

  test("ciclo pipelines triggers: create prints the webhook URL and the secret once; get shows the firings; delete removes it", async () => {
    const env = { ...process.env, CICLO_FROM_SOURCE: "1", CICLO_TRACKING_URI: w.url, CICLO_HTTP_REQUEST_MAX_RETRIES: "0" };
    const made = await runCiclo(["pipelines", "triggers", "create", "cli-push", "--kind", "github", "--project", repoUrl, "--pipeline", "ship", "--branch", "main"], env);
    assert.equal(made.code, 0, made.stderr);
    const url = /webhook URL: (\S+)/.exec(made.stdout)?.[1];
    const secret = /secret \(shown once\): (\S+)/.exec(made.stdout)?.[1];
    assert.ok(url?.startsWith(`${w.url}/api/ciclo/v1/pipelines/webhooks/github/`) && secret, made.stdout);
    const r = await push(url!.slice(w.url.length), secret!);
    assert.equal(r.status, 202, JSON.stringify(r.json));
    await w.until(r.json.run_id);
    const got = await runCiclo(["pipelines", "triggers", "get", "cli-push"], env);
    assert.equal(got.code, 0, got.stderr);
    assert.match(got.stdout, new RegExp(`started\\s+\\S+\\s+run ${r.json.run_id}`));
    const bad = await runCiclo(["pipelines", "triggers", "create", "cli-cron", "--kind", "cron", "--cron", "61 * * * *", "--project", repoUrl, "--pipeline", "ship"], env);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /Invalid cron schedule/);
    const gone = await runCiclo(["pipelines", "triggers", "delete", "cli-push"], env);
    assert.equal(gone.code, 0, gone.stderr);
    const list = await runCiclo(["pipelines", "triggers", "list", "--json"], env);
    assert.ok(!JSON.parse(list.stdout).some((t: { name: string }) => t.name === "cli-push"));
  });
});
