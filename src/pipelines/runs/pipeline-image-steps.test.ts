/**
 * The image steps on a real server and the shared loopback OCI registry:
 * `build-image` builds a model image (no daemon) and reports its digest;
 * `push` builds it again (reproducibly: the same digest) and pushes it, and
 * the registry then serves that manifest under the tag. Skips with the
 * reason printed when the registry or its Node base image is absent
 * (fails under CICLO_REQUIRE_ALL=1).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { factorModel } from "../../testing/deployments-fixture.js";
import { startPipelineWorld, type PipelineWorld } from "../../testing/pipelines-fixture.js";
import { NODE_BASE, TEST_REGISTRY, testRegistryUnavailable } from "../../testing/registry-fixture.js";

const unavailable = await testRegistryUnavailable();
const repo = `ciclo-test/pipeline-${Math.random().toString(36).slice(2, 8)}`;

describe("image steps: build-image and push to a registry", { skip: unavailable }, () => {
  let w: PipelineWorld;
  let proj: string;
  before(async () => {
    w = await startPipelineWorld();
    proj = w.project("images", {
      "ciclo.yaml": `name: images
pipelines:
  image:
    steps:
      build:
        uses: build-image
        with: { model: models/f2, image: "${TEST_REGISTRY}/${repo}:1", base: "${NODE_BASE}" }
        env: { CICLO_IMAGE_CACHE: "${join(w.dir, "image-cache")}" }
      push:
        uses: push
        needs: [build]
        with: { model: models/f2, image: "${TEST_REGISTRY}/${repo}:1", base: "${NODE_BASE}" }
        env: { CICLO_IMAGE_CACHE: "${join(w.dir, "image-cache")}" }
`,
    });
    await factorModel(join(proj, "models"), "f2", 2);
  });
  after(async () => {
    await w?.close();
  });

  test("build-image reports a digest; push pushes the same image; the registry serves it under the tag", async () => {
    const run = await w.until((await w.start(proj, "image")).run_id, undefined, 300_000);
    const by = Object.fromEntries(run.steps.map((s: any) => [s.step_id, s]));
    assert.equal(run.status, "succeeded", JSON.stringify(run));
    assert.match(by.build.outputs.digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(by.push.outputs.digest, by.build.outputs.digest, "the push step's build is the same image");
    assert.equal(by.push.outputs.image, `${TEST_REGISTRY}/${repo}@${by.build.outputs.digest}`);
    const res = await fetch(`http://${TEST_REGISTRY}/v2/${repo}/manifests/1`, {
      method: "HEAD",
      headers: { accept: "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json" },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("docker-content-digest"), by.build.outputs.digest);
  });
});
