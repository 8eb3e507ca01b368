/**
 * Test fixtures for image tests:
 * - the shared test registry and base images that `scripts/registry-test-server.sh`
 *   and `scripts/base-images.sh` start and push (CICLO_TEST_REGISTRY,
 *   CICLO_TEST_NODE_BASE; defaults are the scripts' own), with the Podman
 *   environment they configure;
 * - private registries a suite starts itself (Debian's docker-registry on a
 *   free loopback port) with htpasswd (basic) or token (bearer) auth.
 * A missing piece skips the suite with the reason printed, unless
 * CICLO_REQUIRE_ALL=1 (CI), where that is a failure.
 * @module
 */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.js";

const SCRIPT_DIR = process.env.CICLO_REGISTRY_DIR ?? "/tmp/ciclo-registry";

export const TEST_REGISTRY = process.env.CICLO_TEST_REGISTRY ?? "127.0.0.1:5870";
export const NODE_BASE = process.env.CICLO_TEST_NODE_BASE ?? `${TEST_REGISTRY}/base/node:${process.versions.node}`;

/** The Python base's tag (its name carries a hash of its package list: scripts/base-images.sh says which). */
export function pythonBase(): string {
  if (process.env.CICLO_TEST_PYTHON_BASE) return process.env.CICLO_TEST_PYTHON_BASE;
  const script = new URL("../../scripts/base-images.sh", import.meta.url).pathname;
  const r = spawnSync("bash", [script, "env"], { encoding: "utf8", env: { ...process.env, CICLO_TEST_REGISTRY: TEST_REGISTRY } });
  return /CICLO_TEST_PYTHON_BASE=(\S+)/.exec(r.stdout)?.[1] ?? `${TEST_REGISTRY}/base/python-sklearn:missing`;
}

/** The environment podman needs to use the scripts' private configuration. */
export function podmanEnv(): NodeJS.ProcessEnv {
  const etc = join(SCRIPT_DIR, "etc");
  return {
    ...process.env,
    CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? join(etc, "containers.conf"),
    CONTAINERS_STORAGE_CONF: process.env.CONTAINERS_STORAGE_CONF ?? join(etc, "storage.conf"),
    CONTAINERS_REGISTRIES_CONF: process.env.CONTAINERS_REGISTRIES_CONF ?? join(etc, "registries.conf"),
  };
}

/**
 * `podman` with the scripts' configuration, run to completion. Test files run side by side and share one podman
 * storage: images of different tests share layers (the runtime layer is the same for every model image), so one
 * file's `podman rmi -f` can remove a layer while another file's pull is writing it, and that pull fails with
 * "layer not known" (a containers/storage race, not ciclo's). Such a failure is retried, up to three tries.
 */
export function podmanSync(env: NodeJS.ProcessEnv, ...args: string[]): SpawnSyncReturns<string> {
  let r = spawnSync("podman", args, { env, encoding: "utf8" });
  for (let attempt = 1; attempt < 3 && r.status !== 0 && /layer not known|image not known|identifier is not an image/.test(r.stderr ?? ""); attempt++) {
    r = spawnSync("podman", args, { env, encoding: "utf8" });
  }
  return r;
}

/** Prints and returns the reason, or throws under CICLO_REQUIRE_ALL=1. */
export function skipReason(what: string, reason: string): string {
  const text = `${what}: ${reason}`;
  if (process.env.CICLO_REQUIRE_ALL === "1") throw new Error(`${text} (CICLO_REQUIRE_ALL=1 forbids skipping)`);
  console.log(`# SKIP ${text}`);
  return text;
}

export function hasCommand(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

async function answers(url: string, headers: Record<string, string> = {}): Promise<number | undefined> {
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(3000) });
    await res.body?.cancel();
    return res.status;
  } catch {
    return undefined;
  }
}

/** Why the shared registry + Node base (or `base`) cannot be used (undefined when they can). */
export async function testRegistryUnavailable(base = NODE_BASE): Promise<string | undefined> {
  if ((await answers(`http://${TEST_REGISTRY}/v2/`)) !== 200) {
    return skipReason("image tests", `no registry at http://${TEST_REGISTRY} (eval "$(bash scripts/registry-test-server.sh start)")`);
  }
  const [repoTag] = base.slice(TEST_REGISTRY.length + 1).split("@");
  const [repo, tag] = repoTag.split(":");
  const accept = { accept: "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json" };
  if ((await answers(`http://${TEST_REGISTRY}/v2/${repo}/manifests/${tag}`, accept)) !== 200) {
    return skipReason("image tests", `no base image ${base} (eval "$(bash scripts/base-images.sh)")`);
  }
  return undefined;
}

export function podmanUnavailable(): string | undefined {
  if (!hasCommand("podman") || !hasCommand("runc")) return skipReason("podman tests", "podman or runc is not installed (scripts/registry-test-server.sh install)");
  return undefined;
}

export interface PrivateRegistry {
  addr: string;
  dir: string;
  stop(): Promise<void>;
}

/** Starts docker-registry on a free loopback port with extra `auth:` YAML; resolves once /v2/ answers. */
export async function startPrivateRegistry(authYaml: string): Promise<PrivateRegistry> {
  const dir = mkdtempSync(join(tmpdir(), "ciclo-registry-"));
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  writeFileSync(
    join(dir, "config.yml"),
    `version: 0.1\nlog: {level: error}\nstorage:\n  filesystem: {rootdirectory: ${dir}/data}\nhttp: {addr: "${addr}"}\n${authYaml}`,
  );
  const child: ChildProcess = spawn("docker-registry", ["serve", join(dir, "config.yml")], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100; i++) {
    const status = await answers(`http://${addr}/v2/`);
    if (status === 200 || status === 401) return { addr, dir, stop };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`docker-registry did not start on ${addr}: ${stderr.slice(-500)}`);
}
