/**
 * Pipelines with authentication on: they run code on the server, so only
 * admins may start runs, register projects or answer approvals (deny by
 * default for everyone else), and who answers an approval is the signed-in
 * user, never the name a request body claims.
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
    writeFileSync(join(project, "ciclo.yaml"), "name: gated\npipelines:\n  gated:\n    steps:\n      gate:\n        uses: approve\n        with: { approvers: [admin] }\n");
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
});
