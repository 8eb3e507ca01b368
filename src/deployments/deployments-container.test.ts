/**
 * The `container` target end to end: a real ciclo server whose deployment
 * runs a model server image (built here by `ciclo models build-image` on the
 * test registry's Node base and pushed) under podman — runc, cgroupfs, host
 * network, from the private configuration scripts/registry-test-server.sh
 * writes:
 * - the endpoint answers through the container, which serves the
 *   deployment's registered version (fetched from the server at start), and
 *   a new version rolls to a new container in the same image;
 * - a container killed with `podman kill` is restarted (backoff) and the
 *   endpoint answers again; its logs are the deployment's logs;
 * - a container deployment without an image is refused and changes nothing;
 * - removing the deployment drains its container and removes it;
 * - after a restart of ciclo, a container its records name (found by label)
 *   is removed before the deployments start afresh.
 * Needs scripts/registry-test-server.sh + scripts/base-images.sh (CI runs both).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { runCiclo } from "../testing/child-server.js";
import { factorModel, startDeployWorld, type DeployWorld } from "../testing/deployments-fixture.js";
import { NODE_BASE, podmanEnv, podmanSync, podmanUnavailable, TEST_REGISTRY, testRegistryUnavailable } from "../testing/registry-fixture.js";
import { waitFor } from "../testing/wait-for.js";
import { containerRunner, REPLICA_LABEL } from "./targets/container-runner.js";

const env = podmanEnv();
const podman = (...args: string[]) => podmanSync(env, ...args);
const run = Math.random().toString(36).slice(2, 8);
const unavailable = (await testRegistryUnavailable()) ?? podmanUnavailable();

/** Containers of one deployment replica, by the label the target puts on them. */
/** Replica 0's containers, whichever server runs them (the label's value ends with the owner). */
const containersOf = (endpoint: string, deployment: string) =>
  podman("ps", "-a", "--filter", `label=${REPLICA_LABEL}`, "--format", "{{.Names}} {{.State}}")
    .stdout.split("\n")
    .filter((l) => l.startsWith(`ciclo-${endpoint}-${deployment}-0-`));

