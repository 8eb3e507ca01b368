/**
 * Every way MLflow's artifact paths were broken (security-anchors §1.1–1.2),
 * sent RAW over a real socket (no client-side URL normalisation) to every
 * artifact route on both prefixes. Each request must be refused with 400 and
 * MLflow's envelope, and the whole temp world (artifacts destination, the
 * `outside/` folder, a direct run root) must be byte-for-byte unchanged.
 */
import assert from "node:assert/strict";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { openTestApp, type TestApp } from "../../testing/test-app.js";

interface Raw {
  status: number;
  body: string;
}

let port = 0;
function raw(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, method, path, headers: { ...headers, connection: "close" } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Path forms as they appear in the URL (already percent-encoded where an attacker would encode them). */
const URL_CASES: Array<[string, string]> = [
  ["raw ../", "../../outside/secret.txt"],
  ["raw ../ after a real folder", "legit/../../outside/secret.txt"],
  ["URL-encoded ../", "..%2f..%2foutside%2fsecret.txt"],
  ["%2e%2e%2f", "%2e%2e%2f%2e%2e%2foutside%2fsecret.txt"],
  ["uppercase %2E%2E%2F", "%2E%2E%2F%2E%2E%2Foutside%2Fsecret.txt"],
  ["double-encoded ../ (CVE-2024-1560)", "%252e%252e%252f%252e%252e%252foutside%252fvictim"],
  ["triple-encoded ../", "%25252e%25252e%25252foutside"],
  ["..%5c backslash (CVE-2023-6831)", "..%5c..%5coutside%5csecret.txt"],
  ["%5c..%5c (CVE-2023-2780)", "%5c..%5c..%5coutside%5csecret.txt"],
  ["absolute /etc/passwd (CVE-2023-3765)", "/etc/passwd"],
  ["absolute, encoded", "%2fetc%2fpasswd"],
  ["//proc/self/root (CVE-2023-6977)", "/proc/self/root/etc/passwd"],
  ["file:///etc/passwd (CVE-2024-3573)", "file:///etc/passwd"],
  ["file: URI encoded", "file%3a%2f%2f%2fetc%2fpasswd"],
  ["file://localhost", "file://localhost/etc/passwd"],
  ["drive letter", "C:%5cWindows%5cwin.ini"],
  ["NUL", "secret.txt%00.png"],
  ["double-encoded NUL", "secret.txt%2500.png"],
  ["CR LF", "a%0d%0aSet-Cookie:x"],
  ["fragment # (CVE-2024-1594)", "x%23%2f..%2f..%2foutside%2fsecret.txt"],
  ["query ? (CVE-2023-6909)", "x%3fa%3d..%2f..%2foutside%2fsecret.txt"],
  ["params ; (CVE-2024-1593)", "p;/../../outside/secret.txt"],
  ["params ; encoded", "p%3b%2f..%2f..%2foutside"],
  ["overlong UTF-8 dots", "%c0%ae%c0%ae%2foutside%2fsecret.txt"],
  ["decode bomb (11 rounds)", `%25${"25".repeat(10)}2e`],
  ["symlink to a folder outside", "escape-dir/secret.txt"],
  ["symlink to a folder outside, deeper", "escape-dir/victim/keep.txt"],
  ["symlink to /proc/self/root", "proc-root/etc/passwd"],
  ["the server's staging folder", ".ciclo-staging/x/upload.json"],
];

/** Read-only attacks through a symlink that is itself a file outside (writing would replace the link, inside the root). */
const READ_ONLY_CASES: Array<[string, string]> = [["symlink to a file outside", "escape-file"]];

const UPLOAD_ID = "0".repeat(32);
const json = { "content-type": "application/json" };

/** Names that are special only at the destination root, so the run-scoped routes do not apply. */
const DESTINATION_ONLY = new Set([".ciclo-staging/x/upload.json"]);

function routes(prefix: string, p: string, runId: string, write: boolean): Array<[string, string, string?, Record<string, string>?]> {
  const a = `${prefix}/mlflow-artifacts`;
  const getArtifact = prefix === "/api/2.0" ? "/get-artifact" : "/ajax-api/2.0/mlflow/get-artifact";
  const reads: Array<[string, string, string?, Record<string, string>?]> = [
    ["GET", `${a}/artifacts/${p}`],
    ["HEAD", `${a}/artifacts/${p}`],
    ["GET", `${a}/artifacts?path=${p}`],
  ];
  if (!DESTINATION_ONLY.has(p)) {
    reads.push(["GET", `${prefix}/mlflow/artifacts/list?run_id=${runId}&path=${p}`], ["GET", `${getArtifact}?run_uuid=${runId}&path=${p}`]);
  }
  if (!write) return reads;
  return [
    ...reads,
    ["PUT", `${a}/artifacts/${p}`, "pwned", { "content-type": "text/plain" }],
    ["DELETE", `${a}/artifacts/${p}`],
    ["POST", `${a}/mpu/create/${p}`, JSON.stringify({ path: "evil.bin", num_parts: 1 }), json],
    ["POST", `${a}/mpu/complete/${p}`, JSON.stringify({ path: "evil.bin", upload_id: UPLOAD_ID, parts: [{ part_number: 1, etag: "x" }] }), json],
    ["POST", `${a}/mpu/abort/${p}`, JSON.stringify({ path: "evil.bin", upload_id: UPLOAD_ID }), json],
    ["PUT", `${a}/mpu/upload-part/${p}?upload_id=${UPLOAD_ID}&part_number=1`, "pwned"],
  ];
}

function assertRefused(r: Raw, what: string): void {
  assert.equal(r.status, 400, `${what}: expected 400, got ${r.status} ${r.body}`);
  if (r.body === "") return; // HEAD answers carry no body
  const body = JSON.parse(r.body) as { error_code: string; message: string };
  assert.deepEqual(Object.keys(body).sort(), ["error_code", "message"], what);
  assert.ok(["INVALID_PARAMETER_VALUE", "BAD_REQUEST"].includes(body.error_code), `${what}: ${r.body}`);
  assert.doesNotMatch(r.body, /root:x:0:0/, what);
}

describe("artifact path traversal: refused with 400, filesystem untouched", () => {
  let fx: TestApp;
  let runId = "";
  before(async () => {
    fx = await openTestApp();
    mkdirSync(join(fx.artifactsDir, "legit"));
    writeFileSync(join(fx.artifactsDir, "legit", "file.txt"), "legit");
    const run = await fx.createRunInfo();
    runId = run.runId;
    // The same links at the destination root and inside the run's folder, so run-scoped routes meet them too.
    const runDir = join(fx.artifactsDir, run.experimentId, run.runId, "artifacts");
    mkdirSync(runDir, { recursive: true });
    for (const dir of [fx.artifactsDir, runDir]) {
      symlinkSync(fx.outsideDir, join(dir, "escape-dir"));
      symlinkSync(join(fx.outsideDir, "secret.txt"), join(dir, "escape-file"));
      symlinkSync("/proc/self/root", join(dir, "proc-root"));
    }
    await fx.app.listen({ host: "127.0.0.1", port: 0 });
    port = (fx.app.server.address() as AddressInfo).port;
  });
  after(async () => fx.close());

  test("a legitimate request on the same server still works (the refusals below are not blanket)", async () => {
    const r = await raw("GET", "/api/2.0/mlflow-artifacts/artifacts/legit/file.txt");
    assert.equal(r.status, 200);
    assert.equal(r.body, "legit");
  });

  for (const prefix of ["/api/2.0", "/ajax-api/2.0"]) {
    for (const [name, p] of [...URL_CASES, ...READ_ONLY_CASES]) {
      const write = !READ_ONLY_CASES.some(([n]) => n === name);
      test(`${prefix}: ${name} (${p})`, async () => {
        const before = fx.snapshotWorld();
        for (const [method, url, body, headers] of routes(prefix, p, runId, write)) {
          assertRefused(await raw(method, url, body, headers), `${method} ${url}`);
        }
        assert.deepEqual(fx.snapshotWorld(), before, "the filesystem changed");
      });
    }

    test(`${prefix}: mpu/create with a hostile local file name in the body`, async () => {
      const before = fx.snapshotWorld();
      for (const path of ["..", "/etc/..", "a/%2e%2e", "C:\\Users\\..", "x/%252e%252e", "", "dir/"]) {
        const r = await raw("POST", `${prefix}/mlflow-artifacts/mpu/create/legit`, JSON.stringify({ path, num_parts: 1 }), json);
        assertRefused(r, `mpu/create path=${JSON.stringify(path)}`);
      }
      assert.deepEqual(fx.snapshotWorld(), before);
    });
  }
});

describe("runs whose artifact root itself is hostile (experiment artifact_location written behind the API's back)", () => {
  let fx: TestApp;
  before(async () => {
    fx = await openTestApp();
    await fx.app.listen({ host: "127.0.0.1", port: 0 });
    port = (fx.app.server.address() as AddressInfo).port;
  });
  after(async () => fx.close());

  test("list and get-artifact refuse them with 400 and touch nothing", async () => {
    const world = pathToFileURL(fx.world).href;
    const locations = [
      "mlflow-artifacts:/../../outside",
      "mlflow-artifacts:/%2e%2e/%2e%2e/outside",
      "mlflow-artifacts://host/..%2f..%2foutside",
      `${world}/outside/..`,
      `${world}/outside?x=`,
      `${world}/#/../outside`,
      `${world}/runs;/../outside`,
      "http:///#/../../../../../../etc/",
      "http://169.254.169.254/latest/meta-data",
      "file://attacker.example/share",
    ];
    const before = fx.snapshotWorld();
    for (const [i, location] of locations.entries()) {
      const experimentId = await fx.tracking.createExperiment({ name: `hostile-${i}`, artifactLocation: location, tags: [] });
      const run = await fx.tracking.createRun({ experimentId, userId: "x", runName: "r", startTime: 0, tags: [] });
      const id = run.info.runId;
      for (const url of [`/api/2.0/mlflow/artifacts/list?run_id=${id}`, `/get-artifact?run_uuid=${id}&path=secret.txt`]) {
        assertRefused(await raw("GET", url), `${location}: ${url}`);
      }
    }
    assert.deepEqual(fx.snapshotWorld(), before);
  });

  test("a symlink inside a direct run root that leads out is refused", async () => {
    const location = pathToFileURL(join(fx.world, "direct")).href;
    const experimentId = await fx.tracking.createExperiment({ name: "direct", artifactLocation: location, tags: [] });
    const run = await fx.tracking.createRun({ experimentId, userId: "x", runName: "r", startTime: 0, tags: [] });
    const runDir = join(fx.world, "direct", run.info.runId, "artifacts");
    mkdirSync(runDir, { recursive: true });
    symlinkSync(fx.outsideDir, join(runDir, "leak"));
    const before = fx.snapshotWorld();
    assertRefused(await raw("GET", `/get-artifact?run_uuid=${run.info.runId}&path=leak/secret.txt`), "get-artifact through a link");
    assertRefused(await raw("GET", `/api/2.0/mlflow/artifacts/list?run_id=${run.info.runId}&path=leak`), "list through a link");
    const top = await raw("GET", `/api/2.0/mlflow/artifacts/list?run_id=${run.info.runId}`);
    assert.equal(top.status, 200);
    assert.deepEqual(JSON.parse(top.body).files, undefined, "the link is not listed");
    assert.deepEqual(fx.snapshotWorld(), before);
  });
});
