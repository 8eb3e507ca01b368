/**
 * The ArtifactRepository contract: one suite, run against every implementation
 * (local folders, S3 on a real radosgw, Azure Blob on Azurite) by the
 * implementations' own test files.
 * @module
 */
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { describe } from "node:test";
import type { ArtifactRepository, MultipartPart } from "../artifact-repository.js";
import {
  digestStream,
  generatedStream,
  LiveMemoryProbe,
  MiB,
  pseudoRandomBytes,
  readAll,
  sha256,
} from "./byte-streams.js";
import { contractTests } from "../../testing/backend-tests.js";
import { rejectsWith } from "../../testing/mlflow-error-assert.js";

export interface ArtifactRepositoryFixture {
  repo: ArtifactRepository;
  cleanup(): Promise<void>;
}

/** The URL a repository without presigned URLs hands out: the server's own part route (never dialled here). */
const SERVER_PART_BASE = "http://ciclo-server.invalid/mpu";
const serverPartUrl = (uploadId: string, partNumber: number) =>
  `${SERVER_PART_BASE}/${encodeURIComponent(uploadId)}/${partNumber}`;

/** S3's minimum size of every part but the last (radosgw enforces it too). */
const MIN_PART = 5 * MiB;

const text = (s: string) => Readable.from([Buffer.from(s, "utf8")]);

