/**
 * Artifacts stream end to end through a real `ciclo server` child process:
 * the Python client's flows on a real port, then a 1 GiB upload and download
 * while the server's RSS is sampled from /proc (growth must stay under 96 MiB,
 * under a tenth of what went through: buffering would show the gigabyte)
 * and the artifacts folder and the server's OS temp folder are watched (no
 * temporary copy may be written). Bytes are generated and checked on the fly.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, lstatSync } from "node:fs";
import { statfs } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, test } from "node:test";
import { callApi, spawnCiclo } from "../../testing/child-server.js";
import { tempDir } from "../../testing/temp-dir.js";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const BIG = GiB;
/**
 * The read and received chunks are Buffers outside V8's heap, freed only by a GC; V8 starts one at the latest once
 * such memory has grown by 64 MB since the last, and little else on the server's heap asks for one while it streams.
 * So RSS can climb to about that much plus the chunks in flight before it falls: 33–53 MiB in most runs, 67.5 MiB
 * once in CI under load. A bound of 64 MB sat on V8's own trigger; a buffered gigabyte would still show.
 */
const RSS_LIMIT = 96 * MiB;
const SAMPLE_EVERY = 16 * MiB;

function rssBytes(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) * 1024;
}

/** Every file under `dir` with its size (symlinks not followed). */
function filesUnder(dir: string, rel = ""): Array<{ path: string; size: number }> {
  const out: Array<{ path: string; size: number }> = [];
  for (const name of readdirSync(join(dir, rel))) {
    const r = rel ? `${rel}/${name}` : name;
    const st = lstatSync(join(dir, r));
    if (st.isDirectory()) out.push(...filesUnder(dir, r));
    else out.push({ path: r, size: st.size });
  }
  return out;
}
const totalBytes = (files: Array<{ size: number }>) => files.reduce((n, f) => n + f.size, 0);

/** Why the 1 GiB test cannot run here, or undefined. */
async function notEnoughDisk(dir: string): Promise<string | undefined> {
  const fs = await statfs(dir);
  const free = fs.bavail * fs.bsize;
  if (free >= 3 * GiB) return undefined;
  const reason = `only ${(free / GiB).toFixed(2)} GiB free in ${dir}; the 1 GiB streaming test needs 3 GiB`;
  if (process.env.CICLO_REQUIRE_ALL === "1") throw new Error(`${reason} (CICLO_REQUIRE_ALL=1 forbids skipping)`);
  console.log(`# SKIP 1 GiB artifact streaming test: ${reason}`);
  return reason;
}

/** 1 MiB of pseudo-random bytes; chunk i is this block with i written into its first 8 bytes. */
const BLOCK = createHash("sha512").update("ciclo").digest();
function chunk(i: number): Buffer {
  const b = Buffer.allocUnsafe(MiB);
  for (let o = 0; o < MiB; o += BLOCK.length) BLOCK.copy(b, o);
  b.writeDoubleLE(i, 0);
  b.writeUInt32LE(i * 2654435761 >>> 0, MiB - 4);
  return b;
}

