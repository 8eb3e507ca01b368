/**
 * Triggers declared in ciclo.yaml (`on:` of a pipeline) on a real server:
 * registering the project creates them (a webhook's secret shown once), a
 * push signed with that secret starts the pipeline at the pushed commit;
 * registering again after the file changed keeps, replaces and deletes them
 * to match; a bad declaration (or a name taken by a trigger made by hand) is
 * refused with nothing changed.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, test } from "node:test";
import { startPipelineWorld, type PipelineWorld } from "../../../testing/pipelines-fixture.js";

const yaml = (on: string) => `name: churn
pipelines:
  ship:
${on}    steps:
      where:
        run: echo "commit=$(git rev-parse HEAD)" >> "$CICLO_STEP_OUTPUTS"
        cache: false
`;
const ALL = `    on:
      push: { provider: github, branches: [main] }
      schedule: { cron: "0 3 * * *" }
      registry: [{ model: churn, event: alias_set, alias: champion }]
`;

describe("triggers declared in ciclo.yaml", () => {
  let w: PipelineWorld;
  let repo: string;
  let repoUrl: string;
  const savedKey = process.env.CICLO_SECRETS_KEY;
  const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=e2e", "-c", "user.email=e2e@ciclo.invalid", ...args], { cwd: repo, encoding: "utf8" }).trim();
  const commit = (text: string) => {
    writeFileSync(join(repo, "ciclo.yaml"), text);
    git("add", ".");
    git("commit", "--quiet", "-m", "change");
    return git("rev-parse", "HEAD");
  };
  const register = () => w.api("POST", "/pipelines/projects", { name: "churn", source: repoUrl });
  const triggers = async () => ((await w.api("GET", "/pipelines/triggers/list")).json.triggers as any[]).sort((a, b) => a.name.localeCompare(b.name));

  before(async () => {
    process.env.CICLO_SECRETS_KEY = randomBytes(32).toString("base64");
    w = await startPipelineWorld();
    repo = join(w.dir, "churn-repo");
    mkdirSync(repo);
    git("init", "--quiet", "--initial-branch=main");
    repoUrl = pathToFileURL(repo).href;
  });
  after(async () => {
    await w?.close();
    if (savedKey === undefined) delete process.env.CICLO_SECRETS_KEY;
    else process.env.CICLO_SECRETS_KEY = savedKey;
  });

  test("registering the project creates the declared triggers; a push signed with the shown secret runs the pipeline", async () => {
    const sha = commit(yaml(ALL));
    const r = await register();
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const byName = Object.fromEntries(r.json.triggers.map((t: any) => [t.name, t]));
    assert.deepEqual(Object.keys(byName).sort(), ["churn.ship.cron", "churn.ship.github", "churn.ship.registry"]);
    assert.ok(Object.values(byName).every((t: any) => t.change === "created"));
    const hook = byName["churn.ship.github"];
    assert.ok(hook.secret && hook.webhook_path, "the webhook's secret and path, shown once");
    const stored = await triggers();
    assert.deepEqual(stored.map((t) => [t.name, t.kind, t.pipeline, t.project, t.created_by]), [
      ["churn.ship.cron", "cron", "ship", repoUrl, "ciclo.yaml of project churn"],
      ["churn.ship.github", "github", "ship", repoUrl, "ciclo.yaml of project churn"],
      ["churn.ship.registry", "registry", "ship", repoUrl, "ciclo.yaml of project churn"],
    ]);
    assert.deepEqual(stored[2].config, { model: "churn", event: "alias_set", alias: "champion" });
    assert.equal(typeof stored[0].next_fire_at, "number");

    const body = JSON.stringify({ ref: "refs/heads/main", after: sha, repository: { full_name: "acme/churn", clone_url: repoUrl }, pusher: { name: "ana" } });
    const res = await fetch(`${w.url}${hook.webhook_path}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": "push", "x-github-delivery": randomUUID(), "x-hub-signature-256": `sha256=${createHmac("sha256", hook.secret).update(body).digest("hex")}` },
      body,
    });
    const answer = (await res.json()) as any;
    assert.equal(res.status, 202, JSON.stringify(answer));
    const run = await w.until(answer.run_id);
    assert.equal(run.status, "succeeded", JSON.stringify(run));
    assert.equal(run.steps[0].outputs.commit, sha);
    assert.equal(run.trigger.detail.trigger_name, "churn.ship.github");
  });

  test("registering again follows the file: unchanged kept (same secret), changed replaced, removed deleted", async () => {
    const before = Object.fromEntries((await triggers()).map((t) => [t.name, t.trigger_id]));
    commit(yaml(`    on:
      push: { provider: github, branches: [main] }
      schedule: { cron: "30 4 * * 1" }
`));
    const r = await register();
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const change = Object.fromEntries(r.json.triggers.map((t: any) => [t.name, t.change]));
    assert.deepEqual(change, { "churn.ship.github": "kept", "churn.ship.cron": "replaced", "churn.ship.registry": "deleted" });
    assert.equal(r.json.triggers.find((t: any) => t.name === "churn.ship.github").secret, undefined, "a kept webhook's secret is not shown again");
    const after = await triggers();
    assert.deepEqual(after.map((t) => t.name), ["churn.ship.cron", "churn.ship.github"]);
    assert.equal(after.find((t) => t.name === "churn.ship.github").trigger_id, before["churn.ship.github"], "the same webhook trigger: its URL and secret still work");
    assert.deepEqual(after.find((t) => t.name === "churn.ship.cron").config, { cron: "30 4 * * 1", timezone: "UTC" });
  });

  test("a bad declaration, or a name taken by a trigger made by hand, is refused and nothing changes", async () => {
    const before = await triggers();
    commit(yaml(`    on:
      schedule: { cron: "61 * * * *" }
`));
    const bad = await register();
    assert.equal(bad.status, 400, JSON.stringify(bad.json));
    assert.equal(bad.json.error_code, "INVALID_PARAMETER_VALUE");
    assert.match(bad.json.message, /ciclo\.yaml:5:\d+: pipeline 'ship': on\.schedule: /);
    assert.deepEqual(await triggers(), before);

    commit(yaml(ALL));
    const made = await w.api("POST", "/pipelines/triggers/create", { name: "churn.ship.registry", kind: "cron", project: repoUrl, pipeline: "ship", config: { cron: "0 1 * * *" } });
    assert.equal(made.status, 200, JSON.stringify(made.json));
    const taken = await register();
    assert.equal(taken.status, 400, JSON.stringify(taken.json));
    assert.equal(taken.json.error_code, "RESOURCE_ALREADY_EXISTS");
    assert.match(taken.json.message, /was not declared by project churn/);
    assert.deepEqual((await triggers()).map((t) => [t.name, t.created_by ?? null]), [...before.map((t) => [t.name, t.created_by]), ["churn.ship.registry", null]].sort((a, b) => String(a[0]).localeCompare(String(b[0]))));
  });
});