export function runArtifactRepositoryContract(name: string, make: () => Promise<ArtifactRepositoryFixture | undefined>): void {
  describe(`ArtifactRepository contract: ${name}`, () => {
    let repo: ArtifactRepository;
    let n = 0;
    /** Each test works in its own folder, so tests share one repository without seeing each other. */
    const folder = (p: string) => `${p}-${n++}`;

    const it = contractTests(name, make, (f) => void (repo = f.repo));

    const getText = async (path: string) => (await readAll((await repo.get(path)).body)).toString("utf8");

    /** Sends every part the way a client would: to a presigned URL directly, or through the server's route. */
    async function sendParts(path: string, uploadId: string, urls: { url: string; partNumber: number; headers: Record<string, string> }[], parts: Buffer[]) {
      const done: MultipartPart[] = [];
      for (const cred of urls) {
        const bytes = parts[cred.partNumber - 1];
        if (cred.url.startsWith(SERVER_PART_BASE)) {
          assert.equal(cred.url, serverPartUrl(uploadId, cred.partNumber));
          done.push({ partNumber: cred.partNumber, etag: await repo.uploadPart(path, uploadId, cred.partNumber, Readable.from([bytes])) });
        } else {
          const res = await fetch(cred.url, { method: "PUT", body: bytes, headers: cred.headers });
          // S3 answers 200 with an ETag; Azure's Put Block answers 201 without one.
          // MLflow's client sends back whatever ETag it got ("" when none), and the URL.
          assert.ok(res.status === 200 || res.status === 201, `part PUT: ${res.status} ${await res.text()}`);
          done.push({ partNumber: cred.partNumber, etag: res.headers.get("etag") ?? "", url: cred.url });
        }
      }
      return done;
    }

    it("put then get round-trips text, and put resolves with the byte count", async () => {
      const d = folder("text");
      const body = "héllo wörld\nline two\n";
      assert.equal(await repo.put(`${d}/hello.txt`, text(body)), Buffer.byteLength(body));
      const obj = await repo.get(`${d}/hello.txt`);
      assert.equal(obj.size, Buffer.byteLength(body));
      assert.equal((await readAll(obj.body)).toString("utf8"), body);
    });

    it("round-trips binary bytes (every byte value, many chunks) and an empty file", async () => {
      const d = folder("binary");
      const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const data = Buffer.concat([all, pseudoRandomBytes(3 * MiB + 17, 7), all]);
      const chunks = Array.from({ length: Math.ceil(data.length / 100_000) }, (_, i) => data.subarray(i * 100_000, (i + 1) * 100_000));
      assert.equal(await repo.put(`${d}/data.bin`, Readable.from(chunks)), data.length);
      assert.equal(sha256(await readAll((await repo.get(`${d}/data.bin`)).body)), sha256(data));
      assert.equal(await repo.put(`${d}/empty`, Readable.from([])), 0);
      const empty = await repo.get(`${d}/empty`);
      assert.equal(empty.size, 0);
      assert.equal((await readAll(empty.body)).length, 0);
    });

    it("get with a byte range returns exactly those bytes and the whole size", async () => {
      const d = folder("range");
      const data = pseudoRandomBytes(10_000, 3);
      await repo.put(`${d}/r.bin`, Readable.from([data]));
      for (const [start, end] of [[0, 0], [10, 19], [4096, 8191], [9_999, 9_999], [0, 9_999]]) {
        const obj = await repo.get(`${d}/r.bin`, { start, end });
        assert.equal(obj.size, 10_000);
        assert.deepEqual(await readAll(obj.body), data.subarray(start, end + 1), `range ${start}-${end}`);
      }
    });

    it("stat reports files, folders and missing paths", async () => {
      const d = folder("stat");
      await repo.put(`${d}/sub/f.txt`, text("12345"));
      const f = await repo.stat(`${d}/sub/f.txt`);
      assert.deepEqual({ size: f?.size, isDir: f?.isDir }, { size: 5, isDir: false });
      assert.equal(typeof f?.lastModified, "number");
      assert.equal((await repo.stat(`${d}/sub`))?.isDir, true);
      assert.equal((await repo.stat(d))?.isDir, true);
      assert.equal(await repo.stat(`${d}/nope.txt`), undefined);
      assert.equal(await repo.stat(`${d}/sub/f.txt/deeper`), undefined);
    });

    it("lists direct children with MLflow's root-relative paths, sorted, folders without sizes", async () => {
      const d = folder("list");
      await repo.put(`${d}/b.txt`, text("bb"));
      await repo.put(`${d}/a.txt`, text("a"));
      await repo.put(`${d}/sub/c.txt`, text("ccc"));
      await repo.put(`${d}/sub/deep/d.bin`, text("dddd"));
      await repo.put(`${d}-sibling/x.txt`, text("x"));
      assert.deepEqual(await repo.list(d), [
        { path: `${d}/a.txt`, isDir: false, fileSize: 1 },
        { path: `${d}/b.txt`, isDir: false, fileSize: 2 },
        { path: `${d}/sub`, isDir: true },
      ]);
      assert.deepEqual(await repo.list(`${d}/sub`), [
        { path: `${d}/sub/c.txt`, isDir: false, fileSize: 3 },
        { path: `${d}/sub/deep`, isDir: true },
      ]);
      assert.deepEqual(await repo.list(`${d}/sub/deep`), [{ path: `${d}/sub/deep/d.bin`, isDir: false, fileSize: 4 }]);
      const root = await repo.list("");
      assert.ok(root.some((f) => f.path === d && f.isDir && f.fileSize === undefined), "the folder is listed at the root");
      assert.ok(root.every((f) => !f.path.includes("/")), "root entries are single names");
    });

    it("lists a missing folder, and a file, as empty", async () => {
      const d = folder("missing");
      assert.deepEqual(await repo.list(`${d}/does/not/exist`), []);
      await repo.put(`${d}/file.txt`, text("x"));
      assert.deepEqual(await repo.list(`${d}/file.txt`), []);
    });

    it("put replaces an existing file", async () => {
      const d = folder("overwrite");
      await repo.put(`${d}/f.txt`, text("the first, longer version"));
      await repo.put(`${d}/f.txt`, text("second"));
      assert.equal(await getText(`${d}/f.txt`), "second");
      assert.equal((await repo.stat(`${d}/f.txt`))?.size, 6);
      assert.deepEqual(await repo.list(d), [{ path: `${d}/f.txt`, isDir: false, fileSize: 6 }]);
    });

    it("deletes a file and leaves its neighbours", async () => {
      const d = folder("del-file");
      await repo.put(`${d}/gone.txt`, text("g"));
      await repo.put(`${d}/gone.txt.bak`, text("keep"));
      await repo.delete(`${d}/gone.txt`);
      await rejectsWith(repo.get(`${d}/gone.txt`), "RESOURCE_DOES_NOT_EXIST");
      assert.equal(await getText(`${d}/gone.txt.bak`), "keep");
      await repo.delete(`${d}/never-existed.txt`);
    });

    it("deletes a folder recursively, not a sibling whose name starts the same", async () => {
      const d = folder("del-dir");
      await repo.put(`${d}/dir/a.txt`, text("a"));
      await repo.put(`${d}/dir/sub/b.txt`, text("b"));
      await repo.put(`${d}/dir2/c.txt`, text("c"));
      await repo.delete(`${d}/dir`);
      assert.deepEqual(await repo.list(`${d}/dir`), []);
      assert.equal(await repo.stat(`${d}/dir`), undefined);
      assert.deepEqual(await repo.list(d), [{ path: `${d}/dir2`, isDir: true }]);
      assert.equal(await getText(`${d}/dir2/c.txt`), "c");
    });

    it("get of a missing file or of a folder is RESOURCE_DOES_NOT_EXIST", async () => {
      const d = folder("get-missing");
      await rejectsWith(repo.get(`${d}/nope.txt`), "RESOURCE_DOES_NOT_EXIST");
      await repo.put(`${d}/sub/f.txt`, text("x"));
      await rejectsWith(repo.get(`${d}/sub`), "RESOURCE_DOES_NOT_EXIST");
    });

    it("multipart: create, upload each part where the credential says, complete gives the exact bytes", async () => {
      const d = folder("mpu");
      const parts = [pseudoRandomBytes(MIN_PART, 11), pseudoRandomBytes(MIN_PART, 12), pseudoRandomBytes(12_345, 13)];
      const { uploadId, credentials } = await repo.createMultipartUpload(`${d}/model.bin`, 3, serverPartUrl);
      assert.ok(uploadId.length > 0);
      assert.deepEqual(credentials.map((c) => c.partNumber), [1, 2, 3]);
      const done = await sendParts(`${d}/model.bin`, uploadId, credentials, parts);
      await repo.completeMultipartUpload(`${d}/model.bin`, uploadId, done.reverse());
      const all = Buffer.concat(parts);
      assert.equal((await repo.stat(`${d}/model.bin`))?.size, all.length);
      assert.equal(sha256(await readAll((await repo.get(`${d}/model.bin`)).body)), sha256(all));
    });

    it("multipart: parts sent through the server (uploadPart) assemble too", async () => {
      const d = folder("mpu-server");
      const parts = [pseudoRandomBytes(MIN_PART, 21), pseudoRandomBytes(1000, 22)];
      const { uploadId } = await repo.createMultipartUpload(`${d}/f.bin`, 2, serverPartUrl);
      const etags = [];
      for (const [i, p] of parts.entries()) etags.push(await repo.uploadPart(`${d}/f.bin`, uploadId, i + 1, Readable.from([p])));
      await repo.completeMultipartUpload(`${d}/f.bin`, uploadId, etags.map((etag, i) => ({ partNumber: i + 1, etag })));
      assert.equal(sha256(await readAll((await repo.get(`${d}/f.bin`)).body)), sha256(Buffer.concat(parts)));
    });

    it("multipart: abort leaves nothing behind", async () => {
      const d = folder("mpu-abort");
      const { uploadId, credentials } = await repo.createMultipartUpload(`${d}/x.bin`, 2, serverPartUrl);
      await sendParts(`${d}/x.bin`, uploadId, credentials.slice(0, 1), [pseudoRandomBytes(MIN_PART, 31)]);
      await repo.abortMultipartUpload(`${d}/x.bin`, uploadId);
      await rejectsWith(repo.get(`${d}/x.bin`), "RESOURCE_DOES_NOT_EXIST");
      assert.equal(await repo.stat(`${d}/x.bin`), undefined);
      assert.deepEqual(await repo.list(d), []);
    });

    it("a 50 MiB put and get stream: the whole object is never in memory", async () => {
      const d = folder("stream");
      const size = 50 * MiB;
      const probe = new LiveMemoryProbe();
      const src = generatedStream(size, probe);
      assert.equal(await repo.put(`${d}/big.bin`, src.stream), size);
      const putPeak = probe.peak;
      const obj = await repo.get(`${d}/big.bin`);
      assert.equal(obj.size, size);
      const got = await digestStream(obj.body, probe);
      assert.equal(got.bytes, size);
      assert.equal(got.digest, src.digest());
      // A repository that buffered the object would hold all 50 MiB at once.
      assert.ok(putPeak < 40 * MiB, `put held ${(putPeak / MiB).toFixed(1)} MiB of buffers at once`);
      assert.ok(probe.peak < 40 * MiB, `get held ${(probe.peak / MiB).toFixed(1)} MiB of buffers at once`);
    });
  });
}
