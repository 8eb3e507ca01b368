/**
 * The packages as a user installs them: `npm pack` of @ciclo/sdk (packages/sdk/) and of `ciclo`, each
 * tarball installed into a scratch project from a loopback registry that holds only the packages of
 * ciclo's package-lock.json (tarballs from the local npm cache) — no network: an HTTP(S) proxy that
 * refuses connections catches any download from anywhere else. Then the SDK's example logs a run to a
 * real server, and `npx ciclo server` answers.
 */
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, test } from "node:test";
import { linearModel } from "./testing/model-fixtures.js";
import { startLiveTrackingServer, type LiveTrackingServer } from "./testing/live-tracking-server.js";
import { startOfflineRegistry, type OfflineRegistry } from "./testing/offline-npm-registry.js";
import { tempDir } from "./testing/temp-dir.js";
import { TrackingClient } from "./sdk/index.js";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SDK_DIR = join(ROOT, "packages", "sdk");
const work = tempDir("ciclo-install-");
let registry: OfflineRegistry;

before(async () => {
  registry = await startOfflineRegistry(join(ROOT, "package-lock.json"));
});
after(async () => {
  await registry?.close();
  work.remove();
});

/** npm's environment for an offline install: the loopback registry, a fresh cache, a proxy that refuses every other host. */
function offlineEnv(cache: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const k of Object.keys(env)) if (/^npm_/i.test(k) && !(k in extra)) delete env[k];
  delete env.NODE_TEST_CONTEXT;
  const dead = "http://127.0.0.1:9";
  return {
    ...env,
    npm_config_registry: registry.url,
    npm_config_cache: cache,
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
    npm_config_proxy: dead,
    npm_config_https_proxy: dead,
    npm_config_noproxy: "127.0.0.1",
    HTTP_PROXY: dead,
    HTTPS_PROXY: dead,
    http_proxy: dead,
    https_proxy: dead,
    NO_PROXY: "127.0.0.1",
    no_proxy: "127.0.0.1",
  };
}

interface PackedFile {
  path: string;
  size: number;
}

/** `npm pack` into `dest`; returns the tarball path and the files it holds. */
async function pack(dir: string, dest: string): Promise<{ tarball: string; files: PackedFile[]; unpackedSize: number }> {
  const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", dest], { cwd: dir, maxBuffer: 64 << 20 });
  const [info] = JSON.parse(stdout.slice(stdout.indexOf("["))) as Array<{ filename: string; files: PackedFile[]; unpackedSize: number }>;
  return { tarball: join(dest, info!.filename), files: info!.files, unpackedSize: info!.unpackedSize };
}

function scratchProject(name: string): string {
  const dir = join(work.path, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, private: true, type: "module" }));
  return dir;
}

function duBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += duBytes(p);
    else if (e.isFile()) total += statSync(p).size;
  }
  return total;
}

function filesUnder(dir: string, match: RegExp, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) filesUnder(p, match, out);
    else if (match.test(e.name)) out.push(p);
  }
  return out;
}

/** What a package must not ship: tests, TypeScript sources beside the build, source maps, build state. */
const NOT_RUNTIME = /(^|\/)(src|testing)\/|\.test\.|\.map$|\.tsbuildinfo$|(?<!\.d)\.ts$/;

test("@ciclo/sdk: the tarball ships only the build; it installs offline without native code and its example logs a run", async () => {
  const packed = await pack(SDK_DIR, work.path);
  const shipped = packed.files.map((f) => f.path);
  assert.deepEqual(shipped.filter((p) => NOT_RUNTIME.test(p)), []);
  assert.ok(shipped.includes("dist/sdk/index.js") && shipped.includes("dist/sdk/index.d.ts") && shipped.includes("examples/train.mjs"));
  // No server, store, CLI or HTTP-route code in the client.
  assert.deepEqual(shipped.filter((p) => /^dist\/(server|store|cli|serving|deployments|jobs|monitoring|projects|mlflow-import)\/|\/http\//.test(p)), []);
  const sdkVersion = (JSON.parse(readFileSync(join(SDK_DIR, "package.json"), "utf8")) as { version: string }).version;
  const cicloVersion = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
  assert.equal(sdkVersion, cicloVersion, "@ciclo/sdk is released with ciclo, at the same version");

  const app = scratchProject("sdk-app");
  const t0 = performance.now();
  await run("npm", ["install", packed.tarball], { cwd: app, env: offlineEnv(join(work.path, "cache-sdk")) });
  const installMs = performance.now() - t0;
  const modules = join(app, "node_modules");
  assert.deepEqual(filesUnder(modules, /\.node$/), [], "no native addon");
  assert.deepEqual(readdirSync(modules).filter((n) => !n.startsWith(".")).sort(), ["@ciclo", "pure-rand", "typebox", "yaml"]);
  const size = duBytes(modules);
  assert.ok(size < 10e6, `node_modules is ${size} bytes`);
  console.log(`# @ciclo/sdk: tarball ${(statSync(packed.tarball).size / 1e3).toFixed(0)} kB, install ${(installMs / 1000).toFixed(1)} s, node_modules ${(size / 1e6).toFixed(1)} MB`);

  const live: LiveTrackingServer = await startLiveTrackingServer();
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, CICLO_TRACKING_URI: live.url, EXPERIMENT: "from-the-tarball", EPOCHS: "40" };
    delete env.NODE_TEST_CONTEXT;
    const { stdout } = await run(process.execPath, [join(modules, "@ciclo", "sdk", "examples", "train.mjs")], { cwd: app, env });
    const out = JSON.parse(stdout) as { runId: string; loss: number; errors: number };
    assert.equal(out.errors, 0);
    const client = new TrackingClient({ trackingUri: live.url });
    const logged = await client.getRun(out.runId);
    assert.equal(logged.info.status, "FINISHED");
    assert.equal(logged.data.params.find((p) => p.key === "epochs")?.value, "40");
    const history = await client.getAllMetricHistory(out.runId, "loss");
    assert.equal(history.length, 40);
    assert.equal(history.at(-1)!.value, out.loss);
    assert.ok(history[0]!.value > out.loss, "the loss went down");
  } finally {
    await live.close();
  }
});

