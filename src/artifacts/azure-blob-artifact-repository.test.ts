/**
 * The Azure Blob artifact repository against a REAL Blob endpoint (Azurite
 * from scripts/azurite-test-server.sh): the shared contract, plus what only
 * Azure has — Shared Key signatures, SAS part URLs, staged blocks, listing
 * past one page, error mapping.
 */
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { ContainerSASPermissions } from "@azure/storage-blob";
import { MlflowError } from "../shared/errors.js";
import { azuriteUnavailable, createTestContainer, type AzureTestContainer } from "../testing/azurite-fixture.js";
import { AzureBlobArtifactRepository } from "./azure-blob-artifact-repository.js";
import { runArtifactRepositoryContract } from "./contract/artifact-repository.contract.js";
import { MiB, pseudoRandomBytes, readAll } from "./contract/byte-streams.js";
import { rejectsWith } from "../testing/mlflow-error-assert.js";

runArtifactRepositoryContract("azure blob (azurite)", async () => {
  if (await azuriteUnavailable()) return undefined;
  const c = await createTestContainer();
  const repo = new AzureBlobArtifactRepository(`${c.wasbsRoot}/mlflow/artifacts`, c.env);
  return { repo, cleanup: () => c.drop() };
});

runArtifactRepositoryContract("azure blob (azurite), abfss:// root, parts through the server", async () => {
  if (await azuriteUnavailable()) return undefined;
  const c = await createTestContainer();
  // A SAS-only connection string cannot sign part URLs: parts then go through the server's route.
  // Read, add, create, write, delete, list: what an artifact store does.
  const permissions = ContainerSASPermissions.parse("racwdl");
  const sas = await c.client.generateSasUrl({ permissions, expiresOn: new Date(Date.now() + 3_600_000) });
  const u = new URL(sas);
  const env = { AZURE_STORAGE_CONNECTION_STRING: `BlobEndpoint=${u.origin}/${c.account};SharedAccessSignature=${u.search.slice(1)}` };
  const repo = new AzureBlobArtifactRepository(`abfss://${c.container}@${c.account}.dfs.core.windows.net/lake/root`, env);
  return { repo, cleanup: () => c.drop() };
});

