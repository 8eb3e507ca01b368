/**
 * `ciclo models build-image` for real: an ONNX model's image built on the
 * test registry's Node base and pushed; built again from another cache and
 * tag → the same digest; pulled and run by podman (runc, host network) as
 * the non-root user; scored over HTTP with both protocols; `podman stop`
 * (SIGTERM) → a clean drain in its logs and exit code 0. Also: the OCI
 * layout output, the labels, `models k8s` pinning the digest, and a
 * python_function model refused clearly on a base without MLflow (Python
 * images: python-model-image.test.ts).
 * Needs scripts/registry-test-server.sh + scripts/base-images.sh (CI runs both).
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, test } from "node:test";
import { runCiclo } from "../../testing/child-server.js";
import { FIXTURE_EXPECTED, linearModel } from "../../testing/model-fixtures.js";
import { NODE_BASE, podmanEnv, podmanSync, podmanUnavailable, TEST_REGISTRY, testRegistryUnavailable } from "../../testing/registry-fixture.js";
import { freePort } from "../../testing/free-port.js";
import { tempDir } from "../../testing/temp-dir.js";

const expected = JSON.parse(readFileSync(FIXTURE_EXPECTED, "utf8"))["linear-regressor"] as { X: number[][]; variable: number[] };
const tmp = tempDir("ciclo-model-image-");
const env = podmanEnv();
const podman = (...args: string[]) => podmanSync(env, ...args);
const run = Math.random().toString(36).slice(2, 8);
const repo = `${TEST_REGISTRY}/ciclo-test/linear-${run}`;

const unavailable = (await testRegistryUnavailable()) ?? podmanUnavailable();

describe("model images: build, push, run with podman", { skip: unavailable, concurrency: false }, () => {
  let model: string;
  let pinned: string;
  const containers: string[] = [];

  before(async () => {
    model = await linearModel(tmp.path, "linear");
  });
  after(() => {
    for (const c of containers) podman("rm", "-f", "-t", "0", c);
    if (pinned) podman("rmi", "-f", pinned);
    tmp.remove();
  });

  const build = (tag: string, cache: string, ...extra: string[]) =>
    runCiclo(["models", "build-image", "-m", model, "-t", tag, "--base", NODE_BASE, "--push", "--model-version", "7", ...extra], { CICLO_IMAGE_CACHE: join(tmp.path, cache) });

  test("the same model and base give the same digest, from another cache, tag and upload mode", async () => {
    const first = await build(`${repo}:1`, "cache-a");
    assert.equal(first.code, 0, first.stderr);
    pinned = first.stdout.trim();
    assert.match(pinned, new RegExp(`^${repo.replace(/[.]/g, "\\.")}@sha256:[0-9a-f]{64}$`));
    assert.match(first.stderr, /Kubernetes: ciclo models k8s -m .* --image .*@sha256:/);
    const second = await build(`${repo}:again`, "cache-b", "--chunk-size-mb", "4");
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout.trim().split("@")[1], pinned.split("@")[1]);
    // Everything was in the registry already: nothing uploaded the second time.
    assert.match(second.stderr, /pushed \(0 uploaded, \d+ mounted, \d+ already there\)/);
  });

  test("labels, user, health check and stop signal in the config; an OCI layout skopeo reads", async () => {
    const out = join(tmp.path, "layout");
    const r = await runCiclo(["models", "build-image", "-m", model, "-t", `${repo}:1`, "--base", NODE_BASE, "--model-version", "7", "--output", out], { CICLO_IMAGE_CACHE: join(tmp.path, "cache-a") });
    assert.equal(r.code, 0, r.stderr);
    // The layout holds the OCI form of the image (the base is Docker v2s2): another manifest, the same layers.
    const digest = r.stdout.trim();
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);
    assert.notEqual(digest, pinned.split("@")[1]);
    const index = JSON.parse(readFileSync(join(out, "index.json"), "utf8")) as { manifests: Array<{ digest: string; mediaType: string }> };
    assert.equal(index.manifests[0].digest, digest);
    assert.equal(index.manifests[0].mediaType, "application/vnd.oci.image.manifest.v1+json");
    const inspect = spawnSync("skopeo", ["inspect", "--config", `oci:${out}:1`], { encoding: "utf8" });
    assert.equal(inspect.status, 0, inspect.stderr);
    const config = (JSON.parse(inspect.stdout) as { config: { User: string; Labels: Record<string, string>; Healthcheck?: { Test: string[] }; StopSignal: string; ExposedPorts: Record<string, unknown>; Entrypoint: string[] } }).config;
    assert.equal(config.User, "10001:10001");
    assert.equal(config.StopSignal, "SIGTERM");
    assert.deepEqual(Object.keys(config.ExposedPorts), ["8080/tcp"]);
    assert.deepEqual(config.Entrypoint, ["node", "/opt/ciclo/app/server.mjs"]);
    assert.equal(config.Labels["dev.ciclo.model.name"], "linear");
    assert.equal(config.Labels["dev.ciclo.model.version"], "7");
    assert.equal(config.Labels["dev.ciclo.model.flavor"], "onnx");
    assert.match(config.Labels["dev.ciclo.version"], /^\d+\.\d+\.\d+/);
    assert.match(config.Labels["dev.ciclo.model.signature-digest"] ?? "sha256:", /^sha256:[0-9a-f]*$/);
    assert.equal(config.Labels["org.opencontainers.image.title"], "linear");
  });

  test("podman pulls and runs it as user 10001; both protocols score; SIGTERM drains and exits 0", async () => {
    const port = await freePort();
    const name = `ciclo-test-linear-${run}`;
    containers.push(name);
    podman("rmi", "-f", pinned);
    const started = podman("run", "-d", "--pull", "always", "--name", name, "-e", `PORT=${port}`, pinned);
    assert.equal(started.status, 0, started.stderr);
    // Ready when the server says so in its log (no polling of the port).
    const logs = spawn("podman", ["logs", "-f", name], { env, stdio: ["ignore", "pipe", "ignore"] });
    const lines: string[] = [];
    const ready = await new Promise<string>((resolve, reject) => {
      createInterface({ input: logs.stdout }).on("line", (l) => {
        lines.push(l);
        if (l.includes('"ciclo scoring server ready"')) resolve(l);
      });
      logs.once("exit", () => reject(new Error(`container ended before it was ready:\n${lines.join("\n")}`)));
    });
    assert.match(ready, /"flavor":"onnx"/);
    const url = `http://127.0.0.1:${port}`;
    assert.equal((await fetch(`${url}/ping`)).status, 200);
    const mlflow = await fetch(`${url}/invocations`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ inputs: expected.X }) });
    assert.equal(mlflow.status, 200);
    const got = ((await mlflow.json()) as { predictions: { variable: number[][] } }).predictions.variable.map((v) => v[0]);
    got.forEach((v, i) => assert.ok(Math.abs(v - expected.variable[i]) < 1e-4, `${v} vs ${expected.variable[i]}`));
    const v2 = await fetch(`${url}/v2/models/linear/versions/7/infer`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: "r1", inputs: [{ name: "X", shape: [expected.X.length, 3], datatype: "FP32", data: expected.X.flat() }] }),
    });
    assert.equal(v2.status, 200);
    const out = ((await v2.json()) as { outputs: Array<{ name: string; data: number[] }> }).outputs[0];
    assert.equal(out.name, "variable");
    out.data.forEach((v, i) => assert.ok(Math.abs(v - expected.variable[i]) < 1e-4));
    const user = podman("exec", name, "node", "-e", "process.stdout.write(`${process.getuid()}:${process.getgid()}`)");
    assert.equal(user.stdout, "10001:10001");
    const health = podman("healthcheck", "run", name);
    assert.equal(health.status, 0, health.stderr);
    const stop = podman("stop", "-t", "30", name);
    assert.equal(stop.status, 0, stop.stderr);
    await new Promise((r) => (logs.exitCode === null ? logs.once("exit", r) : r(undefined)));
    const all = podman("logs", name).stdout;
    assert.match(all, /"msg":"ciclo scoring server draining"/);
    assert.match(all, /"msg":"ciclo scoring server stopped","drained":true/);
    assert.equal(podman("inspect", name, "--format", "{{.State.ExitCode}}").stdout.trim(), "0");
  });

  test("ciclo models k8s pins a tag to the pushed digest and takes the version from the image", async () => {
    const r = await runCiclo(["models", "k8s", "-m", "models:/linear@champion", "--image", `${repo}:1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`image: ${pinned.replace(/[.]/g, "\\.")}`));
    assert.match(r.stdout, /ciclo\.dev\/model-version: "?7"?/);
    const kept = await runCiclo(["models", "k8s", "-m", "models:/linear/7", "--image", `${repo}:1`, "--no-pin-digest"]);
    assert.match(kept.stdout, new RegExp(`image: ${repo.replace(/[.]/g, "\\.")}:1`));
  });

  test("a python_function model on a base without MLflow is refused with what to do instead; a bad tag is a usage error", async () => {
    const py = join(tmp.path, "py");
    spawnSync("mkdir", ["-p", py]);
    writeFileSync(join(py, "MLmodel"), "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n  sklearn:\n    pickled_model: model.pkl\n");
    const r = await runCiclo(["models", "build-image", "-m", py, "-t", `${repo}:py`, "--base", NODE_BASE], { CICLO_IMAGE_CACHE: join(tmp.path, "cache-a") });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /is a Python model \(mlflow\.sklearn\): its image needs MLflow's Python package .* --mlflow-from <dir>/);
    const bad = await runCiclo(["models", "build-image", "-m", model, "-t", "Bad/../Ref"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Image reference 'Bad\/\.\.\/Ref' is invalid/);
  });
});
