/**
 * The SDK's artifacts against a live server: every log call round-trips
 * through the proxy, downloads of run roots, folders, files and URIs, the
 * multipart path, retried transfers that reopen their source, direct `file:`
 * roots that never touch the server's artifact routes, and S3 roots written
 * straight to the bucket.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, test } from "node:test";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { resolveServerConfig } from "../server/config.js";
import { startServer } from "../server/main.js";
import { InvalidParameterValueError, ResourceDoesNotExistError } from "../shared/errors.js";
import { startFaultProxy, type FaultProxy } from "../testing/fault-proxy.js";
import { startLiveTrackingServer, type LiveTrackingServer } from "../testing/live-tracking-server.js";
import { createTestBucket, s3Unavailable, type S3TestBucket } from "../testing/s3-fixture.js";
import { tempDir } from "../testing/temp-dir.js";
import { ArtifactClient } from "./artifact-client.js";
import { Ciclo } from "./fluent-session.js";
import { TrackingClient } from "./tracking-client.js";
import { serverModules } from "../modules.js";

const PNG = Buffer.from("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a3e0c3b70000000049454e44ae426082", "hex");
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
/** Bytes that are not all equal, so an offset error cannot go unnoticed. */
const pattern = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + (i >> 10)) & 0xff));
const hitsOf = (proxy: FaultProxy, part: string) => [...proxy.hits].filter(([p]) => p.includes(part)).reduce((n, [, c]) => n + c, 0);
/** Every file under `dir`, relative, sorted (temp files included, so leftovers show). */
function tree(dir: string, prefix = ""): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? tree(dir, join(prefix, e.name)) : [join(prefix, e.name)]))
    .sort();
}

