/**
 * build-docker's context: the files an image needs (Dockerfile on a Node base,
 * non-root user, HEALTHCHECK on /ping, port 8080; a lock with the native
 * dependency pinned; the model), and its entry point started with plain
 * `node` (no tsx) scores requests. The CLI without a working builder writes
 * the context, says how to build it and exits 0.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { runCiclo } from "../testing/child-server.js";
import { FIXTURE_EXPECTED, linearModel } from "../testing/model-fixtures.js";
import { tempDir } from "../testing/temp-dir.js";
import { writeDockerContext } from "./docker-context.js";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const expected = JSON.parse(readFileSync(FIXTURE_EXPECTED, "utf8"))["linear-regressor"] as { X: number[][]; variable: number[] };
const tmp = tempDir("ciclo-docker-ctx-");
let model: string;
let ctx: string;

before(async () => {
  model = await linearModel(tmp.path);
  ctx = join(tmp.path, "ctx");
  await writeDockerContext({ modelPath: model, outputDir: ctx, modelName: "linear", modelVersion: "7" });
});
after(() => tmp.remove());

test("the context: Dockerfile, pinned lock of the one native dependency, bundled app, the model", () => {
  const df = readFileSync(join(ctx, "Dockerfile"), "utf8");
  assert.match(df, /^FROM node:20/m);
  assert.match(df, /^RUN npm ci --omit=dev/m);
  assert.match(df, /^USER 10001:10001$/m);
  assert.match(df, /^EXPOSE 8080$/m);
  assert.match(df, /^HEALTHCHECK .*\n\s+CMD \["node", "-e", "fetch\('http:\/\/127\.0\.0\.1:8080\/ping'\)/m);
  assert.match(df, /^ENTRYPOINT \["node", "\/opt\/ciclo\/app\/server\.mjs"\]$/m);
  assert.match(df, /CICLO_MODEL_NAME="linear"/);
  assert.match(df, /CICLO_MODEL_VERSION="7"/);
  const pkg = JSON.parse(readFileSync(join(ctx, "package.json"), "utf8")) as { dependencies: Record<string, string> };
  const repoLock = JSON.parse(readFileSync(join(REPO, "package-lock.json"), "utf8")) as { packages: Record<string, { version: string }> };
  assert.deepEqual(pkg.dependencies, { "onnxruntime-node": repoLock.packages["node_modules/onnxruntime-node"].version });
  const lock = JSON.parse(readFileSync(join(ctx, "package-lock.json"), "utf8")) as { lockfileVersion: number; packages: Record<string, Record<string, unknown>> };
  assert.equal(lock.lockfileVersion, 3);
  assert.deepEqual((lock.packages[""] as { dependencies: unknown }).dependencies, pkg.dependencies);
  for (const name of ["onnxruntime-node", "onnxruntime-common"]) {
    const entry = lock.packages[`node_modules/${name}`];
    assert.ok(entry, name);
    assert.equal(entry.version, repoLock.packages[`node_modules/${name}`].version);
    assert.ok(typeof entry.integrity === "string");
  }
  for (const [key, entry] of Object.entries(lock.packages)) assert.ok(!entry.dev && !entry.devOptional, `${key} would be skipped by --omit=dev`);
  assert.ok(existsSync(join(ctx, "app", "server.mjs")));
  assert.ok(existsSync(join(ctx, "app", "inference-worker.mjs")));
  assert.ok(existsSync(join(ctx, "model", "MLmodel")));
  assert.match(readFileSync(join(ctx, ".npmrc"), "utf8"), /onnxruntime-node-install-cuda=skip/);
});

test("the entry point runs with plain node (no tsx) and scores", async () => {
  symlinkSync(join(REPO, "node_modules"), join(ctx, "node_modules")); // what `npm ci` gives the image
  const env: NodeJS.ProcessEnv = { ...process.env, HOST: "127.0.0.1", PORT: "0", CICLO_MODEL_PATH: join(ctx, "model"), CICLO_MODEL_NAME: "linear", CICLO_MODEL_VERSION: "7" };
  delete env.NODE_OPTIONS;
  delete env.NODE_TEST_CONTEXT;
  const proc = spawn(process.execPath, [join(ctx, "app", "server.mjs")], { cwd: ctx, env, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  proc.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => proc.once("exit", (c) => r(c)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: proc.stdout }).on("line", (l) => {
        const line = JSON.parse(l) as { msg: string; url?: string };
        if (line.msg === "ciclo scoring server ready") resolve(line.url!);
      });
      void exited.then((c) => reject(new Error(`exited ${c}: ${stderr}`)));
    });
    assert.equal((await fetch(`${url}/ping`)).status, 200);
    const r = await fetch(`${url}/invocations`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ inputs: expected.X }) });
    assert.equal(r.status, 200);
    const got = ((await r.json()) as { predictions: { variable: number[][] } }).predictions.variable.map((v) => v[0]);
    got.forEach((v, i) => assert.ok(Math.abs(v - expected.variable[i]) < 1e-4));
    const meta = (await (await fetch(`${url}/v2/models/linear/versions/7`)).json()) as { platform: string };
    assert.equal(meta.platform, "onnx_onnxv1");
    proc.kill("SIGTERM");
    assert.equal(await exited, 0);
  } finally {
    proc.kill("SIGKILL");
  }
});

test("ciclo models build-docker without a working builder: writes the context, says how to build, exits 0", async () => {
  const out = join(tmp.path, "cli-ctx");
  const r = await runCiclo(["models", "build-docker", "-m", model, "-n", "linear:7", "--output-dir", out], { CICLO_CONTAINER_BUILDER: "none" });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), out);
  assert.match(r.stderr, new RegExp(`docker build -t linear:7 ${out}`));
  assert.ok(existsSync(join(out, "Dockerfile")));
  const again = await runCiclo(["models", "build-docker", "-m", model, "--output-dir", out], { CICLO_CONTAINER_BUILDER: "none" });
  assert.equal(again.code, 1);
  assert.match(again.stderr, /not empty/);
});
