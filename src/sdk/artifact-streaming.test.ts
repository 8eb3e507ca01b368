/**
 * A large file through the SDK with bounded memory: 256 MiB up (one streamed
 * PUT, then in parallel parts) and down through a real server child process.
 * The server runs in its own process so this process's peak RSS measures the
 * SDK alone; a client that buffered the file would grow by its size.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, readdirSync } from "node:fs";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { after, before, test } from "node:test";
import { startChildServer, type ChildServer } from "../testing/child-server.js";
import { tempDir } from "../testing/temp-dir.js";
import { ArtifactClient } from "./artifact-client.js";

const MiB = 1024 * 1024;
const SIZE = 256 * MiB;
/** Peak RSS growth allowed while moving SIZE bytes (buffering the file would need ≥ 256 MiB). */
const BOUND = 96 * MiB;

let server: ChildServer;
const work = tempDir("ciclo-sdk-stream-");

/** Deterministic, incompressible-enough bytes, generated chunk by chunk (never SIZE at once). */
function* chunks(total: number): Generator<Buffer> {
  let seed = 12345;
  for (let left = total; left > 0; left -= MiB) {
    const b = Buffer.allocUnsafe(Math.min(MiB, left));
    for (let i = 0; i < b.length; i += 4) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      b.writeUInt32LE(seed, i);
    }
    yield b;
  }
}

async function sha256(file: string): Promise<string> {
  const h = createHash("sha256");
  await pipeline(createReadStream(file), h);
  return h.digest("hex");
}

const peakRss = () => process.resourceUsage().maxRSS * 1024;

before(async () => {
  server = await startChildServer(`sqlite:///${join(work.path, "ciclo.db")}`, join(work.path, "artifacts"));
  await pipeline(Readable.from(chunks(SIZE)), createWriteStream(join(work.path, "big.bin")));
});
after(async () => {
  server.proc.kill();
  await server.exited;
  work.remove();
});

test(`a ${SIZE / MiB} MiB file goes up (single PUT and multipart) and down with bounded memory`, async () => {
  const single = new ArtifactClient({ trackingUri: server.url, env: {} }, { multipart: false });
  const parts = new ArtifactClient({ trackingUri: server.url, env: {} }, { multipartThreshold: 64 * MiB, multipartChunkSize: 32 * MiB });
  const run = await single.tracking.createRun({ runName: "big" });
  const id = run.info.runId;
  const expected = await sha256(join(work.path, "big.bin"));
  const base = peakRss();

  await single.logArtifact(id, join(work.path, "big.bin"), "single");
  await parts.logArtifact(id, join(work.path, "big.bin"), "parts");
  const dlSingle = await single.downloadArtifacts(`runs:/${id}/single/big.bin`, join(work.path, "dl"));
  const growth = peakRss() - base;

  assert.ok(growth < BOUND, `peak RSS grew by ${Math.round(growth / MiB)} MiB moving ${SIZE / MiB} MiB three times (bound ${BOUND / MiB} MiB)`);
  assert.deepEqual(await single.listArtifacts(id, "parts"), [{ path: "parts/big.bin", isDir: false, fileSize: SIZE }]);
  assert.equal(await sha256(dlSingle), expected);
  const dlParts = await parts.downloadArtifacts(`runs:/${id}/parts/big.bin`, join(work.path, "dl-parts"));
  assert.equal(await sha256(dlParts), expected);
  assert.deepEqual(readdirSync(join(work.path, "dl")), ["big.bin"], "no temp file left beside the download");
});