describe("artifact client", () => {
  let live: LiveTrackingServer;
  let proxy: FaultProxy;
  let client: TrackingClient;
  const work = tempDir("ciclo-sdk-artifacts-");
  const make = (opts: ConstructorParameters<typeof Ciclo>[0] = {}) =>
    new Ciclo({ trackingUri: proxy.url, env: {}, contextCapture: false, retry: { initialDelayMs: 1, maxDelayMs: 5 }, ...opts });

  before(async () => {
    live = await startLiveTrackingServer();
    proxy = await startFaultProxy(live.url);
    client = new TrackingClient({ trackingUri: live.url, env: {} });
  });
  after(async () => {
    await proxy.close();
    await live.close();
    work.remove();
  });

  test("log calls round-trip through the proxy; downloads of the root, a runs:/ folder, a file and an mlflow-artifacts:/ URI", async () => {
    const c = make();
    const run = await c.startRun({ runName: "files" });
    const src = join(work.path, "src");
    mkdirSync(join(src, "sub", "deep"), { recursive: true });
    writeFileSync(join(src, "a.txt"), "alpha");
    writeFileSync(join(src, "sub", "b.bin"), pattern(70_000));
    writeFileSync(join(src, "sub", "deep", "c.json"), "{}");
    writeFileSync(join(work.path, "model.onnx"), pattern(1234));
    assert.deepEqual(await c.logArtifacts(src, "data"), ["data/a.txt", "data/sub/b.bin", "data/sub/deep/c.json"]);
    assert.equal(await c.logArtifact(join(work.path, "model.onnx"), "model"), "model/model.onnx");
    await c.logText("trained for 3 epochs\n", "notes/summary.txt");
    await c.logDict({ lr: 0.1, layers: [4, 2] }, "config.json");
    await c.logDict({ lr: 0.1 }, "config.yaml");
    await c.logImage(PNG, "plots/pixel.png");
    await c.logFigure(PNG, "plots/figure.png");
    await assert.rejects(c.logImage(Buffer.from("GIF89a..."), "plots/x.png"), InvalidParameterValueError);
    await assert.rejects(c.logArtifact(join(work.path, "model.onnx"), "../escape"), /Invalid path/);
    await c.endRun();

    assert.deepEqual((await c.listArtifacts(run.runId)).map((f) => [f.path, f.isDir]), [
      ["config.json", false], ["config.yaml", false], ["data", true], ["model", true], ["notes", true], ["plots", true],
    ]);
    assert.deepEqual(await c.listArtifacts(run.runId, "model"), [{ path: "model/model.onnx", isDir: false, fileSize: 1234 }]);

    const all = await c.downloadArtifacts({ runId: run.runId }, join(work.path, "dl-all"));
    assert.equal(all, join(work.path, "dl-all"));
    assert.deepEqual(tree(all), [
      "config.json", "config.yaml", "data/a.txt", "data/sub/b.bin", "data/sub/deep/c.json", "model/model.onnx", "notes/summary.txt", "plots/figure.png", "plots/pixel.png",
    ]);
    assert.equal(sha(readFileSync(join(all, "data/sub/b.bin"))), sha(pattern(70_000)));
    assert.deepEqual(JSON.parse(readFileSync(join(all, "config.json"), "utf8")), { lr: 0.1, layers: [4, 2] });
    assert.equal(readFileSync(join(all, "config.yaml"), "utf8"), "lr: 0.1\n");
    assert.deepEqual(readFileSync(join(all, "plots/pixel.png")), PNG);

    const sub = await c.downloadArtifacts(`runs:/${run.runId}/data/sub`, join(work.path, "dl-sub"));
    assert.equal(sub, join(work.path, "dl-sub", "sub"));
    assert.deepEqual(tree(sub), ["b.bin", "deep/c.json"]);
    const one = await c.downloadArtifacts(`runs:/${run.runId}/notes/summary.txt`, join(work.path, "dl-one"));
    assert.equal(readFileSync(one, "utf8"), "trained for 3 epochs\n");
    const uri = (await client.getRun(run.runId)).info.artifactUri;
    assert.match(uri, /^mlflow-artifacts:/);
    const viaUri = await c.downloadArtifacts(`${uri}/model`, join(work.path, "dl-uri"));
    assert.deepEqual(readFileSync(join(viaUri, "model.onnx")), pattern(1234));
    await assert.rejects(c.downloadArtifacts(`runs:/${run.runId}/nothing-here`, join(work.path, "dl-none")), ResourceDoesNotExistError);
    assert.deepEqual(readdirSync(join(work.path, "dl-none")), [], "a failed download leaves no file, not even a temp one");
  });

  test("above the threshold a file goes up in parts through mpu/*; the bytes come back identical", async () => {
    const c = make({ artifacts: { multipartThreshold: 8 * 1024 * 1024, multipartChunkSize: 5 * 1024 * 1024 } });
    const run = await c.startRun();
    const big = pattern(12 * 1024 * 1024 + 17);
    const small = pattern(1024 * 1024);
    writeFileSync(join(work.path, "big.bin"), big);
    writeFileSync(join(work.path, "small.bin"), small);
    const before = { create: hitsOf(proxy, "/mpu/create/"), complete: hitsOf(proxy, "/mpu/complete/") };
    await c.logArtifact(join(work.path, "big.bin"), "weights");
    await c.logArtifact(join(work.path, "small.bin"), "weights");
    await c.endRun();
    assert.deepEqual([hitsOf(proxy, "/mpu/create/") - before.create, hitsOf(proxy, "/mpu/complete/") - before.complete], [1, 1], "only the big file in parts");
    assert.equal(hitsOf(proxy, `${run.runId}/artifacts/weights/big.bin`), 0, "no single PUT of the big file");
    const dl = await c.downloadArtifacts(`runs:/${run.runId}/weights`, join(work.path, "dl-mpu"));
    assert.equal(sha(readFileSync(join(dl, "big.bin"))), sha(big));
    assert.equal(sha(readFileSync(join(dl, "small.bin"))), sha(small));
  });

  test("a failed upload or download is retried with its source reopened, and leaves no temp file", async () => {
    const c = make();
    const run = await c.startRun();
    const body = pattern(300_000);
    writeFileSync(join(work.path, "retry.bin"), body);
    proxy.failNext("/artifacts/retry.bin", "503", 1);
    proxy.failNext("/artifacts/retry.bin", "drop-before", 1);
    const seen = hitsOf(proxy, "/artifacts/retry.bin");
    await c.logArtifact(join(work.path, "retry.bin"));
    assert.equal(hitsOf(proxy, "/artifacts/retry.bin") - seen, 3);
    proxy.failNext("/artifacts/retry.bin", "503", 2);
    const dest = join(work.path, "dl-retry");
    await c.downloadArtifacts(`runs:/${run.runId}/retry.bin`, dest);
    assert.deepEqual(tree(dest), ["retry.bin"]);
    assert.equal(sha(readFileSync(join(dest, "retry.bin"))), sha(body));
    await c.endRun();
  });

  test("a file: root is written and read by the client itself, never through the server's artifact routes", async () => {
    const root = join(work.path, "direct-root");
    const expId = await client.createExperiment("direct-file", { artifactLocation: pathToFileURL(root).href });
    const c = make();
    const run = await c.startRun({ experimentId: expId });
    const seen = hitsOf(proxy, "mlflow-artifacts");
    await c.logText("direct", "out/d.txt");
    await c.logArtifacts(join(work.path, "src"), "src");
    await c.endRun();
    const uri = (await client.getRun(run.runId)).info.artifactUri;
    assert.ok(uri.startsWith(pathToFileURL(root).href), uri);
    assert.equal(readFileSync(new URL(`${uri}/out/d.txt`), "utf8"), "direct");
    const dl = await c.downloadArtifacts({ runId: run.runId, path: "src" }, join(work.path, "dl-direct"));
    assert.deepEqual(tree(dl), ["a.txt", "sub/b.bin", "sub/deep/c.json"]);
    assert.equal(hitsOf(proxy, "mlflow-artifacts") - seen, 0);
    // A reader on a machine without the folder gets the files through the server (`artifacts/list`, `/get-artifact`).
    const elsewhere = new ArtifactClient({ trackingUri: live.url, env: {} });
    (elsewhere as unknown as { roots: Map<string, Promise<string>> }).roots.set(run.runId, Promise.resolve("file:///nonexistent/ciclo-root"));
    assert.deepEqual((await elsewhere.listArtifacts(run.runId)).map((f) => f.path), ["out", "src"]);
    const served = await elsewhere.downloadArtifacts(`runs:/${run.runId}/out`, join(work.path, "dl-served"));
    assert.equal(readFileSync(join(served, "d.txt"), "utf8"), "direct");
  });
});

