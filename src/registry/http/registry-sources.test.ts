/**
 * Hostile model-version sources and bad registry input (research/
 * security-anchors.md §1.1–1.3: MLflow's LFI/SSRF CVEs through
 * `model-versions/create` then `model-versions/get-artifact`). Each request
 * must be refused with MLflow's error envelope AND leave every registry table
 * exactly as it was, under both URL prefixes.
 */
import assert from "node:assert/strict";
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { openTestApp, type TestApp, assertError, PREFIXES, REGISTRY_TABLES } from "../../testing/test-app.js";

describe("model-version sources are refused unless they are in the artifact store", () => {
  let fx: TestApp;
  let runId: string;
  let artifactUri: string;
  const MODEL = "victim-model";
  before(async () => {
    fx = await openTestApp();
    // Local sources are MLflow's concern (CVE-2023-1177 and after): a run whose artifacts are a local folder.
    const local = await fx.createExperiment(fx.uniq("local"), { artifact_location: join(fx.artifactsDir, "local") });
    ({ runId, artifactUri } = await fx.createRunInfo(local));
    assert.match(artifactUri, /^\//);
    assert.equal((await fx.call("POST", "/registered-models/create", { name: MODEL })).status, 200);
    symlinkSync(fx.outsideDir, join(fx.artifactsDir, "escape"));
    mkdirSync(join(fx.artifactsDir, "local"), { recursive: true });
    symlinkSync(fx.outsideDir, join(fx.artifactsDir, "local", "escape"));
  });
  after(async () => {
    await fx.close();
  });

  /** Each case: [label, request body fields]. */
  const cases = (): Array<[string, Record<string, unknown>]> => {
    const outside = pathToFileURL(fx.outsideDir).href;
    const root = pathToFileURL(fx.artifactsDir).href;
    return [
      ["CVE-2023-1177 file:///etc/", { source: "file:///etc/" }],
      ["CVE-2023-1177 file:///etc/ with a run_id", { source: "file:///etc/", run_id: runId }],
      ["CVE-2023-3765 absolute path", { source: "/etc" }],
      ["CVE-2023-3765 absolute path with run_id", { source: `${fx.outsideDir}`, run_id: runId }],
      ["relative local path", { source: "mlruns/1/model" }],
      ["dot-relative local path", { source: "./model" }],
      ["CVE-2023-6977 //proc/self/root", { source: "//proc/self/root" }],
      ["CVE-2023-2356 mlflow-artifacts host with ..", { source: "mlflow-artifacts://host/../../../../" }],
      ["CVE-2023-2356 http proxied route with ..", { source: "http://host:5000/api/2.0/mlflow-artifacts/artifacts/../../../../" }],
      ["CVE-2023-2356 s3 with ..", { source: "s3:/my_bucket/models/path/../../other/path" }],
      ["CVE-2023-2356 file with ..", { source: "file://path/to/../../../../some/where/you/should/not/be" }],
      ["CVE-2023-2356 encoded ..", { source: "mlflow-artifacts://host:port/..%2f..%2f..%2f..%2f" }],
      ["CVE-2023-2356 encoded NUL", { source: "http://host:port/api/2.0/mlflow-artifacts/artifacts%00" }],
      ["CVE-2023-2780 backslashes", { source: "\\..\\..\\etc\\passwd" }],
      ["CVE-2023-2780 backslashes in a proxied URI", { source: "mlflow-artifacts:/1/x\\..\\..\\..\\etc" }],
      ["CVE-2024-1558 encoded traversal", { source: "mlflow-artifacts:/%2e%2e%2f%2e%2e%2fetc" }],
      ["CVE-2024-1558 double-encoded traversal", { source: "mlflow-artifacts:/1/%252e%252e%252f%252e%252e%252fetc" }],
      ["CVE-2024-3573 file://localhost", { source: "file://localhost/etc/" }],
      ["CVE-2024-3573 file:/etc", { source: "file:/etc" }],
      ["CVE-2024-3573 //etc", { source: "//etc" }],
      ["CVE-2024-3573 file://./etc", { source: "file://./etc" }],
      ["CVE-2024-1594 fragment", { source: "http:///#/../../../../../../etc/" }],
      ["CVE-2023-6909 query", { source: "http://foo/bar?a=../../../../etc" }],
      ["CVE-2024-1593 params", { source: "http://h/p;/../../../../etc" }],
      ["CVE-2024-8859 dbfs query", { source: "dbfs:/x?../../etc" }],
      ["CVE-2026-2614 prompt tag skips nothing", { source: "/etc", tags: [{ key: "mlflow.prompt.is_prompt", value: "true" }] }],
      ["file: URI outside the roots", { source: outside }],
      ["file: URI leaving the root through a symlink (CVE-2023-6977)", { source: `${root}/escape` }],
      ["a path under the run's folder leaving it through a symlink (CVE-2023-6977)", { source: `${artifactUri}/../../escape/x`, run_id: runId }],
      ["file: URI with .. inside the root", { source: `${root}/1/../../outside` }],
      ["file: URI under the artifact root without a run_id", { source: `${root}/1/model` }],
      ["file: URI under the run's artifacts without a run_id", { source: `${artifactUri}/model` }],
      ["file: URI under another run's artifacts", { source: `${root}/1/other-run/artifacts/model`, run_id: runId }],
      ["the bare proxied root", { source: "mlflow-artifacts:/" }],
      ["a . segment", { source: "mlflow-artifacts:/1/./model" }],
      ["runs:/ with ..", { source: `runs:/${runId}/../../../etc` }],
      ["runs:/ with a bad run id", { source: "runs:/../etc/passwd" }],
      ["a source under the run's artifacts with a foreign run_id format", { source: `${artifactUri}/model`, run_id: "../../x" }],
      ["a control character", { source: "mlflow-artifacts:/1/a\nb" }],
      ["Windows drive", { source: "C:\\Windows\\System32" }],
      ["Windows drive with slashes", { source: "C:/Windows/System32" }],
      ["an over-long source", { source: `mlflow-artifacts:/${"a".repeat(500)}` }],
      ["not a string", { source: 42 }],
      ["empty", { source: "" }],
    ];
  };

  for (const prefix of PREFIXES) {
    test(`every hostile source is refused and changes nothing (${prefix})`, async () => {
      const before = await fx.snapshotTables(REGISTRY_TABLES);
      for (const [label, fields] of cases()) {
        const r = await fx.call("POST", "/model-versions/create", { name: MODEL, ...fields }, { prefix });
        // MLflow compat: a file: URI naming another host is MLflow's INTERNAL_ERROR (500).
        assert.ok(r.status === 400 || r.status === 404 || r.status === 500, `${label}: expected a refusal, got ${r.status} ${r.text}`);
        assertError(r, r.status, r.status === 400 ? "INVALID_PARAMETER_VALUE" : r.status === 404 ? "RESOURCE_DOES_NOT_EXIST" : "INTERNAL_ERROR");
        assert.deepEqual(await fx.snapshotTables(REGISTRY_TABLES), before, `${label} changed the registry`);
      }
      const listed = await fx.call("GET", "/model-versions/search", { filter: `name = '${MODEL}'` }, { prefix });
      assert.deepEqual(listed.json, {});
      const served = await fx.request("GET", `/model-versions/get-artifact?name=${MODEL}&version=1&path=passwd`);
      assertError(served, 404, "RESOURCE_DOES_NOT_EXIST");
      assert.doesNotMatch(served.text, /root:x/);
    });
  }

  test("a NUL byte in the source is refused at the HTTP edge", async () => {
    const before = await fx.snapshotTables(REGISTRY_TABLES);
    const r = await fx.app.inject({
      method: "POST",
      url: "/api/2.0/mlflow/model-versions/create",
      payload: `{"name": "${MODEL}", "source": "mlflow-artifacts:/1/x\\u0000/../../etc"}`,
      headers: { "content-type": "application/json" },
    });
    assert.equal(r.statusCode, 400, r.body);
    assert.deepEqual(await fx.snapshotTables(REGISTRY_TABLES), before);
  });

  test("the sources MLflow clients send are accepted", async () => {
    const ok = [
      { source: `${artifactUri}/model`, run_id: runId },
      { source: `${artifactUri}/model/..`, run_id: runId },
      { source: `runs:/${runId}/model` },
      { source: `file://${artifactUri}/./model`, run_id: runId },
      { source: "mlflow-artifacts:/models///" },
      { source: "mlflow-artifacts://host:9000/models" },
      { source: `runs:/${runId}/model`, run_id: "0123456789abcdef0123456789abcdef" },
    ];
    for (const body of ok) {
      const r = await fx.call("POST", "/model-versions/create", { name: MODEL, ...body });
      assert.equal(r.status, 200, `${JSON.stringify(body)}: ${r.text}`);
    }
  });
});

describe("sources MLflow accepts that lie outside the artifact store are stored but never read by the server", () => {
  let fx: TestApp;
  let runId: string;
  const MODEL = "elsewhere";
  before(async () => {
    fx = await openTestApp();
    ({ runId } = await fx.createRunInfo());
    assert.equal((await fx.call("POST", "/registered-models/create", { name: MODEL })).status, 200);
  });
  after(async () => {
    await fx.close();
  });

  const sources = [
    ["CVE-2023-6974 SSRF to instance metadata", "http://169.254.169.254/latest/meta-data"],
    ["another host", "https://evil.example.com/models/m"],
    ["ftp", "ftp://host/x"],
    ["a bucket the server is not configured with", "s3://someone-elses-bucket/models/m"],
    ["a run id the server does not hold", "runs:/0123456789abcdef0123456789abcdef/model"],
  ] as const;

  for (const [label, source] of sources) {
    test(label, async () => {
      const created = await fx.call("POST", "/model-versions/create", { name: MODEL, source, run_id: runId });
      assert.equal(created.status, 200, created.text);
      const version = (created.json as { model_version: { version: string } }).model_version.version;
      // get-download-uri answers the source as given (MLflow compat): the client fetches it, not the server.
      const uri = await fx.call("GET", "/model-versions/get-download-uri", { name: MODEL, version });
      assert.deepEqual(uri.json, { artifact_uri: source });
      const served = await fx.request("GET", `/model-versions/get-artifact?name=${MODEL}&version=${version}&path=passwd`);
      assert.ok(served.status === 403 || served.status === 404, `${served.status} ${served.text}`);
      assertError(served, served.status, served.status === 403 ? "PERMISSION_DENIED" : "RESOURCE_DOES_NOT_EXIST");
    });
  }
});

describe("bad registry input is refused and changes nothing", () => {
  let fx: TestApp;
  before(async () => {
    fx = await openTestApp();
    await fx.call("POST", "/registered-models/create", { name: "base", tags: [{ key: "k", value: "v" }] });
    await fx.call("POST", "/registered-models/create", { name: "other" });
    const { runId } = await fx.createRunInfo();
    await fx.call("POST", "/model-versions/create", { name: "base", source: `runs:/${runId}/m` });
    await fx.call("POST", "/registered-models/alias", { name: "base", alias: "champion", version: "1" });
  });
  after(async () => {
    await fx.close();
  });

  const requests: Array<[string, "POST" | "PATCH" | "DELETE", string, Record<string, unknown>, 400 | 404]> = [
    ["create with a numeric name", "POST", "/registered-models/create", { name: 5 }, 400],
    ["create with tags that are not a list", "POST", "/registered-models/create", { name: "t", tags: { k: "v" } }, 400],
    ["create with a bad tag key", "POST", "/registered-models/create", { name: "t", tags: [{ key: "a/../b", value: "v" }] }, 400],
    ["create with a too-long description", "POST", "/registered-models/create", { name: "t", description: "d".repeat(5001) }, 400],
    ["create an existing name", "POST", "/registered-models/create", { name: "base" }, 400],
    ["rename onto a taken name", "POST", "/registered-models/rename", { name: "base", new_name: "other" }, 400],
    ["rename an unknown model", "POST", "/registered-models/rename", { name: "nope", new_name: "x" }, 404],
    ["update an unknown model", "PATCH", "/registered-models/update", { name: "nope", description: "x" }, 404],
    ["set a tag value that is too long", "POST", "/registered-models/set-tag", { name: "base", key: "k", value: "v".repeat(5001) }, 400],
    ["set a tag on an unknown model", "POST", "/registered-models/set-tag", { name: "nope", key: "k", value: "v" }, 404],
    ["reserved alias", "POST", "/registered-models/alias", { name: "base", alias: "latest", version: "1" }, 400],
    ["alias to a missing version", "POST", "/registered-models/alias", { name: "base", alias: "x", version: "2" }, 404],
    ["alias with a bad version", "POST", "/registered-models/alias", { name: "base", alias: "x", version: "1.5" }, 400],
    ["version on an unknown model", "POST", "/model-versions/create", { name: "nope", source: "mlflow-artifacts:/1/x/artifacts/m" }, 404],
    ["version with a bad tag", "POST", "/model-versions/create", { name: "base", source: "mlflow-artifacts:/1/x/artifacts/m", tags: [{ key: "../k", value: "v" }] }, 400],
    ["version with a too-long run_link", "POST", "/model-versions/create", { name: "base", source: "mlflow-artifacts:/1/x/artifacts/m", run_link: "h".repeat(501) }, 400],
    ["version with a local source and an unknown run", "POST", "/model-versions/create", { name: "base", source: "/tmp/x", run_id: "0123456789abcdef0123456789abcdef" }, 404],
    ["transition to an unknown stage", "POST", "/model-versions/transition-stage", { name: "base", version: "1", stage: "Live" }, 400],
    ["transition with archive to None", "POST", "/model-versions/transition-stage", { name: "base", version: "1", stage: "None", archive_existing_versions: true }, 400],
    ["transition with a non-boolean archive flag", "POST", "/model-versions/transition-stage", { name: "base", version: "1", stage: "Staging", archive_existing_versions: "yes" }, 400],
    ["update a missing version", "PATCH", "/model-versions/update", { name: "base", version: "9", description: "x" }, 404],
    ["delete a missing version", "DELETE", "/model-versions/delete", { name: "base", version: "9" }, 404],
    ["delete a version given as text", "DELETE", "/model-versions/delete", { name: "base", version: "one" }, 400],
    ["version tag too long", "POST", "/model-versions/set-tag", { name: "base", version: "1", key: "k", value: "v".repeat(5001) }, 400],
    ["delete an unknown model", "DELETE", "/registered-models/delete", { name: "nope" }, 404],
  ];

  test("each bad request gets MLflow's envelope and the registry is untouched", async () => {
    const before = await fx.snapshotTables(REGISTRY_TABLES);
    for (const [label, method, path, body, status] of requests) {
      const r = await fx.call(method, path, body);
      assertError(r, status, status === 404 ? "RESOURCE_DOES_NOT_EXIST" : r.json?.error_code === "RESOURCE_ALREADY_EXISTS" ? "RESOURCE_ALREADY_EXISTS" : "INVALID_PARAMETER_VALUE");
      assert.deepEqual(await fx.snapshotTables(REGISTRY_TABLES), before, `${label} changed the registry`);
    }
    const malformed = await fx.app.inject({
      method: "POST",
      url: "/api/2.0/mlflow/registered-models/create",
      payload: "{not json",
      headers: { "content-type": "application/json" },
    });
    assert.equal(malformed.statusCode, 400);
    assert.deepEqual(await fx.snapshotTables(REGISTRY_TABLES), before);
  });
});
