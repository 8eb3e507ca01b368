/**
 * The bundle of the built CLI (`scripts/bundle-cli.mjs` → dist/bundle/), which bin/ciclo.js and `npm start`
 * run when it is current: the choice between it and dist/cli/main.js, and the bundled server doing what the
 * unbundled one does (paths beside the code, every command's chunk loading, no machine path inside).
 * The second test builds what is stale first (`node scripts/build-if-stale.mjs`: tsc, the bundle, the UI),
 * as `npm start` does.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { callApi, runCiclo, startChildServer } from "../testing/child-server.js";
import { tempDir } from "../testing/temp-dir.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
type Entry = (root?: URL, env?: NodeJS.ProcessEnv) => URL | undefined;
// A computed specifier: bin/ is plain JavaScript outside the TypeScript project.
const entryModule = pathToFileURL(join(ROOT, "bin", "cli-entry.js")).href;
const { builtCliEntry } = (await import(entryModule)) as { builtCliEntry: Entry };

const work = tempDir("ciclo-cli-bundle-");
after(() => work.remove());

test("bin/ciclo.js runs the bundle only when it is at least as new as tsc's last build, and never with CICLO_BUNDLE=0", () => {
  const root = join(work.path, "pkg");
  mkdirSync(join(root, "dist", "cli"), { recursive: true });
  const rootUrl = pathToFileURL(`${root}/`);
  const built = pathToFileURL(join(root, "dist", "cli", "main.js")).href;
  const bundle = pathToFileURL(join(root, "dist", "bundle", "main.js")).href;
  const at = (rel: string, seconds: number) => utimesSync(join(root, rel), seconds, seconds);
  const pick = (env: NodeJS.ProcessEnv = {}) => builtCliEntry(rootUrl, env)?.href;

  assert.equal(pick(), undefined, "no build: the caller runs the source");
  writeFileSync(join(root, "dist", "cli", "main.js"), "");
  assert.equal(pick(), built, "no bundle");
  mkdirSync(join(root, "dist", "bundle"));
  writeFileSync(join(root, "dist", "bundle", "main.js"), "");
  assert.equal(pick(), bundle, "an installed package: a bundle and no .tsbuildinfo");
  writeFileSync(join(root, "dist", ".tsbuildinfo"), "");
  at("dist/.tsbuildinfo", 2_000);
  at("dist/bundle/main.js", 1_000);
  assert.equal(pick(), built, "tsc emitted after the bundle was made: the bundle is stale");
  at("dist/bundle/main.js", 3_000);
  assert.equal(pick(), bundle, "bundled after tsc's last emit");
  assert.equal(pick({ CICLO_BUNDLE: "0" }), built);
});

test("the bundled CLI serves the API and the UI from the paths dist/ has, loads every command, and holds no machine path", async () => {
  execFileSync(process.execPath, [join(ROOT, "scripts", "build-if-stale.mjs")], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  const entry = builtCliEntry(pathToFileURL(`${ROOT}/`), {});
  assert.equal(entry?.href, pathToFileURL(join(ROOT, "dist", "bundle", "main.js")).href, "a current build runs the bundle");

  // The chunks refer to ciclo's files relative to themselves (and to packages by name): the tree may move.
  const chunks = readdirSync(join(ROOT, "dist", "bundle")).filter((f) => f.endsWith(".js"));
  assert.ok(chunks.length > 10, `one chunk per command and shared chunks, saw ${chunks.length}`);
  for (const f of chunks) assert.ok(!readFileSync(join(ROOT, "dist", "bundle", f), "utf8").includes(ROOT), `${f} holds the checkout's path`);

  const env = { CICLO_FROM_SOURCE: "0" };
  // --help loads every command's chunk: one that fails to evaluate in bundled form fails here.
  const help = await runCiclo(["--help"], env);
  assert.equal(help.code, 0, help.stderr);
  for (const command of ["server", "models", "deployments", "gateway", "import-mlflow", "reproduce", "sweep", "monitor", "image"]) {
    assert.match(help.stdout, new RegExp(`^  ${command}\\b`, "m"), `--help lists ${command}`);
  }

  const dir = join(work.path, "server");
  const server = await startChildServer(`sqlite:///${join(dir, "ciclo.db")}`, join(dir, "artifacts"), { env });
  try {
    // The version comes from package.json, read relative to the code.
    const version = await fetch(`${server.url}/version`);
    assert.equal((await version.text()).trim(), (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version);
    const exp = await callApi(server.url, "POST", "experiments/create", { name: "bundled" });
    assert.equal(exp.status, 200, JSON.stringify(exp.body));
    const run = await callApi(server.url, "POST", "runs/create", { experiment_id: exp.body.experiment_id, start_time: 1 });
    const runId = (run.body.run as { info: { run_id: string } }).info.run_id;
    const logged = await callApi(server.url, "POST", "runs/log-metric", { run_id: runId, key: "loss", value: 0.5, timestamp: 2, step: 3 });
    assert.equal(logged.status, 200, JSON.stringify(logged.body));
    const history = await callApi(server.url, "GET", `metrics/get-history?run_id=${runId}&metric_key=loss`);
    assert.deepEqual(history.body.metrics, [{ key: "loss", value: 0.5, timestamp: 2, step: 3 }]);
    const bad = await callApi(server.url, "POST", "runs/log-metric", { run_id: runId, key: "loss" });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error_code, "INVALID_PARAMETER_VALUE");
    // The UI is found beside the code (dist/ui) and served with its security headers.
    const ui = await fetch(`${server.url}/`);
    assert.equal(ui.status, 200);
    assert.match(ui.headers.get("content-security-policy") ?? "", /default-src 'self'/);
    assert.match(await ui.text(), /<div id="root">/);
  } finally {
    server.proc.kill("SIGTERM");
    const exit = await server.exited;
    assert.equal(exit.code, 0, `the bundled server shuts down cleanly on SIGTERM: ${server.stderr()}`);
  }
});

test("the bundled server loads the S3 repository it imports on demand (a computed specifier, resolved in dist/)", async (t) => {
  if (!builtCliEntry(pathToFileURL(`${ROOT}/`), {})?.href.endsWith("/bundle/main.js")) throw new Error("the previous test builds the bundle");
  try {
    await import("@aws-sdk/client-s3");
  } catch {
    // An optional package: without it the server says so, which is not what this test is about.
    if (process.env.CICLO_REQUIRE_ALL === "1") throw new Error("@aws-sdk/client-s3 is not installed (CICLO_REQUIRE_ALL=1 forbids skipping)");
    t.skip("@aws-sdk/client-s3 is not installed");
    return;
  }
  // A stand-in endpoint that only records that the S3 client connected: the module loaded and sent its request.
  let connected = 0;
  const endpoint = createServer((socket) => {
    connected++;
    socket.destroy();
  }).listen(0, "127.0.0.1");
  await once(endpoint, "listening");
  const port = (endpoint.address() as { port: number }).port;
  const dir = join(work.path, "s3");
  const server = await startChildServer(`sqlite:///${join(dir, "ciclo.db")}`, "s3://bucket/prefix", {
    env: {
      CICLO_FROM_SOURCE: "0",
      AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
      // CI exports radosgw's endpoint under MLflow's variable, which takes precedence over AWS_ENDPOINT_URL.
      MLFLOW_S3_ENDPOINT_URL: `http://127.0.0.1:${port}`,
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
      AWS_REGION: "us-east-1",
      AWS_MAX_ATTEMPTS: "1",
    },
  });
  try {
    const res = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts?path=x`);
    const body = (await res.json()) as { message?: string };
    assert.doesNotMatch(String(body.message), /not installed/);
    assert.ok(connected > 0, `the S3 client reached the endpoint (answer ${res.status}: ${JSON.stringify(body)})`);
  } finally {
    server.proc.kill("SIGTERM");
    await server.exited;
    endpoint.close();
  }
});