describe("deployments on the container target (podman)", { skip: unavailable, concurrency: false }, () => {
  let w: DeployWorld;
  let image: string;
  const versions: Record<string, string> = {};
  const endpoint = `ctr-${run}`;

  before(async () => {
    w = await startDeployWorld({ podman: { env }, drainSeconds: 5 });
    for (const [k, factor] of [["two", 2], ["three", 3]] as const) versions[k] = await w.register("scorer", await factorModel(w.dir, k, factor));
    // The image: ciclo's Node model server (built around one model; a deployment serves its own version in it).
    const built = await runCiclo(["models", "build-image", "-m", `${w.dir}/two`, "-t", `${TEST_REGISTRY}/ciclo-test/scorer-${run}:1`, "--base", NODE_BASE, "--push"]);
    assert.equal(built.code, 0, built.stderr);
    image = built.stdout.trim();
  });
  after(async () => {
    await w?.close();
    for (const line of podman("ps", "-a", "--filter", `label=${REPLICA_LABEL}`, "--format", "{{.Names}}").stdout.split("\n")) {
      if (line.startsWith(`ciclo-${endpoint}-`)) podman("rm", "-f", "-t", "0", line);
    }
    if (image) podman("rmi", "-f", image);
  });

  const health = () =>
    w.api("GET", `/endpoints/${endpoint}`).then((r) => r.json.endpoint.deployments.find((d: { name: string }) => d.name === "main")?.health as { ready_replicas: number; restarts: number; replicas: Array<{ pid?: number; last_exit?: string }> });

  test("a container deployment without an image is refused and nothing is created", async () => {
    assert.equal((await w.api("POST", "/endpoints", { name: endpoint })).status, 200);
    const r = await w.api("POST", `/endpoints/${endpoint}/deployments`, { name: "main", model_uri: `models:/scorer/${versions.two}`, target: "container" });
    assert.equal(r.status, 400);
    assert.equal(r.json.error_code, "INVALID_PARAMETER_VALUE");
    assert.match(r.json.message, /set env CICLO_IMAGE/);
    const flag = await w.api("POST", `/endpoints/${endpoint}/deployments`, { name: "main", model_uri: `models:/scorer/${versions.two}`, target: "container", env: { CICLO_IMAGE: "--privileged" } });
    assert.equal(flag.status, 400);
    assert.equal((await w.api("GET", `/endpoints/${endpoint}`)).json.endpoint.deployments.length, 0);
  });

  test("the endpoint answers through the container; a new version rolls to a new container of the same image", async () => {
    const r = await w.api("POST", `/endpoints/${endpoint}/deployments`, { name: "main", model_uri: `models:/scorer/${versions.two}`, target: "container", env: { CICLO_IMAGE: image } });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    await waitFor(health, (h) => h?.ready_replicas === 1, { what: "container replica ready", timeoutMs: 180_000, intervalMs: 200 });
    const a = await w.invoke(endpoint, 21);
    assert.equal(a.status, 200, JSON.stringify(a.json));
    assert.deepEqual(a.json, { predictions: [42] });
    assert.equal(a.headers.get("ciclo-deployment"), "main");
    const running = containersOf(endpoint, "main");
    assert.equal(running.length, 1, running.join("\n"));
    assert.match(running[0], / Up /);

    const u = await w.api("PATCH", `/endpoints/${endpoint}/deployments/main`, { model_uri: `models:/scorer/${versions.three}` });
    assert.equal(u.status, 200, JSON.stringify(u.json));
    await waitFor(() => w.invoke(endpoint, 5), (x) => x.status === 200 && x.json.predictions[0] === 15, { what: "the new version answers", timeoutMs: 180_000, intervalMs: 200 });
    // The old container drained and is gone (--rm): one left.
    await waitFor(async () => containersOf(endpoint, "main"), (c) => c.length === 1, { what: "one container after the roll", timeoutMs: 60_000, intervalMs: 200 });
  });

  test("a killed container is restarted with backoff and the endpoint answers again; its output is the deployment's log", async () => {
    const [name] = containersOf(endpoint, "main")[0].split(" ");
    assert.equal(podman("kill", name).status, 0);
    const h = await waitFor(health, (x) => x?.restarts === 1 && x.ready_replicas === 1, { what: "the container restarted", timeoutMs: 180_000, intervalMs: 200 });
    assert.ok(h.replicas[0].last_exit, JSON.stringify(h));
    const [again] = containersOf(endpoint, "main")[0].split(" ");
    assert.notEqual(again, name);
    const a = await w.invoke(endpoint, 2);
    assert.deepEqual(a.json, { predictions: [6] });
    const logs = await w.api("GET", `/endpoints/${endpoint}/deployments/main/logs?tail=500`);
    assert.equal(logs.status, 200);
    const text = JSON.stringify(logs.json);
    assert.match(text, /ciclo scoring server ready/);
    assert.match(text, /podman run/);
  });

  test("removing the deployment drains its container and removes it", async () => {
    assert.equal((await w.api("POST", `/endpoints/${endpoint}/traffic`, { traffic: { main: 0 } })).status, 200);
    const d = await w.api("DELETE", `/endpoints/${endpoint}/deployments/main`);
    assert.equal(d.status, 200, JSON.stringify(d.json));
    await waitFor(async () => containersOf(endpoint, "main"), (c) => c.length === 0, { what: "no container left", timeoutMs: 60_000, intervalMs: 200 });
  });

  test("a container a previous ciclo left running is found by its label and removed", async () => {
    // Two servers on one database each ran replica 0: only the record's owner's container is removed.
    const gone = "host-a:1:2:abcdef";
    const left = `ciclo-${endpoint}-old-0-abcdef`;
    const other = `ciclo-${endpoint}-old-0-fedcba`;
    for (const [name, owner] of [[left, gone], [other, "host-a:3:4:fedcba"]]) {
      const started = podman("run", "-d", "--name", name, "--label", `${REPLICA_LABEL}=${endpoint}/old/0@${owner}`, "--entrypoint", "/bin/sleep", image, "600");
      assert.equal(started.status, 0, started.stderr);
    }
    const runner = containerRunner({ env, stopSeconds: 0 });
    const rec = { endpoint, deployment: "old", index: 0, owner: gone, pid: 1, startedAt: Date.now() };
    assert.equal(await runner.stopStale(rec), true);
    assert.deepEqual(containersOf(endpoint, "old").map((l) => l.split(" ")[0]), [other]);
    // Nothing left: nothing to stop.
    assert.equal(await runner.stopStale(rec), false);
    podman("rm", "-f", "-t", "0", other);
  });
});
