import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { openArtifactRepository } from "../artifact-repositories.js";
import { openTestApp, type TestApp, assertError, testModules } from "../../testing/test-app.js";
import { artifactsModule } from "./artifacts-module.js";
import { createTestBucket, s3Unavailable, type S3TestBucket } from "../../testing/s3-fixture.js";
import { guessMimeType } from "./artifact-mime.js";

/** What MLflow's Python client does with an `mlflow-artifacts:` URI (MlflowArtifactsRepository.resolve_uri). */
function proxiedUrl(artifactUri: string, relPath = ""): string {
  const path = artifactUri.replace(/^mlflow-artifacts:(\/\/[^/]*)?\/*/, "");
  return `/api/2.0/mlflow-artifacts/artifacts/${path}${relPath ? `/${relPath}` : ""}`;
}

const FILES: Record<string, string> = {
  "notes.txt": "trained for 3 epochs\n",
  "config/params.yaml": "lr: 0.1\n",
  "metrics.json": '{"acc": 0.9}',
  "model/MLmodel": "artifact_path: model\nflavors: {}\n",
  "model/model.pkl": "\u0080\u0004binary-ish",
  "model/requirements.txt": "scikit-learn\n",
};

describe("a run created by the server: the Python client's artifact flows (wire notes)", () => {
  let fx: TestApp;
  let run: { experimentId: string; runId: string; artifactUri: string };
  before(async () => {
    fx = await openTestApp();
    run = await fx.createRunInfo();
  });
  after(async () => fx.close());

  test("runs get artifact_uri = mlflow-artifacts:/<exp>/<run>/artifacts", () => {
    assert.equal(run.artifactUri, `mlflow-artifacts:/${run.experimentId}/${run.runId}/artifacts`);
  });

  test("log_artifact / log_text / log_dict: one raw PUT per file, Content-Type guessed from the name, answer {}", async () => {
    for (const [rel, body] of Object.entries(FILES)) {
      const r = await fx.request("PUT", proxiedUrl(run.artifactUri, rel), body, { "content-type": guessMimeType(rel) });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json, {});
    }
  });

  test("list_artifacts / download_artifacts: list (base names), recurse into folders, download each file", async () => {
    const root = run.artifactUri.replace("mlflow-artifacts:/", "");
    const downloaded: Record<string, string> = {};
    const walk = async (rel: string): Promise<void> => {
      const r = await fx.request("GET", `/api/2.0/mlflow-artifacts/artifacts?path=${encodeURIComponent(rel ? `${root}/${rel}` : root)}`);
      assert.equal(r.status, 200, r.text);
      for (const f of r.json.files ?? []) {
        // The client joins the listed base name to the path it asked for.
        const child = rel ? `${rel}/${f.path}` : f.path;
        if (f.is_dir) await walk(child);
        else {
          const d = await fx.request("GET", proxiedUrl(run.artifactUri, child));
          assert.equal(d.status, 200, d.text);
          assert.equal(Number(d.headers["content-length"]), f.file_size);
          downloaded[child] = d.text;
        }
      }
    };
    await walk("");
    assert.deepEqual(downloaded, FILES);
  });

  test("GET /mlflow/artifacts/list answers {root_uri, files} with run-relative paths, on both prefixes", async () => {
    for (const prefix of ["/api/2.0/mlflow", "/ajax-api/2.0/mlflow"]) {
      const top = await fx.request("GET", `${prefix}/artifacts/list?run_id=${run.runId}&run_uuid=${run.runId}`);
      assert.equal(top.status, 200, top.text);
      assert.deepEqual(top.json, {
        root_uri: run.artifactUri,
        files: [
          { path: "config", is_dir: true },
          { path: "metrics.json", is_dir: false, file_size: 12 },
          { path: "model", is_dir: true },
          { path: "notes.txt", is_dir: false, file_size: 21 },
        ],
      });
      const sub = await fx.request("GET", `${prefix}/artifacts/list?run_uuid=${run.runId}&path=model`);
      assert.deepEqual(
        sub.json.files.map((f: { path: string }) => f.path),
        ["model/MLmodel", "model/model.pkl", "model/requirements.txt"],
      );
      const none = await fx.request("GET", `${prefix}/artifacts/list?run_id=${run.runId}&path=nothing-here`);
      assert.deepEqual(none.json, { root_uri: run.artifactUri });
    }
  });

  test("GET /get-artifact (and its ajax-api twin) downloads one file of the run as an attachment", async () => {
    for (const url of ["/get-artifact", "/ajax-api/2.0/mlflow/get-artifact"]) {
      const r = await fx.request("GET", `${url}?path=model/MLmodel&run_uuid=${run.runId}`);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.text, FILES["model/MLmodel"]);
      assert.equal(r.headers["content-type"], "text/plain");
      assert.equal(r.headers["content-disposition"], 'attachment; filename="MLmodel"');
      const ranged = await fx.request("GET", `${url}?path=notes.txt&run_id=${run.runId}`, undefined, { range: "bytes=0-6" });
      assert.equal(ranged.status, 206);
      assert.equal(ranged.text, "trained");
    }
  });

  test("unknown runs, missing files and missing parameters get MLflow's errors", async () => {
    assertError(await fx.request("GET", `/api/2.0/mlflow/artifacts/list?run_id=${"0".repeat(32)}`), 404, "RESOURCE_DOES_NOT_EXIST");
    assertError(await fx.request("GET", "/api/2.0/mlflow/artifacts/list"), 400, "INVALID_PARAMETER_VALUE", /Missing value for required parameter 'run_id'/);
    assertError(await fx.request("GET", `/get-artifact?path=nope.txt&run_uuid=${run.runId}`), 404, "RESOURCE_DOES_NOT_EXIST");
    assertError(await fx.request("GET", `/get-artifact?path=model&run_uuid=${run.runId}`), 404, "RESOURCE_DOES_NOT_EXIST");
    assertError(await fx.request("GET", `/get-artifact?run_uuid=${run.runId}`), 400, "INVALID_PARAMETER_VALUE", /'path'/);
    assertError(await fx.request("GET", `/get-artifact?path=notes.txt&run_uuid=${"f".repeat(32)}`), 404, "RESOURCE_DOES_NOT_EXIST");
  });
});

describe("runs whose artifact root is a file: folder (the client writes there itself)", () => {
  let fx: TestApp;
  let run: { runId: string; artifactUri: string };
  let runDir: string;
  before(async () => {
    fx = await openTestApp();
    const location = pathToFileURL(join(fx.world, "direct-root")).href;
    run = await fx.createRunInfo(await fx.createExperiment(undefined, { artifact_location: location }));
    runDir = join(fx.world, "direct-root", run.runId, "artifacts");
    mkdirSync(join(runDir, "plots"), { recursive: true });
    writeFileSync(join(runDir, "plots", "loss.png"), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    writeFileSync(join(runDir, "summary.md"), "# done\n");
  });
  after(async () => fx.close());

  test("are listed and served through the repository for that URI, not the destination", async () => {
    assert.equal(run.artifactUri, `${pathToFileURL(join(fx.world, "direct-root")).href}/${run.runId}/artifacts`);
    const top = await fx.request("GET", `/api/2.0/mlflow/artifacts/list?run_id=${run.runId}`);
    assert.deepEqual(top.json, {
      root_uri: run.artifactUri,
      files: [
        { path: "plots", is_dir: true },
        { path: "summary.md", is_dir: false, file_size: 7 },
      ],
    });
    const plots = await fx.request("GET", `/ajax-api/2.0/mlflow/artifacts/list?run_id=${run.runId}&path=plots`);
    assert.deepEqual(plots.json.files, [{ path: "plots/loss.png", is_dir: false, file_size: 4 }]);
    const png = await fx.request("GET", `/get-artifact?path=plots/loss.png&run_uuid=${run.runId}`);
    assert.equal(png.status, 200);
    assert.equal(png.headers["content-type"], "image/png");
    assert.deepEqual(png.raw, Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  });
});

describe("runs whose artifact root is s3:// (real S3 server)", () => {
  let fx: TestApp | undefined;
  let bucket: S3TestBucket | undefined;
  let runId = "";
  before(async () => {
    if (await s3Unavailable()) return;
    bucket = await createTestBucket();
    const env = bucket.env;
    const { openS3ArtifactRepository } = await import("../s3-artifact-repository.js");
    const open = (uri: string) => (uri.startsWith("s3:") ? openS3ArtifactRepository(uri, env) : openArtifactRepository(uri));
    fx = await openTestApp({ modules: testModules().map((m) => (m.id === "artifacts" ? artifactsModule({ open }) : m)) });
    const run = await fx.createRunInfo(await fx.createExperiment(undefined, { artifact_location: `s3://${bucket.bucket}/experiments` }));
    runId = run.runId;
    const repo = await openS3ArtifactRepository(run.artifactUri, env);
    await repo.put("model/MLmodel", Readable.from([Buffer.from("flavors: {}\n")]));
    await repo.put("report.html", Readable.from([Buffer.from("<p>hi</p>")]));
  });
  after(async () => {
    await fx?.close();
    await bucket?.drop();
  });

  test("are listed and served through the S3 repository", async (t) => {
    if (!fx) return t.skip("S3 test server unavailable");
    const top = await fx.request("GET", `/api/2.0/mlflow/artifacts/list?run_id=${runId}`);
    assert.equal(top.status, 200, top.text);
    assert.deepEqual(top.json.files, [
      { path: "model", is_dir: true },
      { path: "report.html", is_dir: false, file_size: 9 },
    ]);
    const r = await fx.request("GET", `/get-artifact?path=model/MLmodel&run_uuid=${runId}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.text, "flavors: {}\n");
    const html = await fx.request("GET", `/get-artifact?path=report.html&run_uuid=${runId}`);
    assert.equal(html.headers["content-type"], "text/html");
    assert.equal(html.headers["content-disposition"], 'attachment; filename="report.html"');
  });
});
