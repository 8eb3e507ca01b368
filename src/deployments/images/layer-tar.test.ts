/**
 * Layers are reproducible (same files → same digests, whatever the host's
 * times, owners or listing order), carry parents and fixed headers, refuse
 * links out of their folder; reading a base image's files applies layers and
 * whiteouts in order and refuses entries that climb out of the root.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { after, test } from "node:test";
import tar from "tar-stream";
import { tempDir } from "../../testing/temp-dir.js";
import { readBaseFiles } from "./base-files.js";
import { userLayer } from "./image-config.js";
import { LayerSpec, writeLayer } from "./layer-tar.js";

const tmp = tempDir("ciclo-layer-");
after(() => tmp.remove());

function tree(root: string, when: Date): void {
  mkdirSync(join(root, "sub"), { recursive: true });
  writeFileSync(join(root, "b.txt"), "bee\n");
  writeFileSync(join(root, "a.sh"), "#!/bin/sh\n");
  chmodSync(join(root, "a.sh"), 0o700);
  writeFileSync(join(root, "sub", "c.bin"), Buffer.alloc(70_000, 7));
  symlinkSync("b.txt", join(root, "link"));
  for (const f of ["b.txt", "a.sh", "sub/c.bin", "sub", "."]) utimesSync(join(root, f), when, when);
}

async function listTar(gz: string): Promise<Array<{ name: string; mode: number; uid: number; gid: number; mtime: number; type: string; linkname?: string | null }>> {
  const out: Array<{ name: string; mode: number; uid: number; gid: number; mtime: number; type: string; linkname?: string | null }> = [];
  const ex = tar.extract();
  ex.on("entry", (h, s, next) => {
    out.push({ name: h.name, mode: h.mode ?? 0, uid: h.uid ?? -1, gid: h.gid ?? -1, mtime: h.mtime?.getTime() ?? -1, type: h.type ?? "", linkname: h.linkname });
    s.on("end", next);
    s.resume();
  });
  ex.end(gunzipSync(readFileSync(gz)));
  await new Promise<void>((r) => ex.on("finish", () => r()));
  return out;
}

test("the same files give the same layer, whatever their times and the output folder", async () => {
  const a = join(tmp.path, "a");
  const b = join(tmp.path, "b");
  tree(a, new Date("2020-01-01"));
  tree(b, new Date("2024-06-30"));
  const la = await writeLayer(await new LayerSpec("t").addTree(a, "/opt/x"), join(tmp.path, "blobs1"));
  const lb = await writeLayer(await new LayerSpec("t").addTree(b, "/opt/x"), join(tmp.path, "blobs2"));
  assert.equal(la.digest, lb.digest);
  assert.equal(la.diffId, lb.diffId);
  assert.equal(la.digest, `sha256:${createHash("sha256").update(readFileSync(la.path)).digest("hex")}`);
  assert.equal(la.diffId, `sha256:${createHash("sha256").update(gunzipSync(readFileSync(la.path))).digest("hex")}`);
  assert.equal(la.size, readFileSync(la.path).length);
  const entries = await listTar(la.path);
  assert.deepEqual(entries.map((e) => e.name), ["opt", "opt/x", "opt/x/a.sh", "opt/x/b.txt", "opt/x/link", "opt/x/sub", "opt/x/sub/c.bin"]);
  const by = Object.fromEntries(entries.map((e) => [e.name, e]));
  assert.equal(by["opt/x/a.sh"].mode, 0o755);
  assert.equal(by["opt/x/b.txt"].mode, 0o644);
  assert.equal(by["opt/x/sub"].mode, 0o755);
  assert.equal(by["opt/x/link"].type, "symlink");
  assert.equal(by["opt/x/link"].linkname, "b.txt");
  for (const e of entries) {
    assert.equal(e.uid, 0);
    assert.equal(e.gid, 0);
    assert.equal(e.mtime, 1000);
  }
  // SOURCE_DATE_EPOCH moves the times, and so the digest.
  const lc = await writeLayer(await new LayerSpec("t").addTree(a, "/opt/x"), join(tmp.path, "blobs3"), new Date(1_700_000_000_000));
  assert.notEqual(lc.digest, la.digest);
  // A changed byte changes it too.
  writeFileSync(join(b, "b.txt"), "bee!\n");
  utimesSync(join(b, "b.txt"), new Date("2024-06-30"), new Date("2024-06-30"));
  assert.notEqual((await writeLayer(await new LayerSpec("t").addTree(b, "/opt/x"), join(tmp.path, "blobs4"))).digest, la.digest);
});

test("a link out of the folder, or a path with '..', is refused", async () => {
  const c = join(tmp.path, "c");
  mkdirSync(c);
  symlinkSync("/etc/passwd", join(c, "abs"));
  await assert.rejects(new LayerSpec("t").addTree(c, "/m"), /symbolic link out of .* refused/);
  const d = join(tmp.path, "d");
  mkdirSync(join(d, "in"), { recursive: true });
  symlinkSync("../../outside", join(d, "in", "up"));
  await assert.rejects(new LayerSpec("t").addTree(d, "/m"), /symbolic link out of/);
  assert.throws(() => new LayerSpec("t").file("/opt/../etc/shadow", "x"), /must not contain '\.\.'/);
  assert.throws(() => new LayerSpec("t").file("relative/path", "x"), /must be absolute/);
});

async function layerOf(files: Array<{ name: string; body?: string; type?: "file" | "symlink" | "link"; linkname?: string }>): Promise<{ path: string; digest: string }> {
  const pack = tar.pack();
  for (const f of files) {
    if (f.type && f.type !== "file") pack.entry({ name: f.name, type: f.type, linkname: f.linkname });
    else pack.entry({ name: f.name, type: "file" }, f.body ?? "");
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  const gz = gzipSync(Buffer.concat(chunks));
  const path = join(tmp.path, `layer-${Math.random().toString(36).slice(2)}.tgz`);
  writeFileSync(path, gz);
  return { path, digest: `sha256:${createHash("sha256").update(gz).digest("hex")}` };
}

test("base files: later layers win, whiteouts delete, the user is appended", async () => {
  const l1 = await layerOf([{ name: "etc/passwd", body: "root:x:0:0:root:/root:/bin/sh\n" }, { name: "etc/group", body: "root:x:0:\n" }]);
  const l2 = await layerOf([{ name: "./etc/passwd", body: "root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n" }]);
  const l3 = await layerOf([{ name: "etc/.wh.group" }]);
  const files = await readBaseFiles([l1, l2, l3], ["etc/passwd", "etc/group"]);
  assert.match(files.get("etc/passwd")!.toString(), /^node:x:1000/m);
  assert.equal(files.get("etc/group"), null);
  const user = userLayer(files.get("etc/passwd")!, null).sorted();
  const passwd = user.find((e) => e.path === "/etc/passwd")!.content!.toString();
  assert.equal(passwd, "root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\nciclo:x:10001:10001:ciclo:/home/ciclo:/sbin/nologin\n");
  assert.equal(user.find((e) => e.path === "/etc/group")!.content!.toString(), "root:x:0:\nciclo:x:10001:\n");
  assert.equal(user.find((e) => e.path === "/tmp")!.mode, 0o1777);
  assert.deepEqual([user.find((e) => e.path === "/home/ciclo")!.uid, user.find((e) => e.path === "/home/ciclo")!.gid], [10001, 10001]);
  const opaque = await layerOf([{ name: "etc/.wh..wh..opq" }]);
  assert.equal((await readBaseFiles([l1, opaque], ["etc/passwd"])).get("etc/passwd"), null);
});

test("base files: a layer climbing out of the root, a linked passwd or a non-gzip blob is refused", async () => {
  const climb = await layerOf([{ name: "usr/../../etc/passwd", body: "evil" }]);
  await assert.rejects(readBaseFiles([climb], ["etc/passwd"]), /Refused base image layer sha256:[0-9a-f]{64}: entry 'usr\/\.\.\/\.\.\/etc\/passwd' climbs out of the root/);
  const hard = await layerOf([{ name: "x", body: "x" }, { name: "y", type: "link", linkname: "../../host/file" }]);
  await assert.rejects(readBaseFiles([hard], ["etc/passwd"]), /climbs out of the root/);
  const linked = await layerOf([{ name: "etc/passwd", type: "symlink", linkname: "/host/passwd" }]);
  await assert.rejects(readBaseFiles([linked], ["etc/passwd"]), /\/etc\/passwd is a symlink/);
  const junk = join(tmp.path, "junk.tgz");
  writeFileSync(junk, "not gzip at all");
  await assert.rejects(readBaseFiles([{ path: junk, digest: "sha256:junk" }], ["etc/passwd"]), /not a readable gzip tar/);
});
