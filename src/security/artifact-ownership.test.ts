/**
 * Security, artifact ownership: with authentication on, who may touch a path
 * of the server's artifact store is decided by the experiment that owns it.
 * Attacked on a real `ciclo server --auth` (child process, loopback), as a
 * user with no permission on alice's experiment:
 * - creating an experiment whose `artifact_location` is inside alice's folder
 *   (or is it) used to make bob the owner of her files (the deepest folder
 *   won): now refused with 403 unless bob may MANAGE alice's experiment;
 * - a model version `source` spelling alice's run folder another way
 *   (`mlflow-artifacts://host/...`, `mlflow-artifacts:////...`, the proxy's
 *   http URL, `//`, `%2e`) matched no experiment and was let through, then read
 *   through `/model-versions/get-artifact`: now canonicalised before the
 *   lookup;
 * - a proxy path sent with `?run_id=` of a run of bob's own was checked on
 *   that run, not on the path: now the proxy is checked on its path alone;
 * - `upload-artifact?run_id=<bob's>&run_uuid=<alice's>` was checked on the
 *   first and wrote into the second: now both are checked;
 * - a folder claimed before its experiment existed (`mlflow-artifacts:/7`
 *   before experiment 7) belongs to the experiment, not the claimer.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startChildServer, type ChildServer } from "../testing/child-server.js";
import { tempDir } from "../testing/temp-dir.js";

const API = "/api/2.0/mlflow";
const PROXY = "/api/2.0/mlflow-artifacts/artifacts";
const ADMIN = { username: "admin", password: "admin-password-1" };
const ALICE = { username: "alice", password: "alice-password-1" };
const BOB = { username: "bob", password: "bob-password-12" };
const SECRET = "alice's weights";

type Who = { username: string; password: string };

describe("artifact ownership: who owns a path of the artifact store", () => {
  const dir = tempDir("ciclo-sec-owner-");
  let server: ChildServer;
  let exp: string;
  let run: string;

  const call = async (who: Who, method: string, path: string, body?: unknown, raw?: string) => {
    const headers: Record<string, string> = { authorization: `Basic ${Buffer.from(`${who.username}:${who.password}`).toString("base64")}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(`${server.url}${path}`, { method, headers, body: body !== undefined ? JSON.stringify(body) : raw });
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // an artifact's bytes
    }
    return { status: res.status, text, json };
  };
  const refused = (r: { status: number; json: Record<string, unknown>; text: string }) => {
    assert.ok(r.status === 404 || r.status === 403, `expected a refusal, got ${r.status}: ${r.text}`);
    assert.match(String(r.json.error_code), /^(RESOURCE_DOES_NOT_EXIST|PERMISSION_DENIED)$/, r.text);
    assert.ok(!r.text.includes(SECRET), "the answer leaks the file");
  };

  before(async () => {
    server = await startChildServer(`sqlite:///${join(dir.path, "ciclo.db")}`, join(dir.path, "artifacts"), {
      args: ["--auth"],
      env: { CICLO_ADMIN_USERNAME: ADMIN.username, CICLO_ADMIN_PASSWORD: ADMIN.password, CICLO_DEFAULT_PERMISSION: "NO_PERMISSIONS" },
    });
    for (const u of [ALICE, BOB]) assert.equal((await call(ADMIN, "POST", `${API}/users/create`, u)).status, 200);
    const e = await call(ALICE, "POST", `${API}/experiments/create`, { name: "alice-private" });
    exp = String(e.json.experiment_id);
    const r = await call(ALICE, "POST", `${API}/runs/create`, { experiment_id: exp });
    run = String((r.json.run as { info: { run_id: string } }).info.run_id);
    assert.equal((await call(ALICE, "PUT", `${PROXY}/${exp}/${run}/artifacts/model/weights.bin`, undefined, SECRET)).status, 200);
  });
  after(async () => {
    server?.proc.kill();
    await server?.exited;
    dir.remove();
  });

  test("without a trick, bob cannot read alice's run's files", async () => {
    refused(await call(BOB, "GET", `${PROXY}/${exp}/${run}/artifacts/model/weights.bin`));
  });

  test("bob cannot create an experiment inside alice's folder or at its very location: 403, nothing created", async () => {
    const before = await call(BOB, "POST", `${API}/experiments/search`, { max_results: 1000 });
    for (const location of [`mlflow-artifacts:/${exp}/${run}/artifacts`, `mlflow-artifacts:/${exp}`, `mlflow-artifacts://x/${exp}//${run}`, `mlflow-artifacts:/`]) {
      const r = await call(BOB, "POST", `${API}/experiments/create`, { name: `bob-${location.length}`, artifact_location: location });
      assert.equal(r.status, 403, `${location}: ${r.text}`);
      assert.equal(r.json.error_code, "PERMISSION_DENIED");
      assert.match(String(r.json.message), /artifact_location .* Leave artifact_location out/);
    }
    assert.deepEqual((await call(BOB, "POST", `${API}/experiments/search`, { max_results: 1000 })).json, before.json);
    refused(await call(BOB, "GET", `${PROXY}/${exp}/${run}/artifacts/model/weights.bin`));
    refused(await call(BOB, "GET", `${PROXY}?path=${exp}/${run}/artifacts/model`));
    refused(await call(BOB, "PUT", `${PROXY}/${exp}/${run}/artifacts/model/weights.bin`, undefined, "bob's bytes"));
    refused(await call(BOB, "DELETE", `${PROXY}/${exp}/${run}/artifacts/model`));
    assert.equal(readFileSync(join(dir.path, "artifacts", exp, run, "artifacts", "model", "weights.bin"), "utf8"), SECRET);
  });

  test("a model version's source spelling alice's run folder another way is refused and nothing is created", async () => {
    assert.equal((await call(BOB, "POST", `${API}/registered-models/create`, { name: "bob-model" })).status, 200);
    const folder = `${exp}/${run}/artifacts/model`;
    for (const source of [
      `mlflow-artifacts:/${folder}`,
      `mlflow-artifacts://attacker/${folder}`,
      `mlflow-artifacts:////${folder}`,
      `mlflow-artifacts:/${exp}//${run}/./artifacts/model`,
      `mlflow-artifacts:/${exp}/%2e/${run}/artifacts/model`,
      `http://attacker.example/api/2.0/mlflow-artifacts/artifacts/${folder}`,
      `file://${join(dir.path, "artifacts", folder)}`,
    ]) {
      const r = await call(BOB, "POST", `${API}/model-versions/create`, { name: "bob-model", source });
      assert.ok(r.status >= 400 && r.status < 500, `${source}: ${r.status} ${r.text}`);
      assert.ok(!r.text.includes(SECRET));
    }
    const versions = await call(BOB, "GET", `${API}/model-versions/search?filter=${encodeURIComponent("name='bob-model'")}`);
    assert.deepEqual(versions.json.model_versions ?? [], []);
    refused(await call(BOB, "GET", `/model-versions/get-artifact?name=bob-model&version=1&path=weights.bin`));
  });

  test("a folder claimed before its experiment existed is the experiment's, not the claimer's", async () => {
    const mine = await call(BOB, "POST", `${API}/experiments/create`, { name: "bob-probe" });
    const next = Number(mine.json.experiment_id) + 2;
    const claim = await call(BOB, "POST", `${API}/experiments/create`, { name: "bob-claim", artifact_location: `mlflow-artifacts:/${next}` });
    assert.equal(claim.status, 200, claim.text);
    const later = await call(ALICE, "POST", `${API}/experiments/create`, { name: "alice-later" });
    assert.equal(later.json.experiment_id, String(next));
    const r = await call(ALICE, "POST", `${API}/runs/create`, { experiment_id: String(next) });
    const laterRun = String((r.json.run as { info: { run_id: string } }).info.run_id);
    const file = `${PROXY}/${next}/${laterRun}/artifacts/notes.txt`;
    assert.equal((await call(ALICE, "PUT", file, undefined, SECRET)).status, 200);
    refused(await call(BOB, "GET", file));
    refused(await call(BOB, "DELETE", `${PROXY}/${next}/${laterRun}`));
    assert.equal((await call(ALICE, "GET", file)).text, SECRET);
  });

  test("a run of bob's own named beside a proxy path opens nothing: read, write, delete, multipart", async () => {
    const e = await call(BOB, "POST", `${API}/experiments/create`, { name: "bob-own" });
    const r = await call(BOB, "POST", `${API}/runs/create`, { experiment_id: String(e.json.experiment_id) });
    const own = String((r.json.run as { info: { run_id: string } }).info.run_id);
    const q = `run_id=${own}&run_uuid=${own}`;
    refused(await call(BOB, "GET", `${PROXY}/${exp}/${run}/artifacts/model/weights.bin?${q}`));
    refused(await call(BOB, "GET", `${PROXY}?path=${exp}/${run}/artifacts/model&${q}`));
    refused(await call(BOB, "PUT", `${PROXY}/${exp}/${run}/artifacts/model/weights.bin?${q}`, undefined, "bob's bytes"));
    refused(await call(BOB, "DELETE", `${PROXY}/${exp}/${run}/artifacts/model?${q}`));
    refused(await call(BOB, "POST", `/api/2.0/mlflow-artifacts/mpu/create/${exp}/${run}/artifacts/model?${q}`, { path: "weights.bin", num_parts: 1 }));
    assert.equal(readFileSync(join(dir.path, "artifacts", exp, run, "artifacts", "model", "weights.bin"), "utf8"), SECRET);
  });

  test("run_id of bob's own run beside run_uuid of alice's: both are checked (upload-artifact reads run_uuid)", async () => {
    const e = await call(BOB, "POST", `${API}/experiments/create`, { name: "bob-own-2" });
    const r = await call(BOB, "POST", `${API}/runs/create`, { experiment_id: String(e.json.experiment_id) });
    const own = String((r.json.run as { info: { run_id: string } }).info.run_id);
    refused(await call(BOB, "POST", `/ajax-api/2.0/mlflow/upload-artifact?run_id=${own}&run_uuid=${run}&path=planted.txt`, undefined, "bob's bytes"));
    assert.ok(!existsSync(join(dir.path, "artifacts", exp, run, "artifacts", "planted.txt")), "bob planted a file in alice's run");
    refused(await call(BOB, "GET", `/get-artifact?run_id=${own}&run_uuid=${run}&path=model/weights.bin`));
    refused(await call(BOB, "GET", `/get-artifact?run_id=${run}&run_uuid=${own}&path=model/weights.bin`));
  });

  test("alice, who holds every folder on the way, still reads and writes her files", async () => {
    const r = await call(ALICE, "GET", `${PROXY}/${exp}/${run}/artifacts/model/weights.bin`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.text, SECRET);
  });
});
