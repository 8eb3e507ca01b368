/**
 * Security, model code in the server process: a model's files are someone
 * else's code (a pickle's `__reduce__`, a js_function module run on import,
 * MLmodel YAML with tags that construct objects). The tracking and registry
 * server stores and serves them as bytes and never loads them: loading happens
 * only where a user asks for it (`loadModel`, a deployment's own model server
 * process, batch scoring). Attacked on a real `ciclo server` (child process):
 * a model whose pickle, module and MLmodel would each create a file when
 * loaded is logged, registered, listed, read, downloaded and its lineage
 * asked for; no file appears.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startChildServer, type ChildServer } from "../testing/child-server.js";
import { tempDir } from "../testing/temp-dir.js";

const API = "/api/2.0/mlflow";

describe("a hostile model's code never runs in the server", () => {
  const dir = tempDir("ciclo-sec-model-");
  const marks = join(dir.path, "marks");
  let server: ChildServer;

  const call = async (method: string, path: string, body?: unknown, raw?: Buffer | string) => {
    const res = await fetch(`${server.url}${path}`, { method, headers: body !== undefined ? { "content-type": "application/json" } : {}, body: body !== undefined ? JSON.stringify(body) : raw });
    const buf = Buffer.from(await res.arrayBuffer());
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${buf.toString("utf8").slice(0, 300)}`);
    return buf;
  };

  before(async () => {
    execFileSync("mkdir", ["-p", marks]);
    server = await startChildServer(`sqlite:///${join(dir.path, "ciclo.db")}`, join(dir.path, "artifacts"));
  });
  after(async () => {
    server?.proc.kill();
    await server?.exited;
    dir.remove();
  });

  test("logged, registered, listed, read and downloaded: nothing of it runs", async () => {
    const pickle = execFileSync("/usr/bin/python3", ["-c", `
import os, pickle, sys
class P:
    def __reduce__(self):
        return (os.system, (${JSON.stringify(`touch ${join(marks, "pickle")}`)},))
sys.stdout.buffer.write(pickle.dumps(P()))`]);
    const module = `import { writeFileSync } from "node:fs"; writeFileSync(${JSON.stringify(join(marks, "module"))}, "ran"); export default { predict: (x) => x };`;
    const mlmodel = [
      "artifact_path: model",
      "flavors:",
      "  python_function: { loader_module: mlflow.sklearn, model_path: model.pkl, python_version: 3.11.0, env: { virtualenv: python_env.yaml } }",
      "  sklearn: { pickled_model: model.pkl, serialization_format: cloudpickle }",
      "  js_function: { entry: code/model.mjs }",
      `hostile: !!js/function "function () { require('fs').writeFileSync(${JSON.stringify(join(marks, "yaml"))}, 'ran') }"`,
      "python: !!python/object/apply:os.system ['touch " + join(marks, "yaml-python") + "']",
      "",
    ].join("\n");
    const exp = JSON.parse((await call("POST", `${API}/experiments/create`, { name: "hostile-model" })).toString()).experiment_id;
    const run = JSON.parse((await call("POST", `${API}/runs/create`, { experiment_id: exp })).toString()).run.info.run_id;
    const files: Record<string, Buffer | string> = { "model/MLmodel": mlmodel, "model/model.pkl": pickle, "model/code/model.mjs": module, "model/python_env.yaml": "python: 3.11.0\n" };
    for (const [path, bytes] of Object.entries(files)) await call("POST", `/ajax-api/2.0/mlflow/upload-artifact?run_uuid=${run}&path=${path}`, undefined, bytes);

    await call("POST", `${API}/registered-models/create`, { name: "hostile" });
    await call("POST", `${API}/model-versions/create`, { name: "hostile", source: `runs:/${run}/model`, run_id: run });
    await call("GET", `${API}/model-versions/get?name=hostile&version=1`);
    await call("GET", `${API}/model-versions/get-download-uri?name=hostile&version=1`);
    await call("GET", `${API}/artifacts/list?run_id=${run}&path=model`);
    assert.equal((await call("GET", `/get-artifact?run_uuid=${run}&path=model/MLmodel`)).toString(), mlmodel);
    assert.deepEqual(await call("GET", `/model-versions/get-artifact?name=hostile&version=1&path=model.pkl`), pickle);
    await call("GET", `/model-versions/get-artifact?name=hostile&version=1&path=code/model.mjs`);
    await call("GET", `/api/ciclo/v1/model-versions/lineage?name=hostile&version=1`);
    await call("POST", `${API}/registered-models/alias`, { name: "hostile", alias: "champion", version: "1" });
    await call("GET", `${API}/registered-models/alias?name=hostile&alias=champion`);
    await call("POST", `${API}/model-versions/transition-stage`, { name: "hostile", version: "1", stage: "Production", archive_existing_versions: false });

    assert.deepEqual(readdirSync(marks), [], "model code ran in the server");
    assert.ok(!existsSync(join(marks, "pickle")));
    assert.equal(readFileSync(join(dir.path, "artifacts", exp, run, "artifacts", "model", "MLmodel"), "utf8"), mlmodel);
  });
});