describe("artifacts through a real ciclo server child process", () => {
  const dir = tempDir("ciclo-stream-");
  const artifacts = join(dir.path, "artifacts");
  const serverTmp = join(dir.path, "server-tmp");
  let url = "";
  let pid = 0;
  let exited: Promise<void> = Promise.resolve();
  let proc: ReturnType<typeof spawnCiclo> | undefined;

  before(async () => {
    mkdirSync(artifacts);
    mkdirSync(serverTmp);
    // The server's OS temp folder is its own, so any temporary copy it made would show up there.
    proc = spawnCiclo(
      ["server", "--port", "0", "--host", "127.0.0.1", "--backend-store-uri", `sqlite:///${join(dir.path, "ciclo.db")}`, "--artifacts-destination", artifacts],
      { TMPDIR: serverTmp },
    );
    pid = proc.pid!;
    exited = new Promise((r) => proc!.once("exit", () => r()));
    let stderr = "";
    proc.stderr!.on("data", (d: Buffer) => (stderr += d));
    url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: proc!.stdout! }).on("line", (line) => {
        try {
          const j = JSON.parse(line) as { msg?: string; url?: string };
          if (j.msg === "ciclo server listening" && j.url) resolve(j.url);
        } catch {
          /* not a log line */
        }
      });
      proc!.once("exit", (code) => reject(new Error(`server exited (${code}) before listening: ${stderr}`)));
    });
  }, { timeout: 120_000 });
  after(async () => {
    if (proc && proc.exitCode === null) {
      proc.kill("SIGTERM");
      await exited;
    }
    dir.remove();
  });

  test("the Python client's flows over a real port: log_artifact PUTs, list, download, run artifact list", { timeout: 60_000 }, async () => {
    const exp = await callApi(url, "POST", "experiments/create", { name: "stream-flows" });
    const run = await callApi(url, "POST", "runs/create", { experiment_id: exp.body.experiment_id });
    const info = (run.body.run as { info: { run_id: string; artifact_uri: string } }).info;
    assert.match(info.artifact_uri, /^mlflow-artifacts:\/\d+\/[0-9a-f]{32}\/artifacts$/);
    const base = `${url}/api/2.0/mlflow-artifacts/artifacts/${info.artifact_uri.slice("mlflow-artifacts:/".length)}`;
    const files: Array<[string, Buffer, string]> = [
      ["model/MLmodel", Buffer.from("flavors: {}\n"), "text/plain"],
      ["model/model.pkl", Buffer.from([0x80, 0x04, 0x95, 1, 2, 3, 4, 5, 6, 0x2e]), "application/octet-stream"],
    ];
    for (const [name, body, type] of files) {
      const put = await fetch(`${base}/${name}`, { method: "PUT", body, headers: { "content-type": type } });
      assert.equal(put.status, 200);
      assert.deepEqual(await put.json(), {});
    }
    const listed = await (await fetch(`${url}/api/2.0/mlflow-artifacts/artifacts?path=${encodeURIComponent(info.artifact_uri.slice(18) + "/model")}`)).json();
    assert.deepEqual(listed, { files: [{ path: "MLmodel", is_dir: false, file_size: 12 }, { path: "model.pkl", is_dir: false, file_size: 10 }] });
    const got = await fetch(`${base}/model/MLmodel`);
    assert.equal(got.headers.get("content-type"), "text/plain");
    assert.equal(await got.text(), "flavors: {}\n");
    const runList = await callApi(url, "GET", `artifacts/list?run_id=${info.run_id}&path=model`);
    assert.deepEqual(runList.body, {
      root_uri: info.artifact_uri,
      files: [{ path: "model/MLmodel", is_dir: false, file_size: 12 }, { path: "model/model.pkl", is_dir: false, file_size: 10 }],
    });
  });

  test("a 1 GiB upload and download stream: server RSS grows < 96 MiB, no temporary copy anywhere", { timeout: 600_000 }, async (t) => {
    if (await notEnoughDisk(dir.path)) return t.skip("not enough free disk space");
    const path = "0/bigrun/artifacts/model.bin";
    const target = join(artifacts, path);
    const tmpBefore = totalBytes(filesUnder(serverTmp));
    const artifactsBefore = totalBytes(filesUnder(artifacts));
    const baseline = rssBytes(pid);
    let peakRss = baseline;
    let sent = 0;
    const upHash = createHash("sha256");
    /** `maxGrowth`: how much the artifacts folder may have grown by now (what was sent; nothing more). */
    const watch = (phase: string, maxGrowth: number) => {
      peakRss = Math.max(peakRss, rssBytes(pid));
      const grown = totalBytes(filesUnder(artifacts)) - artifactsBefore;
      // Only the hidden sibling of the target may grow, and never past what was sent: no second copy.
      assert.ok(grown <= maxGrowth, `${phase}: artifacts folder grew ${grown} bytes, at most ${maxGrowth} expected`);
      assert.ok(totalBytes(filesUnder(serverTmp)) - tmpBefore < MiB, `${phase}: the server wrote to its temp folder`);
    };

    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= BIG) return controller.close();
        const c = chunk(sent / MiB);
        upHash.update(c);
        sent += c.length;
        if (sent % SAMPLE_EVERY === 0) watch("upload", sent);
        controller.enqueue(c);
      },
    });
    const put = await fetch(`${url}/api/2.0/mlflow-artifacts/artifacts/${path}`, {
      method: "PUT",
      body,
      headers: { "content-type": "application/octet-stream" },
      duplex: "half",
    } as RequestInit);
    assert.equal(put.status, 200, await put.clone().text());
    assert.deepEqual(await put.json(), {});
    const uploadPeak = peakRss;
    assert.equal(lstatSync(target).size, BIG);
    assert.deepEqual(readdirSync(join(artifacts, "0/bigrun/artifacts")), ["model.bin"], "no temporary file left");
    assert.ok(totalBytes(filesUnder(serverTmp)) - tmpBefore < MiB, "nothing left in the server's temp folder");

    const res = await fetch(`${url}/api/2.0/mlflow-artifacts/artifacts/${path}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-length"), String(BIG));
    const downHash = createHash("sha256");
    let received = 0;
    let nextSample = SAMPLE_EVERY;
    for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
      downHash.update(part);
      received += part.length;
      if (received >= nextSample) {
        nextSample += SAMPLE_EVERY;
        watch("download", BIG);
      }
    }
    assert.equal(received, BIG);
    assert.equal(downHash.digest("hex"), upHash.digest("hex"), "downloaded bytes differ from uploaded ones");
    assert.equal(totalBytes(filesUnder(artifacts)), artifactsBefore + BIG, "the download wrote nothing");

    const growth = peakRss - baseline;
    console.log(
      `# 1 GiB artifact streaming: baseline RSS ${(baseline / MiB).toFixed(1)} MiB, peak growth upload ${((uploadPeak - baseline) / MiB).toFixed(1)} MiB, overall ${(growth / MiB).toFixed(1)} MiB`,
    );
    assert.ok(growth < RSS_LIMIT, `server RSS grew by ${(growth / MiB).toFixed(1)} MiB (limit 96 MiB)`);

    const tail = await fetch(`${url}/api/2.0/mlflow-artifacts/artifacts/${path}`, { headers: { range: `bytes=${BIG - MiB}-` } });
    assert.equal(tail.status, 206);
    assert.deepEqual(Buffer.from(await tail.arrayBuffer()), chunk(BIG / MiB - 1));
  });
});
