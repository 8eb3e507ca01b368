/**
 * `ciclo models k8s` labels the objects with the version a `models:/` URI
 * resolves to — never an alias, stage or `latest` (they move) — asking the
 * tracking server's registry when no image label says it (build-docker's
 * image gets the resolved version too); an unreachable
 * tracking server is an error that says what to pass instead.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ArtifactClient } from "../../sdk/artifact-client.js";
import { runCiclo } from "../../testing/child-server.js";
import { startLiveTrackingServer, type LiveTrackingServer } from "../../testing/live-tracking-server.js";
import { linearModel } from "../../testing/model-fixtures.js";
import { tempDir } from "../../testing/temp-dir.js";

const tmp = tempDir("ciclo-k8s-");
let tracking: LiveTrackingServer;

before(async () => {
  tracking = await startLiveTrackingServer();
  const client = new ArtifactClient({ trackingUri: tracking.url });
  const dir = await linearModel(tmp.path);
  for (let i = 0; i < 2; i++) {
    const run = await client.tracking.createRun({ experimentId: "0" });
    await client.logArtifacts(run.info.runId, dir, "model");
    await client.registry.registerModel(`runs:/${run.info.runId}/model`, "fraud");
  }
  await client.registry.setRegisteredModelAlias("fraud", "champion", "1"); // latest is 2
});
after(async () => {
  await tracking.close();
  tmp.remove();
});

test("an alias or latest becomes the version it names now in labels and the default image tag", async () => {
  for (const [uri, version] of [["models:/fraud@champion", "1"], ["models:/fraud/latest", "2"], ["models:/fraud/2", "2"]] as const) {
    const r = await runCiclo(["models", "k8s", "-m", uri, "--tracking-uri", tracking.url]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`ciclo\\.dev/model-version: "?${version}"?\\n`), uri);
    assert.doesNotMatch(r.stdout, /champion|latest/, `${uri}: no alias in the manifests`);
    assert.match(r.stdout, new RegExp(`image: fraud:${version}\\n`), uri);
  }
});

test("build-docker bakes the resolved version, not the alias, into its image", async () => {
  const out = join(tmp.path, "ctx");
  const r = await runCiclo(["models", "build-docker", "-m", "models:/fraud@champion", "--tracking-uri", tracking.url, "--output-dir", out, "--no-build"]);
  assert.equal(r.code, 0, r.stderr);
  const dockerfile = readFileSync(join(out, "Dockerfile"), "utf8");
  assert.match(dockerfile, /CICLO_MODEL_VERSION="?1"?/);
  assert.doesNotMatch(dockerfile, /champion/);
});

test("an alias with no tracking server to ask: exit 1, saying what to pass", async () => {
  const free = createServer();
  await new Promise<void>((r) => free.listen(0, "127.0.0.1", r));
  const port = (free.address() as AddressInfo).port;
  await new Promise((r) => free.close(r)); // nothing listens there now
  const r = await runCiclo(["models", "k8s", "-m", "models:/fraud@champion", "--tracking-uri", `http://127.0.0.1:${port}`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`Cannot ask the tracking server at http://127\\.0\\.0\\.1:${port} which version 'models:/fraud@champion' names`));
  assert.match(r.stderr, /--tracking-uri/);
  const missing = await runCiclo(["models", "k8s", "-m", "models:/fraud@nope", "--tracking-uri", tracking.url]);
  assert.equal(missing.code, 1, missing.stderr); // MLflow answers a missing alias with INVALID_PARAMETER_VALUE
  assert.match(missing.stderr, /alias nope not found/);
});
