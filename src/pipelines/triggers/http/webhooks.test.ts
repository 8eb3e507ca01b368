/**
 * Git push webhooks: GitHub's HMAC over the raw body, GitLab's token, Azure
 * DevOps' basic auth or header; replays refused; other branches, repositories
 * and events answered and ignored; oversized and non-JSON bodies refused; and
 * a refused delivery changes nothing. The launcher here records what it is
 * asked (the boundary to the pipelines engine, tested in its own suites).
 */
import assert from "node:assert/strict";
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { authModule } from "../../../auth/http/auth-module.js";
import { assertError, openTestApp, testModules, type TestApp } from "../../../testing/test-app.js";
import type { PipelineLaunchRequest } from "../../runs/pipeline-launcher.js";
import { pipelineTriggersModule } from "./pipeline-triggers-module.js";

const CICLO = "/api/ciclo/v1";
const FIRINGS = ["pipeline_trigger_firings"] as const;

function recordingLauncher() {
  const calls: PipelineLaunchRequest[] = [];
  return {
    calls,
    async launch(req: PipelineLaunchRequest) {
      calls.push(req);
      const id = randomBytes(16).toString("hex");
      return { pipelineRunId: id, runId: id };
    },
  };
}

describe("git push webhooks", () => {
  let fx: TestApp;
  const launcher = recordingLauncher();
  let now = Date.now();
  before(async () => {
    const modules = [
      authModule({ enabled: false, secretsKey: randomBytes(32).toString("base64") }),
      ...testModules().filter((m) => m.id !== "auth" && m.id !== "pipeline-triggers"),
      pipelineTriggersModule({ launcher, maxWebhookBytes: 64 * 1024, now: () => now }),
    ];
    fx = await openTestApp({ modules });
  });
  after(() => fx?.close());

  async function createTrigger(body: Record<string, unknown>) {
    const r = await fx.call("POST", "/pipelines/triggers/create", body, { prefix: CICLO });
    assert.equal(r.status, 200, r.text);
    return r.json as { trigger: { trigger_id: string; webhook_path: string }; secret: string };
  }

  const send = (path: string, body: string | Buffer, headers: Record<string, string>) =>
    fx.request("POST", path, body, { "content-type": "application/json", ...headers });

  const githubPush = (ref = "refs/heads/main", repo = "acme/churn") =>
    JSON.stringify({ ref, after: "a".repeat(40), repository: { full_name: repo, clone_url: `https://github.com/${repo}.git` }, pusher: { name: "ana" } });

  test("GitHub: a signed push to a watched branch starts one run, recorded with its delivery; a replay is refused", async () => {
    const { trigger, secret } = await createTrigger({ name: "gh", kind: "github", project: "https://github.com/acme/churn.git", pipeline: "train-deploy", config: { branches: ["main", "release/*"], repository: "acme/churn" }, inputs: { epochs: 3 } });
    assert.ok(secret.length >= 24, "a secret is generated and shown once");
    assert.equal(trigger.webhook_path, `${CICLO}/pipelines/webhooks/github/${trigger.trigger_id}`);
    const listed = await fx.call("GET", "/pipelines/triggers/list", undefined, { prefix: CICLO });
    assert.ok(!listed.text.includes(secret), "the secret never comes back");

    const body = githubPush();
    const sig = `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
    const delivery = randomUUID();
    const r = await send(trigger.webhook_path, body, { "x-hub-signature-256": sig, "x-github-event": "push", "x-github-delivery": delivery });
    assert.equal(r.status, 202, r.text);
    assert.equal(r.json.outcome, "started");
    assert.equal(launcher.calls.length, 1);
    const call = launcher.calls[0]!;
    assert.equal(call.pipeline, "train-deploy");
    assert.equal(call.project, `https://github.com/acme/churn.git@${"a".repeat(40)}`, "a git project runs at the pushed commit");
    assert.deepEqual(call.inputs, { epochs: 3 });
    assert.equal(call.trigger.kind, "git");
    assert.equal(call.trigger.actor, "ana");
    assert.deepEqual(
      { provider: call.trigger.detail?.provider, delivery: call.trigger.detail?.delivery_id, commit: call.trigger.detail?.commit, ref: call.trigger.detail?.ref },
      { provider: "github", delivery, commit: "a".repeat(40), ref: "refs/heads/main" },
    );
    const replay = await send(trigger.webhook_path, body, { "x-hub-signature-256": sig, "x-github-event": "push", "x-github-delivery": delivery });
    assertError(replay, 409, "RESOURCE_CONFLICT", /already received/);
    assert.equal(launcher.calls.length, 1, "a replay starts nothing");

    const got = await fx.call("GET", "/pipelines/triggers/get", { trigger_id: trigger.trigger_id }, { prefix: CICLO });
    assert.equal(got.json.firings.length, 1);
    assert.equal(got.json.firings[0].firing_key, delivery);
    assert.equal(got.json.firings[0].outcome, "started");
    assert.equal(got.json.firings[0].run_id, r.json.run_id);

    // A glob branch, the same trigger: a second run.
    const body2 = githubPush("refs/heads/release/2.1");
    const r2 = await send(trigger.webhook_path, body2, { "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(body2).digest("hex")}`, "x-github-event": "push", "x-github-delivery": randomUUID() });
    assert.equal(r2.json.outcome, "started", r2.text);
    assert.equal(launcher.calls.length, 2);
  });

  test("GitHub: a bad or missing signature, a body altered after signing, is refused and changes nothing", async () => {
    const { trigger, secret } = await createTrigger({ name: "gh-sig", kind: "github", project: "/srv/projects/churn", pipeline: "p" });
    const body = githubPush();
    const before = await fx.snapshotTables(FIRINGS);
    const calls = launcher.calls.length;
    const h = (sig?: string) => ({ ...(sig ? { "x-hub-signature-256": sig } : {}), "x-github-event": "push", "x-github-delivery": randomUUID() });
    assertError(await send(trigger.webhook_path, body, h()), 401, "UNAUTHENTICATED", /X-Hub-Signature-256/);
    assertError(await send(trigger.webhook_path, body, h(`sha256=${createHmac("sha256", "another-secret-value").update(body).digest("hex")}`)), 403, "PERMISSION_DENIED");
    assertError(await send(trigger.webhook_path, body, h("sha256=abc")), 403, "PERMISSION_DENIED");
    const signed = `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
    assertError(await send(trigger.webhook_path, body.replace("ana", "eve"), h(signed)), 403, "PERMISSION_DENIED");
    // Whitespace changes the bytes, not the JSON: the signature is over the bytes as sent.
    assertError(await send(trigger.webhook_path, ` ${body}`, h(signed)), 403, "PERMISSION_DENIED");
    assert.deepEqual(await fx.snapshotTables(FIRINGS), before);
    assert.equal(launcher.calls.length, calls);
    // A secret of another trigger, and a trigger id of another provider, learn nothing.
    assertError(await send(`${CICLO}/pipelines/webhooks/gitlab/${trigger.trigger_id}`, body, { "x-gitlab-token": secret, "x-gitlab-event-uuid": randomUUID() }), 404, "RESOURCE_DOES_NOT_EXIST");
    assertError(await send(`${CICLO}/pipelines/webhooks/github/${"0".repeat(24)}`, body, h(signed)), 404, "RESOURCE_DOES_NOT_EXIST");
  });

  test("GitHub: other branches, tags, deleted branches, other repositories and other events are answered and ignored; ping pongs", async () => {
    const { trigger, secret } = await createTrigger({ name: "gh-filter", kind: "github", project: "/srv/projects/churn", pipeline: "p", config: { branches: ["main"], repository: "acme/churn" } });
    const calls = launcher.calls.length;
    const deliver = async (body: string, event = "push") =>
      send(trigger.webhook_path, body, { "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`, "x-github-event": event, "x-github-delivery": randomUUID() });
    const cases: Array<[string, string, RegExp]> = [
      [githubPush("refs/heads/dev"), "push", /Branch dev is not among/],
      [githubPush("refs/tags/v1"), "push", /not a branch/],
      [JSON.stringify({ ref: "refs/heads/main", after: "0".repeat(40), repository: { full_name: "acme/churn" } }), "push", /deleted/],
      [githubPush("refs/heads/main", "mallory/fork"), "push", /Repository mallory\/fork is not acme\/churn/],
      [JSON.stringify({ action: "opened" }), "issues", /'issues' events do not start pipelines/],
    ];
    for (const [body, event, reason] of cases) {
      const r = await deliver(body, event);
      assert.equal(r.status, 202, r.text);
      assert.equal(r.json.outcome, "ignored");
      assert.match(r.json.reason, reason);
    }
    const ping = await deliver(JSON.stringify({ zen: "Keep it logically awesome.", hook_id: 1 }), "ping");
    assert.equal(ping.status, 200, ping.text);
    assert.equal(ping.json.outcome, "pong");
    assert.equal(launcher.calls.length, calls);
    const got = await fx.call("GET", "/pipelines/triggers/get", { trigger_id: "gh-filter" }, { prefix: CICLO });
    assert.deepEqual(got.json.firings.map((f: { outcome: string }) => f.outcome), ["ignored", "ignored", "ignored", "ignored", "ignored"]);
  });

  test("bodies: oversized refused with 413, not JSON refused with 400, form-encoded refused; nothing recorded", async () => {
    const { trigger, secret } = await createTrigger({ name: "gh-body", kind: "github", project: "/srv/p", pipeline: "p" });
    const before = await fx.snapshotTables(FIRINGS);
    const big = JSON.stringify({ ref: "refs/heads/main", after: "b".repeat(40), padding: "x".repeat(70 * 1024) });
    const h = (b: string) => ({ "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(b).digest("hex")}`, "x-github-event": "push", "x-github-delivery": randomUUID() });
    const tooBig = await send(trigger.webhook_path, big, h(big));
    assert.equal(tooBig.status, 413, tooBig.text);
    assert.ok(tooBig.json.error_code, tooBig.text);
    assertError(await send(trigger.webhook_path, "{not json", h("{not json")), 400, "INVALID_PARAMETER_VALUE", /not JSON/);
    const form = await fx.request("POST", trigger.webhook_path, "payload=%7B%7D", { "content-type": "application/x-www-form-urlencoded", ...h("payload=%7B%7D") });
    assert.ok(form.status === 415 || form.status === 400, form.text);
    assert.ok(form.json.error_code, form.text);
    assert.deepEqual(await fx.snapshotTables(FIRINGS), before);
  });

  test("GitLab: the secret token, the event UUID against replays, a push to a watched branch", async () => {
    const { trigger, secret } = await createTrigger({ name: "gl", kind: "gitlab", project: "https://gitlab.com/acme/ml/churn.git", pipeline: "p", config: { branches: ["main"] }, secret: "a-long-enough-gitlab-secret" });
    assert.equal(secret, "a-long-enough-gitlab-secret", "a given secret is kept");
    const body = JSON.stringify({ object_kind: "push", ref: "refs/heads/main", checkout_sha: "c".repeat(40), user_username: "bo", project: { path_with_namespace: "acme/ml/churn", git_http_url: "https://gitlab.com/acme/ml/churn.git" } });
    const uuid = randomUUID();
    const calls = launcher.calls.length;
    assertError(await send(trigger.webhook_path, body, { "x-gitlab-event": "Push Hook", "x-gitlab-event-uuid": uuid }), 401, "UNAUTHENTICATED");
    assertError(await send(trigger.webhook_path, body, { "x-gitlab-token": "a-long-enough-gitlab-secreT", "x-gitlab-event": "Push Hook", "x-gitlab-event-uuid": uuid }), 403, "PERMISSION_DENIED");
    const ok = await send(trigger.webhook_path, body, { "x-gitlab-token": secret, "x-gitlab-event": "Push Hook", "x-gitlab-event-uuid": uuid });
    assert.equal(ok.status, 202, ok.text);
    assert.equal(ok.json.outcome, "started");
    assert.equal(launcher.calls.length, calls + 1);
    const call = launcher.calls.at(-1)!;
    assert.equal(call.project, `https://gitlab.com/acme/ml/churn.git@${"c".repeat(40)}`);
    assert.equal(call.trigger.detail?.repository, "acme/ml/churn");
    assertError(await send(trigger.webhook_path, body, { "x-gitlab-token": secret, "x-gitlab-event": "Push Hook", "x-gitlab-event-uuid": uuid }), 409, "RESOURCE_CONFLICT");
    assertError(await send(trigger.webhook_path, body, { "x-gitlab-token": secret, "x-gitlab-event": "Push Hook" }), 400, "INVALID_PARAMETER_VALUE", /X-Gitlab-Event-UUID/);
    assert.equal(launcher.calls.length, calls + 1);
  });

  test("Azure DevOps: basic auth or the token header; createdDate outside the window refused; the event id against replays", async () => {
    const { trigger, secret } = await createTrigger({ name: "az", kind: "azure", project: "/srv/projects/churn", pipeline: "p", config: { branches: ["main"], repository: "churn", username: "ado-hook" } });
    const event = (id: string, created: number) =>
      JSON.stringify({
        id,
        notificationId: 7,
        eventType: "git.push",
        publisherId: "tfs",
        createdDate: new Date(created).toISOString(),
        resource: { refUpdates: [{ name: "refs/heads/main", oldObjectId: "1".repeat(40), newObjectId: "d".repeat(40) }], repository: { name: "churn", remoteUrl: "https://dev.azure.com/acme/ml/_git/churn" }, pushedBy: { uniqueName: "ana@acme.example" } },
      });
    const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}`;
    const calls = launcher.calls.length;
    const id1 = randomUUID();
    assertError(await send(trigger.webhook_path, event(id1, now), {}), 401, "UNAUTHENTICATED");
    assertError(await send(trigger.webhook_path, event(id1, now), { authorization: basic("ado-hook", "wrong") }), 403, "PERMISSION_DENIED");
    assertError(await send(trigger.webhook_path, event(id1, now), { authorization: basic("someone-else", secret) }), 403, "PERMISSION_DENIED");
    const ok = await send(trigger.webhook_path, event(id1, now), { authorization: basic("ado-hook", secret) });
    assert.equal(ok.status, 202, ok.text);
    assert.equal(ok.json.outcome, "started");
    assert.equal(launcher.calls.at(-1)!.trigger.actor, "ana@acme.example");
    assertError(await send(trigger.webhook_path, event(id1, now), { "x-ciclo-webhook-token": secret }), 409, "RESOURCE_CONFLICT");
    const old = await send(trigger.webhook_path, event(randomUUID(), now - 60 * 60_000), { "x-ciclo-webhook-token": secret });
    assertError(old, 409, "RESOURCE_CONFLICT", /more than 10 minutes/);
    const ok2 = await send(trigger.webhook_path, event(randomUUID(), now - 60_000), { "x-ciclo-webhook-token": secret });
    assert.equal(ok2.json.outcome, "started", ok2.text);
    assert.equal(launcher.calls.length, calls + 2);
  });

  test("definitions: bad ones are refused whole, naming the field; delete removes the trigger and its secret", async () => {
    const bad = async (body: Record<string, unknown>, re: RegExp) => {
      const before = await fx.snapshotTables(["pipeline_triggers", "auth_secrets"]);
      assertError(await fx.call("POST", "/pipelines/triggers/create", body, { prefix: CICLO }), 400, "INVALID_PARAMETER_VALUE", re);
      assert.deepEqual(await fx.snapshotTables(["pipeline_triggers", "auth_secrets"]), before);
    };
    const base = { name: "t-bad", project: "/srv/p", pipeline: "p" };
    await bad({ ...base, kind: "bitbucket" }, /Invalid trigger kind/);
    await bad({ ...base, kind: "github", config: { branch: ["main"] } }, /config.branch is not a setting/);
    await bad({ ...base, kind: "github", config: { branches: [] } }, /config.branches/);
    await bad({ ...base, kind: "github", secret: "short" }, /16 to 256/);
    await bad({ ...base, kind: "cron", config: { cron: "61 * * * *" } }, /Invalid cron schedule/);
    await bad({ ...base, kind: "cron" }, /needs config.cron/);
    await bad({ ...base, kind: "registry", config: { model: "m", event: "deleted" } }, /config.event/);
    await bad({ ...base, kind: "registry", config: { model: "m", event: "version_created", alias: "champion" } }, /alias_set event only/);
    await bad({ ...base, name: "../x", kind: "cron", config: { cron: "* * * * *" } }, /Invalid trigger name/);
    const { trigger } = await createTrigger({ ...base, name: "t-del", kind: "github" });
    assertError(await fx.call("POST", "/pipelines/triggers/create", { ...base, name: "t-del", kind: "github" }, { prefix: CICLO }), 400, "RESOURCE_ALREADY_EXISTS");
    const secretsBefore = (await fx.snapshotTables(["auth_secrets"])).auth_secrets!.length;
    assert.equal((await fx.call("DELETE", "/pipelines/triggers/delete", { trigger_id: "t-del" }, { prefix: CICLO })).status, 200);
    assert.equal((await fx.snapshotTables(["auth_secrets"])).auth_secrets!.length, secretsBefore - 1);
    assertError(await fx.call("GET", "/pipelines/triggers/get", { trigger_id: trigger.trigger_id }, { prefix: CICLO }), 404, "RESOURCE_DOES_NOT_EXIST");
  });
});

describe("webhook triggers without a secrets key", () => {
  test("are refused with what to do, and nothing is stored", async () => {
    const fx = await openTestApp({ modules: [...testModules().filter((m) => m.id !== "pipeline-triggers"), pipelineTriggersModule({ launcher: recordingLauncher() })] });
    try {
      const r = await fx.call("POST", "/pipelines/triggers/create", { name: "gh", kind: "github", project: "/srv/p", pipeline: "p" }, { prefix: CICLO });
      assertError(r, 501, "FEATURE_DISABLED", /CICLO_SECRETS_KEY/);
      assert.deepEqual((await fx.snapshotTables(["pipeline_triggers"])).pipeline_triggers, []);
    } finally {
      await fx.close();
    }
  });
});
