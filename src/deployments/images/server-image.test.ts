/**
 * The server image's plan on a small checkout: production packages only
 * (nested ones too), without native sources, build leftovers or other
 * platforms' binaries; dist/ without maps and typings; the data volume owned
 * by the ciclo user; settings for a read-only root. (A real build, push and
 * podman run of it is in docs/images.md: it needs `npm run build`.)
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { tempDir } from "../../testing/temp-dir.js";
import { parsePlatform } from "./oci-manifest.js";
import { planServerImage, SERVER_DATA } from "./server-image.js";

const tmp = tempDir("ciclo-server-image-");
after(() => tmp.remove());

function put(rel: string, body = "x"): void {
  mkdirSync(dirname(join(tmp.path, rel)), { recursive: true });
  writeFileSync(join(tmp.path, rel), body);
}

test("production packages (and the optional peers, with what they need) for one platform, dist/ without maps, a volume the user owns", async () => {
  const arch = process.arch;
  put("package.json", '{"name":"ciclo","version":"0.1.0","peerDependencies":{"onnxruntime-node":"^1.30.0","mysql2":"^3"}}');
  put("bin/ciclo.js");
  for (const f of ["dist/cli/main.js", "dist/cli/main.js.map", "dist/cli/main.d.ts", "dist/ui/index.html", "dist/.tsbuildinfo"]) put(f);
  put(
    "package-lock.json",
    JSON.stringify({
      packages: {
        "": {},
        "node_modules/fastify": {},
        "node_modules/fastify/node_modules/semver": {},
        "node_modules/fastify/node_modules/devonly": { dev: true },
        "node_modules/better-sqlite3": {},
        "node_modules/onnxruntime-node": { dev: true, dependencies: { "onnxruntime-common": "1.30.0" } },
        "node_modules/onnxruntime-common": { dev: true },
        "node_modules/typescript": { dev: true },
      },
    }),
  );
  for (const f of ["fastify/index.js", "fastify/README.md", "fastify/node_modules/semver/index.js", "fastify/node_modules/devonly/index.js", "typescript/lib/tsc.js", "onnxruntime-common/index.js"]) put(`node_modules/${f}`);
  for (const f of ["lib/index.js", "build/Release/better_sqlite3.node", "build/Release/obj.target/x.o", "build/Release/test_extension.node", "build/Makefile", "deps/sqlite3/sqlite3.c", "src/better_sqlite3.cpp", "binding.gyp", "package.json"]) put(`node_modules/better-sqlite3/${f}`);
  for (const f of ["dist/index.js", "package.json", `bin/napi-v6/linux/${arch}/onnxruntime_binding.node`, "bin/napi-v6/linux/arm64-or-other/x.node", "bin/napi-v6/darwin/arm64/x.node", "bin/napi-v6/win32/x64/x.node", "script/install.js"]) put(`node_modules/onnxruntime-node/${f}`);
  const plan = await planServerImage(parsePlatform(arch === "x64" ? "linux/amd64" : `linux/${arch}`), tmp.path);
  const files = plan.layers.flatMap((l) => l.sorted().filter((e) => e.type === "file").map((e) => e.path));
  const nm = "/opt/ciclo/node_modules";
  assert.deepEqual(files.filter((f) => f.startsWith(nm)).sort(), [
    `${nm}/better-sqlite3/build/Release/better_sqlite3.node`,
    `${nm}/better-sqlite3/lib/index.js`,
    `${nm}/better-sqlite3/package.json`,
    `${nm}/fastify/index.js`,
    `${nm}/fastify/node_modules/semver/index.js`,
    `${nm}/onnxruntime-common/index.js`,
    `${nm}/onnxruntime-node/bin/napi-v6/linux/${arch}/onnxruntime_binding.node`,
    `${nm}/onnxruntime-node/dist/index.js`,
    `${nm}/onnxruntime-node/package.json`,
  ]);
  assert.deepEqual(files.filter((f) => !f.startsWith(nm)).sort(), ["/opt/ciclo/bin/ciclo.js", "/opt/ciclo/dist/cli/main.js", "/opt/ciclo/dist/ui/index.html", "/opt/ciclo/package.json"]);
  const volume = plan.layers[1].sorted().find((e) => e.path === SERVER_DATA)!;
  assert.deepEqual([volume.uid, volume.gid, volume.type], [10001, 10001, "directory"]);
  assert.deepEqual(plan.settings.volumes, [SERVER_DATA]);
  assert.deepEqual(plan.settings.cmd, ["server", "--host", "0.0.0.0", "--port", "5000", "--insecure"]);
  assert.equal(plan.settings.env.CICLO_BACKEND_STORE_URI, `sqlite:///${SERVER_DATA}/ciclo.db`);
  assert.match(plan.settings.healthcheck!.test.join(" "), /\/health/);
});

test("without dist/ it says to build first; another architecture is refused", async () => {
  const empty = join(tmp.path, "empty");
  mkdirSync(empty);
  await assert.rejects(planServerImage(parsePlatform(process.arch === "x64" ? "linux/amd64" : "linux/arm64"), empty), /run `npm run build` first/);
  await assert.rejects(planServerImage(parsePlatform(process.arch === "x64" ? "linux/arm64" : "linux/amd64"), empty), /can only be built for linux\//);
});
