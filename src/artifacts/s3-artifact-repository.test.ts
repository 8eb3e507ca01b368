/**
 * The S3 artifact repository against a REAL S3 server (Ceph radosgw from
 * scripts/s3-test-server.sh): the shared contract, plus what only S3 has —
 * signatures, pagination past 1,000 keys, presigned part URLs, error mapping.
 */
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { createTestBucket, s3Unavailable, type S3TestBucket } from "../testing/s3-fixture.js";
import { runArtifactRepositoryContract } from "./contract/artifact-repository.contract.js";
import { MiB, pseudoRandomBytes, readAll } from "./contract/byte-streams.js";
import { S3ArtifactRepository } from "./s3-artifact-repository.js";
import { rejectsWith } from "../testing/mlflow-error-assert.js";

runArtifactRepositoryContract("s3 (radosgw)", async () => {
  if (await s3Unavailable()) return undefined;
  const b = await createTestBucket();
  const repo = new S3ArtifactRepository(`s3://${b.bucket}/mlflow/artifacts`, b.env);
  return { repo, cleanup: () => b.drop() };
});

describe("S3ArtifactRepository on a real S3 server", () => {
  let b: S3TestBucket | undefined;
  let repo: S3ArtifactRepository;
  const open = (uri: string, env: Record<string, string>) => new S3ArtifactRepository(uri, env);

  before(async () => {
    if (await s3Unavailable()) return;
    b = await createTestBucket();
    repo = open(`s3://${b.bucket}/root`, b.env);
  });
  after(async () => {
    await b?.drop();
  });
  const it = (title: string, fn: (b: S3TestBucket) => Promise<void>) =>
    test(title, async (t) => {
      if (!b) return t.skip("S3 test server unavailable");
      await fn(b);
    });

  it("a wrong secret key is refused by the server (PERMISSION_DENIED naming the bucket)", async (b) => {
    // Fakes accept any secret; a refusal here proves the suite talks to a real S3.
    const bad = open(`s3://${b.bucket}/root`, { ...b.env, AWS_SECRET_ACCESS_KEY: `${b.env.AWS_SECRET_ACCESS_KEY}x` });
    await rejectsWith(bad.list(""), "PERMISSION_DENIED", new RegExp(`bucket '${b.bucket}'.*SignatureDoesNotMatch`));
    await rejectsWith(bad.put("denied.txt", Readable.from([Buffer.from("x")])), "PERMISSION_DENIED", new RegExp(b.bucket));
    assert.equal(await repo.stat("denied.txt"), undefined, "nothing was written");
  });

  it("an unknown access key is refused too", async (b) => {
    const bad = open(`s3://${b.bucket}/root`, { ...b.env, AWS_ACCESS_KEY_ID: "no-such-key" });
    await rejectsWith(bad.get("x"), "PERMISSION_DENIED", new RegExp(b.bucket));
  });

  it("lists and deletes folders of more than 1,000 keys (pagination, batched deletes)", async (b) => {
    const keys = Array.from({ length: 1_010 }, (_, i) => `root/many/f${String(i).padStart(4, "0")}.txt`);
    keys.push("root/many/sub1/x", "root/many/sub2/y");
    // Written straight to S3 (16 at a time) so the test spends its time on the paths under test.
    for (let i = 0; i < keys.length; i += 16) {
      await Promise.all(keys.slice(i, i + 16).map((Key) => b.client.send(new PutObjectCommand({ Bucket: b.bucket, Key, Body: "k" }))));
    }
    const listed = await repo.list("many");
    assert.equal(listed.length, 1_012);
    assert.equal(listed.filter((f) => f.isDir).length, 2);
    assert.deepEqual(listed.slice(0, 2).map((f) => f.path), ["many/f0000.txt", "many/f0001.txt"]);
    assert.deepEqual(listed.slice(-3).map((f) => f.path), ["many/f1009.txt", "many/sub1", "many/sub2"]);
    await repo.delete("many");
    const left = await b.client.send(new ListObjectsV2Command({ Bucket: b.bucket, Prefix: "root/many" }));
    assert.equal(left.KeyCount, 0);
  });

  it("never lists keys of a sibling prefix that merely starts like the root", async (b) => {
    await b.client.send(new PutObjectCommand({ Bucket: b.bucket, Key: "rootling/secret.txt", Body: "s" }));
    await b.client.send(new PutObjectCommand({ Bucket: b.bucket, Key: "root-x", Body: "s" }));
    await repo.put("mine.txt", Readable.from([Buffer.from("m")]));
    const root = await repo.list("");
    assert.ok(root.some((f) => f.path === "mine.txt"));
    assert.ok(root.every((f) => !f.path.includes("secret") && !f.path.includes("rootling") && f.path !== "-x"), JSON.stringify(root));
  });

  it("refuses artifact paths that could leave the root, touching nothing", async () => {
    for (const p of ["../escape.txt", "a/../../b", "/abs", "a//b", "./a", "a/\0b"]) {
      await rejectsWith(repo.put(p, Readable.from([Buffer.from("x")])), "INVALID_PARAMETER_VALUE");
      await rejectsWith(repo.get(p), "INVALID_PARAMETER_VALUE");
    }
  });

  it("multipart part URLs are presigned S3 URLs: the bytes bypass the server, a forged signature is refused", async (b) => {
    const { uploadId, credentials } = await repo.createMultipartUpload("mpu/p.bin", 2, () => "http://server.invalid/part");
    for (const c of credentials) {
      const u = new URL(c.url);
      assert.equal(u.origin, b.env.MLFLOW_S3_ENDPOINT_URL);
      assert.equal(u.pathname, `/${b.bucket}/root/mpu/p.bin`);
      assert.equal(u.searchParams.get("partNumber"), String(c.partNumber));
      assert.equal(u.searchParams.get("uploadId"), uploadId);
      assert.deepEqual(c.headers, {});
    }
    const forged = new URL(credentials[0].url);
    forged.searchParams.set("X-Amz-Signature", "0".repeat(64));
    const res = await fetch(forged, { method: "PUT", body: Buffer.from("nope") });
    assert.equal(res.status, 403);
    await repo.abortMultipartUpload("mpu/p.bin", uploadId);
    await repo.abortMultipartUpload("mpu/p.bin", uploadId); // twice: still fine
  });

  it("uploadPart streams with a known length and buffers a small part without one", async () => {
    const p1 = pseudoRandomBytes(5 * MiB, 1);
    const p2 = Buffer.from("the last part");
    const { uploadId } = await repo.createMultipartUpload("mpu/len.bin", 2, () => "");
    const e1 = await repo.uploadPart("mpu/len.bin", uploadId, 1, Readable.from([p1.subarray(0, MiB), p1.subarray(MiB)]), p1.length);
    const e2 = await repo.uploadPart("mpu/len.bin", uploadId, 2, Readable.from([p2]));
    await repo.completeMultipartUpload("mpu/len.bin", uploadId, [{ partNumber: 1, etag: e1 }, { partNumber: 2, etag: e2 }]);
    assert.deepEqual(await readAll((await repo.get("mpu/len.bin")).body), Buffer.concat([p1, p2]));
  });

  it("maps S3's refusals of bad multipart input to INVALID_PARAMETER_VALUE / RESOURCE_DOES_NOT_EXIST", async () => {
    const { uploadId } = await repo.createMultipartUpload("mpu/bad.bin", 2, () => "");
    const e1 = await repo.uploadPart("mpu/bad.bin", uploadId, 1, Readable.from([Buffer.from("too small")]));
    const e2 = await repo.uploadPart("mpu/bad.bin", uploadId, 2, Readable.from([Buffer.from("x")]));
    // Every part but the last must be at least 5 MiB.
    await rejectsWith(
      repo.completeMultipartUpload("mpu/bad.bin", uploadId, [{ partNumber: 1, etag: e1 }, { partNumber: 2, etag: e2 }]),
      "INVALID_PARAMETER_VALUE",
    );
    await rejectsWith(repo.completeMultipartUpload("mpu/bad.bin", "no-such-upload", [{ partNumber: 1, etag: e1 }]), "RESOURCE_DOES_NOT_EXIST");
    await rejectsWith(repo.createMultipartUpload("mpu/bad.bin", 0, () => ""), "INVALID_PARAMETER_VALUE");
    await rejectsWith(repo.createMultipartUpload("mpu/bad.bin", 10_001, () => ""), "INVALID_PARAMETER_VALUE");
    await repo.abortMultipartUpload("mpu/bad.bin", uploadId);
  });

  it("a source that fails mid-upload rejects the put with its own error and leaves no object or parts", async (b) => {
    async function* failing() {
      for (let i = 0; i < 3; i++) yield pseudoRandomBytes(5 * MiB, i + 1);
      throw new Error("client went away");
    }
    await assert.rejects(repo.put("broken/big.bin", Readable.from(failing())), /client went away/);
    assert.equal(await repo.stat("broken/big.bin"), undefined);
    const ups = await b.client.send(new ListMultipartUploadsCommand({ Bucket: b.bucket, Prefix: "root/broken" }));
    assert.equal((ups.Uploads ?? []).length, 0, "the multipart upload was aborted");
  });

  it("deleting a folder also aborts multipart uploads pending under it", async (b) => {
    const { uploadId } = await repo.createMultipartUpload("pending/dir/a.bin", 1, () => "");
    await repo.uploadPart("pending/dir/a.bin", uploadId, 1, Readable.from([Buffer.from("part")]));
    await repo.delete("pending");
    const ups = await b.client.send(new ListMultipartUploadsCommand({ Bucket: b.bucket, Prefix: "root/pending" }));
    assert.equal((ups.Uploads ?? []).length, 0);
  });

  it("a bucket-wide repository (s3://bucket) lists the bucket's top level", async (b) => {
    const whole = open(`s3://${b.bucket}`, b.env);
    await whole.put("top-level.txt", Readable.from([Buffer.from("t")]));
    const root = await whole.list("");
    assert.ok(root.some((f) => f.path === "root" && f.isDir));
    assert.ok(root.some((f) => f.path === "top-level.txt" && f.fileSize === 1));
  });

  it("a missing bucket is RESOURCE_DOES_NOT_EXIST naming the bucket", async (b) => {
    const missing = open(`s3://${b.bucket}-missing/x`, b.env);
    await rejectsWith(missing.list(""), "RESOURCE_DOES_NOT_EXIST", new RegExp(`${b.bucket}-missing`));
  });

  it("an unreachable endpoint is TEMPORARILY_UNAVAILABLE", async (b) => {
    // Port 9 (discard) on loopback: nothing listens there, so the connection is refused at once.
    const down = open(`s3://${b.bucket}/root`, { ...b.env, MLFLOW_S3_ENDPOINT_URL: "http://127.0.0.1:9" });
    await rejectsWith(down.list(""), "TEMPORARILY_UNAVAILABLE", /127\.0\.0\.1:9.*ECONNREFUSED/);
    await rejectsWith(down.get("f.txt"), "TEMPORARILY_UNAVAILABLE");
  });
});