describe("artifact client with an s3: root", async () => {
  const skip = await s3Unavailable();
  let live: LiveTrackingServer;
  let bucket: S3TestBucket;
  const work = tempDir("ciclo-sdk-s3-");

  before(async () => {
    if (skip) return;
    live = await startLiveTrackingServer();
    bucket = await createTestBucket();
  });
  after(async () => {
    if (skip) return;
    await bucket.drop();
    await live.close();
    work.remove();
  });

  test("files go straight to the bucket with the client's own S3 settings, and come back", { skip }, async () => {
    const client = new TrackingClient({ trackingUri: live.url, env: {} });
    const expId = await client.createExperiment("s3-direct", { artifactLocation: `s3://${bucket.bucket}/runs` });
    const c = new Ciclo({ trackingUri: live.url, env: bucket.env, contextCapture: false });
    const run = await c.startRun({ experimentId: expId });
    writeFileSync(join(work.path, "w.bin"), pattern(200_000));
    await c.logArtifact(join(work.path, "w.bin"), "model");
    await c.logText("hello s3", "notes.txt");
    await c.endRun();
    const listed = await bucket.client.send(new ListObjectsV2Command({ Bucket: bucket.bucket, Prefix: "runs/" }));
    assert.deepEqual((listed.Contents ?? []).map((o) => o.Key!.split("/artifacts/")[1]).sort(), ["model/w.bin", "notes.txt"]);
    const dl = await c.downloadArtifacts(`runs:/${run.runId}/model/w.bin`, join(work.path, "dl"));
    assert.equal(sha(readFileSync(dl)), sha(pattern(200_000)));
    assert.ok(!existsSync(join(work.path, "dl", "notes.txt")));
  });

  test("with an S3 artifacts destination, multipart parts go to presigned S3 URLs (no auth header) and assemble", { skip }, async () => {
    // The server's S3 repository reads its settings from its process's environment: this test's process.
    Object.assign(process.env, bucket.env);
    const config = resolveServerConfig({
      backendStoreUri: `sqlite:///${join(work.path, "s3dest.db")}`,
      artifactsDestination: `s3://${bucket.bucket}/dest`,
      host: "127.0.0.1",
      port: 0,
      logLevel: "silent",
    });
    const server = await startServer(config, { modules: serverModules() });
    try {
      const a = new ArtifactClient({ trackingUri: server.url, env: {}, token: "t0k" }, { multipartThreshold: 6 * 1024 * 1024, multipartChunkSize: 5 * 1024 * 1024 });
      const run = await a.tracking.createRun({});
      const big = pattern(11 * 1024 * 1024 + 3);
      writeFileSync(join(work.path, "s3big.bin"), big);
      await a.logArtifact(run.info.runId, join(work.path, "s3big.bin"), "m");
      const keys = await bucket.client.send(new ListObjectsV2Command({ Bucket: bucket.bucket, Prefix: "dest/" }));
      assert.deepEqual((keys.Contents ?? []).map((o) => [o.Key!.split("/artifacts/")[1], o.Size]), [["m/s3big.bin", big.length]]);
      const dl = await a.downloadArtifacts(`runs:/${run.info.runId}/m/s3big.bin`, join(work.path, "dl-s3mpu"));
      assert.equal(sha(readFileSync(dl)), sha(big));
    } finally {
      await server.close();
    }
  });
});
