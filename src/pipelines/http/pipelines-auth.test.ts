/**
 * Pipelines with authentication on: they run code on the server, so only
 * admins may start runs or register projects (deny by default for everyone
 * else). An approval is answered by an admin, or — when its step says
 * `role: manage` — by a user with MANAGE on the pipeline's experiment (the
 * auth hook checks it on the pipeline run, an MLflow run); who answers is the
 * signed-in user, never the name a request body claims.
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ADMIN, openAuthTestApp, type AuthTestApp } from "../../auth/http/auth-test-app.js";

const P = "/api/ciclo/v1/pipelines";

describe("pipelines with authentication on", () => {
  let fx: AuthTestApp;
  let project: string;
  let alice: { username: string; password: string };
  before(async () => {
    fx = await openAuthTestApp();
    alice = await fx.addUser("alice");
    project = join(fx.world, "gated");
    mkdirSync(project, { recursive: true });
    writeFileSync(
      join(project, "ciclo.yaml"),
      [
        "name: gated",
        "pipelines:",
        "  gated:",
        "    steps:",
        "      gate:",
        "        uses: approve",
        "        with: { approvers: [admin] }",
        "  team:",
        "    experiment: team-models",
        "    steps:",
        "      review:",
        "        uses: approve",
        "        with: { role: manage, message: team review }",
        "      signoff:",
        "        uses: approve",
        "        needs: [review]",
        "",
      ].join("\n"),
    );
  });
  after(async () => {
    await fx?.close();
  });

  test("non-admins are refused starting, registering and answering; nothing is recorded", async () => {
    const anon = await fx.as(undefined, "POST", `${P}/runs`, { project, pipeline: "gated" });
    assert.equal(anon.status, 401);
    const start = await fx.as(alice, "POST", `${P}/runs`, { project, pipeline: "gated" });
    assert.equal(start.status, 403);
    assert.equal(start.json.error_code, "PERMISSION_DENIED");
    const reg = await fx.as(alice, "POST", `${P}/projects`, { name: "gated", source: project });
    assert.equal(reg.status, 403);
    const list = await fx.as(ADMIN, "GET", `${P}/runs`);
    assert.deepEqual(list.json.pipeline_runs, []);
    assert.deepEqual((await fx.as(ADMIN, "GET", `${P}/projects`)).json.projects, []);
  });

  test("an admin's answer is recorded under the signed-in name, whatever the body claims", async () => {
    const start = await fx.as(ADMIN, "POST", `${P}/runs`, { project, pipeline: "gated" });
    assert.equal(start.status, 200, start.text);
    const run = start.json.pipeline_run;
    assert.equal(run.status, "waiting");
    assert.equal(run.trigger.actor, "admin");
    const byAlice = await fx.as(alice, "POST", `${P}/runs/${run.run_id}/approvals/gate`, { approved: true, by: "admin" });
    assert.equal(byAlice.status, 403, "a non-admin cannot answer by claiming a name");
    const answered = await fx.as(ADMIN, "POST", `${P}/runs/${run.run_id}/approvals/gate`, { approved: true, by: "mallory", comment: "ok" });
    assert.equal(answered.status, 200, answered.text);
    assert.equal(answered.json.approval.answered_by, "admin");
    const after = await fx.as(ADMIN, "GET", `${P}/runs/${run.run_id}`);
    assert.equal(after.json.pipeline_run.status, "succeeded");
  });

  test("role: manage lets a user with MANAGE on the pipeline's experiment answer; READ is refused by the hook; role admin (the default) stays the admins'", async () => {
    const start = await fx.as(ADMIN, "POST", `${P}/runs`, { project, pipeline: "team" });
    assert.equal(start.status, 200, start.text);
    const run = start.json.pipeline_run;
    assert.equal(run.status, "waiting");
    const bob = await fx.addUser("bob");
    const grant = await fx.as(ADMIN, "POST", "/api/2.0/mlflow/experiments/permissions/create", { experiment_id: run.experiment_id, username: alice.username, permission: "MANAGE" });
    assert.equal(grant.status, 200, grant.text);

    // bob can only read the experiment (the default): the hook refuses him before the engine is asked.
    const byBob = await fx.as(bob, "POST", `${P}/runs/${run.run_id}/approvals/review`, { approved: true });
    assert.equal(byBob.status, 403, byBob.text);
    assert.equal(byBob.json.error_code, "PERMISSION_DENIED");
    const still = await fx.as(ADMIN, "GET", `${P}/approvals?state=pending`);
    assert.ok(still.json.approvals.some((a: any) => a.run_id === run.run_id && a.step_id === "review"), "bob's refused answer recorded nothing");

    // alice manages the experiment: she answers the role: manage step, under her own name.
    const byAlice = await fx.as(alice, "POST", `${P}/runs/${run.run_id}/approvals/review`, { approved: true, by: "admin", comment: "looks right" });
    assert.equal(byAlice.status, 200, byAlice.text);
    assert.equal(byAlice.json.approval.answered_by, "alice");

    // The next step requires the default role, admin: MANAGE is not enough.
    const waiting = await fx.as(ADMIN, "GET", `${P}/runs/${run.run_id}`);
    assert.equal(waiting.json.pipeline_run.steps.find((x: any) => x.step_id === "signoff").status, "waiting");
    const signoff = await fx.as(alice, "POST", `${P}/runs/${run.run_id}/approvals/signoff`, { approved: true });
    assert.equal(signoff.status, 403, signoff.text);
    assert.match(signoff.json.message, /only by an admin/);
    const byAdmin = await fx.as(ADMIN, "POST", `${P}/runs/${run.run_id}/approvals/signoff`, { approved: true });
    assert.equal(byAdmin.status, 200, byAdmin.text);
    assert.equal((await fx.as(ADMIN, "GET", `${P}/runs/${run.run_id}`)).json.pipeline_run.status, "succeeded");
  });

  test("a pipeline run is seen, cancelled and resumed by its experiment's permissions; lists show only readable runs and approvals", async () => {
    const start = await fx.as(ADMIN, "POST", `${P}/runs`, { project, pipeline: "team" });
    assert.equal(start.status, 200, start.text);
    const run = start.json.pipeline_run;
    const dave = await fx.addUser("dave");
    const erin = await fx.addUser("erin");
    const grant = (username: string, permission: string) =>
      fx.as(ADMIN, "POST", "/api/2.0/mlflow/experiments/permissions/create", { experiment_id: run.experiment_id, username, permission });
    assert.equal((await grant(dave.username, "MANAGE")).status, 200);
    assert.equal((await grant(erin.username, "NO_PERMISSIONS")).status, 200);

    // READ (the default, bob's kind) and MANAGE see the run, its logs, and it in the lists.
    for (const who of [dave, await fx.addUser("frank")]) {
      const got = await fx.as(who, "GET", `${P}/runs/${run.run_id}`);
      assert.equal(got.status, 200, got.text);
      assert.equal((await fx.as(who, "GET", `${P}/runs/${run.run_id}/logs`)).status, 200);
      assert.ok((await fx.as(who, "GET", `${P}/runs`)).json.pipeline_runs.some((r: any) => r.run_id === run.run_id));
      assert.ok((await fx.as(who, "GET", `${P}/approvals?state=pending`)).json.approvals.some((a: any) => a.run_id === run.run_id));
    }
    // No permission: the run answers as a missing one would, and the lists leave it (and its approvals) out.
    const hidden = await fx.as(erin, "GET", `${P}/runs/${run.run_id}`);
    assert.equal(hidden.status, 404, hidden.text);
    assert.equal(hidden.json.error_code, "RESOURCE_DOES_NOT_EXIST");
    assert.equal((await fx.as(erin, "GET", `${P}/runs/${run.run_id}/logs`)).status, 404);
    assert.ok(!(await fx.as(erin, "GET", `${P}/runs`)).json.pipeline_runs.some((r: any) => r.run_id === run.run_id));
    assert.ok(!(await fx.as(erin, "GET", `${P}/approvals`)).json.approvals.some((a: any) => a.run_id === run.run_id));
    assert.equal((await fx.as(erin, "POST", `${P}/runs/${run.run_id}/cancel`)).status, 404);

    // READ may not cancel; MANAGE may.
    const byReader = await fx.as(await fx.addUser("gina"), "POST", `${P}/runs/${run.run_id}/cancel`);
    assert.equal(byReader.status, 403, byReader.text);
    assert.equal((await fx.as(ADMIN, "GET", `${P}/runs/${run.run_id}`)).json.pipeline_run.status, "waiting", "a refused cancel changes nothing");
    const cancelled = await fx.as(dave, "POST", `${P}/runs/${run.run_id}/cancel`);
    assert.equal(cancelled.status, 200, cancelled.text);
    assert.equal(cancelled.json.pipeline_run.status, "cancelled");
  });
});