/**
 * `npx ciclo server --port 0` in `app`, resolved once it logs its URL. npx runs the server as its own child, so
 * both run in a process group of their own and stop together.
 */
async function npxCicloServer(app: string, env: NodeJS.ProcessEnv): Promise<{ url: string; stop(): Promise<void> }> {
  const args = ["ciclo", "server", "--port", "0", "--backend-store-uri", `sqlite:///${join(app, "ciclo.db")}`, "--artifacts-destination", join(app, "artifacts")];
  const proc = spawn("npx", ["--no-install", ...args], { cwd: app, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  let stderr = "";
  proc.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const stop = async () => {
    try {
      process.kill(-proc.pid!, "SIGTERM");
    } catch {
      // already gone
    }
    await exited;
  };
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout }).on("line", (line) => {
      try {
        const log = JSON.parse(line) as { msg?: string; url?: string };
        if (log.msg === "ciclo server listening" && log.url) resolve(log.url);
      } catch {
        // not a log line
      }
    });
    void exited.then(() => reject(new Error(`npx ciclo server exited before listening:\n${stderr}`)));
  }).catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  return { url, stop };
}

/**
 * better-sqlite3 installs through prebuild-install, which looks for a prebuilt binary in a local folder before
 * its download (and compiles SQLite with node-gyp when neither works, ~80 s). The folder gets the binary this
 * checkout built, as an offline mirror would hold it.
 */
async function localSqlitePrebuild(dir: string): Promise<string> {
  const pkgDir = join(ROOT, "node_modules", "better-sqlite3");
  const { version } = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")) as { version: string };
  mkdirSync(dir, { recursive: true });
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  await run("tar", ["czf", join(dir, name), "-C", pkgDir, "build/Release/better_sqlite3.node"]);
  return dir;
}

test("ciclo: the tarball ships the build without tests or sources; it installs offline without onnxruntime-node or the cloud SDKs, and `npx ciclo server` answers", async () => {
  const packed = await pack(ROOT, work.path);
  const shipped = packed.files.map((f) => f.path);
  assert.deepEqual(shipped.filter((p) => NOT_RUNTIME.test(p)), []);
  for (const f of ["bin/ciclo.js", "bin/cli-entry.js", "dist/cli/main.js", "dist/bundle/main.js", "dist/sdk/index.d.ts", "dist/ui/index.html", "package.json", "README.md"]) assert.ok(shipped.includes(f), f);

  const app = scratchProject("server-app");
  const prebuilds = await localSqlitePrebuild(join(work.path, "prebuilds"));
  const t0 = performance.now();
  await run("npm", ["install", packed.tarball], {
    cwd: app,
    env: offlineEnv(join(work.path, "cache-ciclo"), { npm_config_better_sqlite3_local_prebuilds: prebuilds }),
    maxBuffer: 16 << 20,
  });
  const installMs = performance.now() - t0;
  const modules = join(app, "node_modules");
  for (const heavy of ["onnxruntime-node", "@aws-sdk/client-s3", "@azure/storage-blob", "mysql2", "typescript", "vite"]) {
    assert.ok(!existsSync(join(modules, heavy)), `${heavy} is not installed`);
  }
  const size = duBytes(modules);
  console.log(`# ciclo: tarball ${(statSync(packed.tarball).size / 1e6).toFixed(1)} MB, install ${(installMs / 1000).toFixed(1)} s, node_modules ${(size / 1e6).toFixed(0)} MB`);

  const server = await npxCicloServer(app, offlineEnv(join(work.path, "cache-ciclo")));
  try {
    assert.equal((await fetch(`${server.url}/health`)).status, 200);
    const ui = await fetch(`${server.url}/`);
    assert.match(await ui.text(), /<div id="root">|<script type="module"/);
    const created = await fetch(`${server.url}/api/2.0/mlflow/experiments/create`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "installed" }),
    });
    assert.equal(created.status, 200);
  } finally {
    await server.stop();
  }

  // An ONNX model without onnxruntime-node: an error that says what to install.
  const model = await linearModel(work.path);
  writeFileSync(
    join(app, "onnx.mjs"),
    `import { loadModel } from "ciclo";
try { await loadModel(${JSON.stringify(model)}); console.log("loaded"); }
catch (e) { console.log(e.message); }
`,
  );
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const { stdout } = await run(process.execPath, ["onnx.mjs"], { cwd: app, env });
  assert.match(stdout, /npm i onnxruntime-node/);
});
