/**
 * HTTP tests of a logged model's artifact routes: listing and downloading
 * from a proxied root and from an experiment's own `file:` root, and hostile
 * paths refused without touching anything.
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, test } from "node:test";
import { snapshotTree, openTestApp, ok, type TestApp, assertEmptyOk, assertError } from "../../testing/test-app.js";
import { tempDir } from "../../testing/temp-dir.js";

const ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts";
const FILES = "/ajax-api/2.0/mlflow/logged-models";

describe("logged-model artifact routes", () => {
  let fx: TestApp;
  let id: string;
  let dest: string;
  before(async () => {
    fx = await openTestApp();
    const exp = ok(await fx.call("POST", "/experiments/create", { name: "lm-artifacts" })).experiment_id;
    id = ok(await fx.call("POST", "/logged-models", { experiment_id: exp, name: "model" })).model.info.model_id;
    dest = `${exp}/models/${id}/artifacts`;
    for (const [path, body] of [["MLmodel", "flavors: {}\n"], ["data/weights.bin", "0123456789"], ["data/sub/x.txt", "x"]]) {
      assertEmptyOk(await fx.request("PUT", `${ARTIFACTS}/${dest}/${path}`, body, { "content-type": "application/octet-stream" }));
    }
    // Something the routes must never reach: a sibling model's files.
    assertEmptyOk(await fx.request("PUT", `${ARTIFACTS}/${exp}/models/m-other/artifacts/secret.txt`, "secret", { "content-type": "text/plain" }));
  });
  after(async () => {
    await fx.close();
  });

  test("artifacts/directories lists a folder of the model's root, paths relative to the root", async () => {
    const root = ok(await fx.call("GET", `/logged-models/${id}/artifacts/directories`));
    assert.deepEqual(root, {
      root_uri: `mlflow-artifacts:/${dest}`,
      files: [
        { path: "MLmodel", is_dir: false, file_size: 12 },
        { path: "data", is_dir: true },
      ],
    });
    const sub = ok(await fx.call("GET", `/logged-models/${id}/artifacts/directories`, undefined, { query: { artifact_directory_path: "data" }, prefix: "/ajax-api/2.0/mlflow" }));
    assert.deepEqual(sub.files, [
      { path: "data/sub", is_dir: true },
      { path: "data/weights.bin", is_dir: false, file_size: 10 },
    ]);
    assert.deepEqual(ok(await fx.call("GET", `/logged-models/${id}/artifacts/directories`, undefined, { query: { artifact_directory_path: "none" } })), {
      root_uri: `mlflow-artifacts:/${dest}`,
    });
  });

  test("artifacts/files streams one file of the model (Range too)", async () => {
    const r = await fx.request("GET", `${FILES}/${id}/artifacts/files?artifact_file_path=data/weights.bin`);
    assert.equal(r.status, 200);
    assert.equal(r.text, "0123456789");
    const part = await fx.request("GET", `${FILES}/${id}/artifacts/files?artifact_file_path=data/weights.bin`, undefined, { range: "bytes=2-4" });
    assert.equal(part.status, 206);
    assert.equal(part.text, "234");
    assertError(await fx.request("GET", `${FILES}/${id}/artifacts/files`), 400, "BAD_REQUEST", 'Request must include the "artifact_file_path" query parameter.');
    assertError(await fx.request("GET", `${FILES}/${id}/artifacts/files?artifact_file_path=missing.txt`), 404, "RESOURCE_DOES_NOT_EXIST");
    assertError(await fx.request("GET", `${FILES}/m-bogus/artifacts/files?artifact_file_path=MLmodel`), 404, "RESOURCE_DOES_NOT_EXIST", "Logged model with ID 'm-bogus' not found.");
  });

  test("hostile paths are refused with 400 and touch nothing", async () => {
    const before = snapshotTree(fx.artifactsDir);
    const hostile = [
      "../m-other/artifacts",
      "../../m-other/artifacts/secret.txt",
      "/etc",
      "data/../../m-other",
      "%2e%2e/m-other",
      "%252e%252e/m-other",
      "..%2fm-other",
      "data\\..\\..\\m-other",
      "data/\u0000x",
    ];
    for (const p of hostile) {
      const q = encodeURIComponent(p);
      const list = await fx.request("GET", `/api/2.0/mlflow/logged-models/${id}/artifacts/directories?artifact_directory_path=${q}`);
      assert.equal(list.status, 400, `${p}: ${list.text}`);
      assert.equal(list.json.error_code, "INVALID_PARAMETER_VALUE", p);
      const file = await fx.request("GET", `${FILES}/${id}/artifacts/files?artifact_file_path=${q}`);
      assert.equal(file.status, 400, `${p}: ${file.text}`);
      assert.ok(!file.text.includes("secret"), p);
    }
    assert.deepEqual(snapshotTree(fx.artifactsDir), before);
  });

  test("a model in an experiment with its own file: root is listed and served from there", async () => {
    const own = tempDir("ciclo-lm-own-");
    try {
      const exp = ok(await fx.call("POST", "/experiments/create", { name: "lm-own-root", artifact_location: pathToFileURL(own.path).href })).experiment_id;
      const m = ok(await fx.call("POST", "/logged-models", { experiment_id: exp })).model.info;
      assert.equal(m.artifact_uri, `${pathToFileURL(own.path).href}/models/${m.model_id}/artifacts`);
      // The client writes there itself (no proxy); the server only reads.
      const dir = join(own.path, "models", m.model_id, "artifacts");
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "MLmodel"), "own");
      const listed = ok(await fx.call("GET", `/logged-models/${m.model_id}/artifacts/directories`));
      assert.deepEqual(listed, { root_uri: m.artifact_uri, files: [{ path: "MLmodel", is_dir: false, file_size: 3 }] });
      assert.equal((await fx.request("GET", `${FILES}/${m.model_id}/artifacts/files?artifact_file_path=MLmodel`)).text, "own");
    } finally {
      own.remove();
    }
  });
});