describe("AzureBlobArtifactRepository on Azurite", () => {
  let c: AzureTestContainer | undefined;
  let repo: AzureBlobArtifactRepository;
  const open = (uri: string, env: Record<string, string>) => new AzureBlobArtifactRepository(uri, env);

  before(async () => {
    if (await azuriteUnavailable()) return;
    c = await createTestContainer();
    repo = open(`${c.wasbsRoot}/root`, c.env);
  });
  after(async () => {
    await c?.drop();
  });
  const it = (title: string, fn: (c: AzureTestContainer) => Promise<void>) =>
    test(title, async (t) => {
      if (!c) return t.skip("Azurite unavailable");
      await fn(c);
    });

  it("a wrong account key is refused by the server (PERMISSION_DENIED naming account and container)", async (c) => {
    // A signature check that fails proves the suite talks Shared Key to a real endpoint.
    const bad = c.env.AZURE_STORAGE_CONNECTION_STRING.replace(/AccountKey=([^;]+)/, (_m, k: string) => `AccountKey=${Buffer.from(`x${Buffer.from(k, "base64")}`).toString("base64")}`);
    const wrong = open(`${c.wasbsRoot}/root`, { AZURE_STORAGE_CONNECTION_STRING: bad });
    const where = new RegExp(`container '${c.container}' of account '${c.account}' \\((AuthenticationFailed|AuthorizationFailure)\\)`);
    await rejectsWith(wrong.list(""), "PERMISSION_DENIED", where);
    await rejectsWith(wrong.put("denied.txt", Readable.from([Buffer.from("x")])), "PERMISSION_DENIED", new RegExp(c.container));
    assert.equal(await repo.stat("denied.txt"), undefined, "nothing was written");
  });

  it("a connection string for another account than the URI names is refused before any request", async (c) => {
    assert.throws(
      () => open(`wasbs://${c.container}@otheraccount.blob.core.windows.net/x`, c.env),
      (e: unknown) => e instanceof MlflowError && e.errorCode === "INVALID_PARAMETER_VALUE" && /otheraccount.*cicloteststore|for account/.test(e.message),
    );
  });

  it("lists and deletes folders of more than one listing page", async (c) => {
    // Pages of 100 entries (Azure's maximum is 5,000) exercise the same continuation path with fewer blobs.
    const paged = new AzureBlobArtifactRepository(`${c.wasbsRoot}/root`, c.env, 100);
    const names = Array.from({ length: 250 }, (_, i) => `root/many/f${String(i).padStart(4, "0")}.txt`);
    names.push("root/many/sub1/x", "root/many/sub2/y");
    for (let i = 0; i < names.length; i += 32) {
      await Promise.all(names.slice(i, i + 32).map((n) => c.client.getBlockBlobClient(n).upload("k", 1)));
    }
    const listed = await paged.list("many");
    assert.equal(listed.length, 252);
    assert.equal(listed.filter((f) => f.isDir).length, 2);
    assert.deepEqual(listed.slice(0, 2).map((f) => f.path), ["many/f0000.txt", "many/f0001.txt"]);
    assert.deepEqual(listed.slice(-3).map((f) => f.path), ["many/f0249.txt", "many/sub1", "many/sub2"]);
    await paged.delete("many");
    const left = await c.client.listBlobsFlat({ prefix: "root/many" }).byPage({ maxPageSize: 1 }).next();
    assert.equal(left.done ? 0 : left.value.segment.blobItems.length, 0);
  });

  it("never lists blobs of a sibling prefix that merely starts like the root", async (c) => {
    await c.client.getBlockBlobClient("rootling/secret.txt").upload("s", 1);
    await c.client.getBlockBlobClient("root-x").upload("s", 1);
    await repo.put("mine.txt", Readable.from([Buffer.from("m")]));
    const root = await repo.list("");
    assert.ok(root.some((f) => f.path === "mine.txt"));
    assert.ok(root.every((f) => !f.path.includes("secret") && !f.path.includes("rootling") && f.path !== "-x"), JSON.stringify(root));
  });

  it("refuses paths Azure would rewrite or that could leave the root, touching nothing", async () => {
    for (const p of ["../escape.txt", "a/../../b", "/abs", "a//b", "./a", "a/\0b", "a\\..\\b", "dir./x", "x.", "a/..."]) {
      await rejectsWith(repo.put(p, Readable.from([Buffer.from("x")])), "INVALID_PARAMETER_VALUE");
      await rejectsWith(repo.get(p), "INVALID_PARAMETER_VALUE");
      await rejectsWith(repo.delete(p), "INVALID_PARAMETER_VALUE");
    }
    assert.deepEqual((await repo.list("")).filter((f) => /escape|abs|^b$/.test(f.path)), []);
  });

  it("part URLs are SAS URLs of Put Block on the blob itself: bytes bypass the server, a forged signature is refused", async (c) => {
    const { uploadId, credentials } = await repo.createMultipartUpload("mpu/p.bin", 2, () => "http://server.invalid/part");
    assert.match(uploadId, /^[0-9a-f]{16}$/);
    for (const cred of credentials) {
      const u = new URL(cred.url);
      assert.equal(u.pathname, `/${c.account}/${c.container}/root/mpu/p.bin`);
      assert.equal(u.searchParams.get("comp"), "block");
      assert.equal(u.searchParams.get("sp"), "w", "write permission only");
      assert.ok(u.searchParams.get("sig"));
      assert.deepEqual(cred.headers, {});
    }
    const blockIds = credentials.map((cr) => new URL(cr.url).searchParams.get("blockid")!);
    assert.equal(new Set(blockIds.map((b) => b.length)).size, 1, "Azure needs block ids of one length");
    const forged = new URL(credentials[0].url);
    forged.searchParams.set("sig", Buffer.alloc(32).toString("base64"));
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
    assert.ok(e1 && e2);
    await repo.completeMultipartUpload("mpu/len.bin", uploadId, [{ partNumber: 2, etag: "" }, { partNumber: 1, etag: "" }]);
    assert.deepEqual(await readAll((await repo.get("mpu/len.bin")).body), Buffer.concat([p1, p2]));
  });

  it("bad multipart input: unknown upload ids, parts never sent, bad counts", async () => {
    const { uploadId } = await repo.createMultipartUpload("mpu/bad.bin", 2, () => "");
    await repo.uploadPart("mpu/bad.bin", uploadId, 1, Readable.from([Buffer.from("one")]));
    // Part 2 was never staged: Azure refuses the block list, and nothing is written.
    await rejectsWith(repo.completeMultipartUpload("mpu/bad.bin", uploadId, [{ partNumber: 1, etag: "" }, { partNumber: 2, etag: "" }]), "INVALID_PARAMETER_VALUE");
    assert.equal(await repo.stat("mpu/bad.bin"), undefined);
    for (const id of ["", "no-such-upload", "../../x", "0123456789abcdeg"]) {
      await rejectsWith(repo.completeMultipartUpload("mpu/bad.bin", id, [{ partNumber: 1, etag: "" }]), "INVALID_PARAMETER_VALUE");
      await rejectsWith(repo.uploadPart("mpu/bad.bin", id, 1, Readable.from([Buffer.from("x")])), "INVALID_PARAMETER_VALUE");
    }
    await rejectsWith(repo.completeMultipartUpload("mpu/bad.bin", uploadId, [{ partNumber: 1, etag: "" }, { partNumber: 1, etag: "" }]), "INVALID_PARAMETER_VALUE");
    await rejectsWith(repo.createMultipartUpload("mpu/bad.bin", 0, () => ""), "INVALID_PARAMETER_VALUE");
    await rejectsWith(repo.createMultipartUpload("mpu/bad.bin", 10_001, () => ""), "INVALID_PARAMETER_VALUE");
    await repo.abortMultipartUpload("mpu/bad.bin", uploadId);
  });

  it("a source that fails mid-upload rejects the put with its own error and leaves the old blob as it was", async () => {
    await repo.put("broken/big.bin", Readable.from([Buffer.from("old")]));
    async function* failing() {
      for (let i = 0; i < 3; i++) yield pseudoRandomBytes(5 * MiB, i + 1);
      throw new Error("client went away");
    }
    await assert.rejects(repo.put("broken/big.bin", Readable.from(failing())), /client went away/);
    assert.equal((await readAll((await repo.get("broken/big.bin")).body)).toString(), "old");
  });

  it("deleting a folder also discards blocks staged for uploads never completed under it", async (c) => {
    const { uploadId } = await repo.createMultipartUpload("pending/dir/a.bin", 1, () => "");
    await repo.uploadPart("pending/dir/a.bin", uploadId, 1, Readable.from([Buffer.from("part")]));
    const staged = async () => {
      const names: string[] = [];
      for await (const b of c.client.listBlobsFlat({ prefix: "root/pending", includeUncommitedBlobs: true })) names.push(b.name);
      return names;
    };
    assert.deepEqual(await staged(), ["root/pending/dir/a.bin"], "the staged block shows as an uncommitted blob");
    await repo.delete("pending");
    assert.deepEqual(await staged(), []);
  });

  it("a container-wide repository (no path) lists the container's top level", async (c) => {
    const whole = open(c.wasbsRoot, c.env);
    await whole.put("top-level.txt", Readable.from([Buffer.from("t")]));
    const root = await whole.list("");
    assert.ok(root.some((f) => f.path === "root" && f.isDir));
    assert.ok(root.some((f) => f.path === "top-level.txt" && f.fileSize === 1));
  });

  it("a missing container is RESOURCE_DOES_NOT_EXIST naming it", async (c) => {
    const missing = open(`wasbs://${c.container}-missing@${c.account}.blob.core.windows.net/x`, c.env);
    await rejectsWith(missing.list(""), "RESOURCE_DOES_NOT_EXIST", new RegExp(`${c.container}-missing`));
  });

  it("an unreachable endpoint is TEMPORARILY_UNAVAILABLE", async (c) => {
    // Port 9 (discard) on loopback: nothing listens there, so the connection is refused at once.
    const down = c.env.AZURE_STORAGE_CONNECTION_STRING.replace(/BlobEndpoint=http:\/\/[^/]+/, "BlobEndpoint=http://127.0.0.1:9");
    const repoDown = open(`${c.wasbsRoot}/root`, { AZURE_STORAGE_CONNECTION_STRING: down });
    await rejectsWith(repoDown.list(""), "TEMPORARILY_UNAVAILABLE", /127\.0\.0\.1:9.*ECONNREFUSED/);
    await rejectsWith(repoDown.get("f.txt"), "TEMPORARILY_UNAVAILABLE");
  });
});
