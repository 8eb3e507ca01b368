import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { MlflowError } from "../shared/errors.js";
import { snapshotTree } from "../testing/test-app.js";
import { tempDir } from "../testing/temp-dir.js";
import { runArtifactRepositoryContract } from "./contract/artifact-repository.contract.js";
import { LocalArtifactRepository } from "./local-artifact-repository.js";

runArtifactRepositoryContract("local folder", async () => {
  const dir = tempDir("ciclo-local-contract-");
  return { repo: new LocalArtifactRepository(join(dir.path, "root")), cleanup: async () => dir.remove() };
});

const text = (s: string) => Readable.from([Buffer.from(s)]);
const readAll = async (r: Readable) => Buffer.concat(await r.toArray()).toString();

async function rejectsCode(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof MlflowError, String(err));
    assert.equal(err.errorCode, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

describe("LocalArtifactRepository: symlinks never lead out of the root", () => {
  const dir = tempDir("ciclo-local-links-");
  const root = join(dir.path, "root");
  const outside = join(dir.path, "outside");
  let repo: LocalArtifactRepository;

  before(() => {
    mkdirSync(join(root, "inside-dir"), { recursive: true });
    mkdirSync(join(outside, "victim"), { recursive: true });
    writeFileSync(join(outside, "secret.txt"), "root:x:0:0\n");
    writeFileSync(join(outside, "victim", "keep.txt"), "keep");
    writeFileSync(join(root, "inside-dir", "ok.txt"), "ok");
    symlinkSync(outside, join(root, "escape-dir"));
    symlinkSync(join(outside, "secret.txt"), join(root, "escape-file"));
    symlinkSync("/proc/self/root", join(root, "proc-root"));
    symlinkSync(join(root, "inside-dir"), join(root, "inside-link"));
    symlinkSync(join(root, "loop-b"), join(root, "loop-a"));
    symlinkSync(join(root, "loop-a"), join(root, "loop-b"));
    repo = new LocalArtifactRepository(root);
  });
  after(() => dir.remove());

  const escapes = ["escape-dir/secret.txt", "escape-file", "proc-root/etc/passwd", "loop-a/x"];

  test("reads through a link that leads out are refused, and nothing is read", async () => {
    for (const p of escapes) {
      await rejectsCode(repo.get(p), "INVALID_PARAMETER_VALUE", /outside the artifact directory/);
      await rejectsCode(repo.stat(p), "INVALID_PARAMETER_VALUE");
    }
  });

  test("writes, deletes, lists and multipart uploads behind such a link touch nothing outside", async () => {
    const before = snapshotTree(dir.path);
    await rejectsCode(repo.put("escape-dir/evil.txt", text("x")), "INVALID_PARAMETER_VALUE");
    await rejectsCode(repo.put("escape-dir/new/deeper/evil.txt", text("x")), "INVALID_PARAMETER_VALUE");
    await rejectsCode(repo.put("proc-root/tmp/evil.txt", text("x")), "INVALID_PARAMETER_VALUE");
    await rejectsCode(repo.delete("escape-dir/victim"), "INVALID_PARAMETER_VALUE");
    await rejectsCode(repo.delete("escape-dir/secret.txt"), "INVALID_PARAMETER_VALUE");
    await rejectsCode(repo.list("escape-dir"), "INVALID_PARAMETER_VALUE");
    await rejectsCode(repo.list("proc-root/etc"), "INVALID_PARAMETER_VALUE");
    await rejectsCode(repo.createMultipartUpload("escape-dir/big.bin", 2, () => "http://x"), "INVALID_PARAMETER_VALUE");
    assert.deepEqual(snapshotTree(dir.path), before);
  });

  test("a link inside the root works; listings show it as its target and hide links that lead out", async () => {
    assert.equal(await readAll((await repo.get("inside-link/ok.txt")).body), "ok");
    const listed = await repo.list("");
    assert.deepEqual(
      listed.map((f) => f.path),
      ["inside-dir", "inside-link"],
    );
    assert.deepEqual(listed[1], { path: "inside-link", isDir: true });
  });

  test("deleting a link removes the link, never its target", async () => {
    symlinkSync(join(outside, "victim"), join(root, "victim-link"));
    await repo.delete("victim-link");
    assert.equal(existsSync(join(root, "victim-link")), false);
    assert.equal(readFileSync(join(outside, "victim", "keep.txt"), "utf8"), "keep");
  });

  test("a write through an existing file component is refused", async () => {
    await repo.put("plain.txt", text("p"));
    await rejectsCode(repo.put("plain.txt/child.txt", text("x")), "INVALID_PARAMETER_VALUE", /is a file/);
  });
});

describe("LocalArtifactRepository: nothing half-written is ever visible", () => {
  const dir = tempDir("ciclo-local-atomic-");
  const root = join(dir.path, "root");
  const repo = new LocalArtifactRepository(root);
  after(() => dir.remove());

  test("during an upload the target neither exists nor is listed; only a hidden sibling grows", async () => {
    await repo.put("m/model.bin", text("old version"));
    const body = new PassThrough();
    const done = repo.put("m/model.bin", body);
    body.write(Buffer.alloc(1024 * 1024, 1));
    // Wait until the first MiB has reached the hidden sibling (progress is observed, not timed).
    while (!readdirSync(join(root, "m")).some((n) => n.startsWith(".ciclo-tmp-"))) await new Promise((r) => setImmediate(r));
    assert.equal(await readAll((await repo.get("m/model.bin")).body), "old version");
    assert.deepEqual(await repo.list("m"), [{ path: "m/model.bin", isDir: false, fileSize: 11 }]);
    body.end(Buffer.alloc(10, 2));
    assert.equal(await done, 1024 * 1024 + 10);
    assert.equal((await repo.stat("m/model.bin"))?.size, 1024 * 1024 + 10);
    assert.deepEqual(readdirSync(join(root, "m")), ["model.bin"]);
  });

  test("a failed upload leaves the old file and no temporary file", async () => {
    await repo.put("f/a.bin", text("keep me"));
    const body = new PassThrough();
    const done = repo.put("f/a.bin", body);
    body.write(Buffer.alloc(4096));
    body.destroy(new Error("client went away"));
    await assert.rejects(done, /client went away/);
    assert.equal(await readAll((await repo.get("f/a.bin")).body), "keep me");
    assert.deepEqual(readdirSync(join(root, "f")), ["a.bin"]);
  });

  test("uploading over a folder is refused", async () => {
    await repo.put("d/sub/x.txt", text("x"));
    await rejectsCode(repo.put("d/sub", text("y")), "INVALID_PARAMETER_VALUE", /is a directory/);
    assert.deepEqual(readdirSync(join(root, "d")), ["sub"]);
  });
});

describe("LocalArtifactRepository: multipart staging", () => {
  const dir = tempDir("ciclo-local-mpu-");
  const root = join(dir.path, "root");
  const repo = new LocalArtifactRepository(root);
  after(() => dir.remove());
  const url = (id: string, n: number) => `http://server/part/${id}/${n}`;

  test("parts live in a hidden staging folder that listings never show, and it is gone after completion", async () => {
    const { uploadId, credentials } = await repo.createMultipartUpload("run/model.bin", 2, url);
    assert.match(uploadId, /^[0-9a-f]{32}$/);
    assert.deepEqual(credentials, [
      { url: url(uploadId, 1), partNumber: 1, headers: {} },
      { url: url(uploadId, 2), partNumber: 2, headers: {} },
    ]);
    const e1 = await repo.uploadPart("run/model.bin", uploadId, 1, text("hello "));
    const e2 = await repo.uploadPart("run/model.bin", uploadId, 2, text("world"));
    assert.match(e1, /^"[0-9a-f]{32}"$/);
    assert.ok(existsSync(join(root, ".ciclo-staging", uploadId)));
    assert.deepEqual((await repo.list("")).map((f) => f.path), []);
    await rejectsCode(repo.list(".ciclo-staging"), "INVALID_PARAMETER_VALUE", /reserved/);
    await rejectsCode(repo.get(`.ciclo-staging/${uploadId}/upload.json`), "INVALID_PARAMETER_VALUE", /reserved/);
    await repo.completeMultipartUpload("run/model.bin", uploadId, [
      { partNumber: 2, etag: e2 },
      { partNumber: 1, etag: e1.replace(/"/g, "") },
    ]);
    assert.equal(await readAll((await repo.get("run/model.bin")).body), "hello world");
    assert.equal(existsSync(join(root, ".ciclo-staging", uploadId)), false);
    assert.deepEqual((await repo.list("")).map((f) => f.path), ["run"]);
  });

  test("an upload id only works for the path it was created for", async () => {
    const { uploadId } = await repo.createMultipartUpload("a/one.bin", 1, url);
    await rejectsCode(repo.uploadPart("b/other.bin", uploadId, 1, text("x")), "INVALID_PARAMETER_VALUE", /not created for path/);
    await rejectsCode(repo.completeMultipartUpload("b/other.bin", uploadId, [{ partNumber: 1, etag: "x" }]), "INVALID_PARAMETER_VALUE");
    await rejectsCode(repo.abortMultipartUpload("b/other.bin", uploadId), "INVALID_PARAMETER_VALUE");
    await repo.abortMultipartUpload("a/one.bin", uploadId);
    await rejectsCode(repo.abortMultipartUpload("a/one.bin", uploadId), "RESOURCE_DOES_NOT_EXIST");
  });

  test("bad part numbers, unknown or malformed upload ids, missing parts and wrong ETags are refused", async () => {
    const { uploadId } = await repo.createMultipartUpload("c/f.bin", 2, url);
    await rejectsCode(repo.uploadPart("c/f.bin", uploadId, 0, text("x")), "INVALID_PARAMETER_VALUE");
    await rejectsCode(repo.uploadPart("c/f.bin", uploadId, 3, text("x")), "INVALID_PARAMETER_VALUE");
    await rejectsCode(repo.uploadPart("c/f.bin", "../../../etc", 1, text("x")), "RESOURCE_DOES_NOT_EXIST");
    await rejectsCode(repo.uploadPart("c/f.bin", "0".repeat(32), 1, text("x")), "RESOURCE_DOES_NOT_EXIST");
    const e1 = await repo.uploadPart("c/f.bin", uploadId, 1, text("x"));
    await rejectsCode(repo.completeMultipartUpload("c/f.bin", uploadId, [{ partNumber: 1, etag: e1 }, { partNumber: 2, etag: e1 }]), "INVALID_PARAMETER_VALUE", /not uploaded/);
    await rejectsCode(repo.completeMultipartUpload("c/f.bin", uploadId, [{ partNumber: 1, etag: '"0000"' }]), "INVALID_PARAMETER_VALUE", /ETag/);
    await rejectsCode(repo.completeMultipartUpload("c/f.bin", uploadId, []), "INVALID_PARAMETER_VALUE");
    await rejectsCode(repo.createMultipartUpload("c/g.bin", 0, url), "INVALID_PARAMETER_VALUE");
    await rejectsCode(repo.createMultipartUpload("c/g.bin", 10_001, url), "INVALID_PARAMETER_VALUE");
    assert.equal(await repo.stat("c/f.bin"), undefined);
  });
});
