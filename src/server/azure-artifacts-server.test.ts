/**
 * End to end on Azure Blob Storage (Azurite): the `ciclo` bin started with
 * `--default-artifact-root wasbs://…` and `--artifacts-destination wasbs://…`,
 * credentials from AZURE_STORAGE_CONNECTION_STRING as a user sets them. Bytes
 * go up and down through the proxied artifacts API (one PUT, ranged GET,
 * multipart with SAS part URLs, delete), land in the container (checked
 * behind the server's back), and a run's wasbs:// root is served too.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pseudoRandomBytes, sha256 } from "../artifacts/contract/byte-streams.js";
import { azuriteUnavailable, createTestContainer, type AzureTestContainer } from "../testing/azurite-fixture.js";
import { callApi, startChildServer, type ChildServer } from "../testing/child-server.js";
import { tempDir } from "../testing/temp-dir.js";

const MiB = 1024 * 1024;

describe("ciclo server with wasbs:// artifact roots (Azurite)", () => {
  let c: AzureTestContainer | undefined;
  let server: ChildServer | undefined;
  const dir = tempDir("ciclo-azure-e2e-");
  let proxied: string;

  before(async () => {
    if (await azuriteUnavailable()) return;
    c = await createTestContainer();
    server = await startChildServer(`sqlite:///${join(dir.path, "ciclo.db")}`, `${c.wasbsRoot}/proxied`, {
      args: ["--default-artifact-root", `${c.wasbsRoot}/runs`],
      env: c.env,
    });
    proxied = `${server.url}/api/2.0/mlflow-artifacts/artifacts`;
  });
  after(async () => {
    if (server) {
      server.proc.kill("SIGTERM");
      await server.exited;
    }
    await c?.drop();
    dir.remove();
  });
  const it = (title: string, fn: (c: AzureTestContainer, server: ChildServer) => Promise<void>) =>
    test(title, async (t) => {
      if (!c || !server) return t.skip("Azurite unavailable");
      await fn(c, server);
    });

  it("the server announces the Azure roots it uses", async (c, server) => {
    const line = await server.waitForLog("ciclo server listening");
    assert.equal(line.defaultArtifactRoot, `${c.wasbsRoot}/runs`);
    assert.equal(line.artifactsDestination, `${c.wasbsRoot}/proxied`);
  });

  it("a PUT through the proxied API lands in the container and streams back, whole and ranged", async (c) => {
    const data = pseudoRandomBytes(3 * MiB + 5, 42);
    const put = await fetch(`${proxied}/1/run-a/artifacts/model/weights.bin`, { method: "PUT", body: data });
    assert.equal(put.status, 200, await put.text());
    const props = await c.client.getBlobClient("proxied/1/run-a/artifacts/model/weights.bin").getProperties();
    assert.equal(props.contentLength, data.length, "the blob is in Azure, under the destination's prefix");
    const got = await fetch(`${proxied}/1/run-a/artifacts/model/weights.bin`);
    assert.equal(got.status, 200);
    assert.equal(sha256(Buffer.from(await got.arrayBuffer())), sha256(data));
    const ranged = await fetch(`${proxied}/1/run-a/artifacts/model/weights.bin`, { headers: { range: "bytes=100-199" } });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.headers.get("content-range"), `bytes 100-199/${data.length}`);
    assert.deepEqual(Buffer.from(await ranged.arrayBuffer()), data.subarray(100, 200));
    const listed = (await (await fetch(`${proxied}?path=1/run-a/artifacts`)).json()) as { files: Array<{ path: string; is_dir: boolean }> };
    assert.deepEqual(listed.files, [{ path: "model", is_dir: true }]);
  });

  it("multipart through the proxied API: SAS part URLs straight to Azure, then complete", async (c, server) => {
    const parts = [pseudoRandomBytes(5 * MiB, 1), pseudoRandomBytes(5 * MiB, 2), pseudoRandomBytes(1234, 3)];
    const base = `${server.url}/api/2.0/mlflow-artifacts/mpu`;
    const created = await fetch(`${base}/create/1/run-b/artifacts`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ path: "/home/me/big.onnx", num_parts: 3 }),
    });
    assert.equal(created.status, 200, await created.clone().text());
    const { upload_id, credentials } = (await created.json()) as { upload_id: string; credentials: Array<{ url: string; part_number: number; headers: Record<string, string> }> };
    const done: Array<{ part_number: number; etag: string; url: string }> = [];
    for (const cred of credentials) {
      assert.ok(!cred.url.startsWith(server.url), "the part URL points at Azure, not at the server");
      const res = await fetch(cred.url, { method: "PUT", body: parts[cred.part_number - 1], headers: cred.headers });
      assert.equal(res.status, 201, await res.text());
      done.push({ part_number: cred.part_number, etag: res.headers.get("etag") ?? "", url: cred.url });
    }
    const completed = await fetch(`${base}/complete/1/run-b/artifacts`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ path: "/home/me/big.onnx", upload_id, parts: done }),
    });
    assert.equal(completed.status, 200, await completed.text());
    const got = await fetch(`${proxied}/1/run-b/artifacts/big.onnx`);
    assert.equal(sha256(Buffer.from(await got.arrayBuffer())), sha256(Buffer.concat(parts)));
    assert.ok(await c.client.getBlobClient("proxied/1/run-b/artifacts/big.onnx").exists());
  });

  it("DELETE removes the blobs; hostile paths are refused in MLflow's format and change nothing", async (c) => {
    await fetch(`${proxied}/tmp/x.txt`, { method: "PUT", body: "x" });
    const del = await fetch(`${proxied}/tmp`, { method: "DELETE" });
    assert.equal(del.status, 200, await del.text());
    assert.equal(await c.client.getBlobClient("proxied/tmp/x.txt").exists(), false);
    for (const p of ["..%2f..%2fescape.txt", "a%5c..%5cb", "%2e%2e%2fx", "dir./x"]) {
      const res = await fetch(`${proxied}/${p}`, { method: "PUT", body: "no" });
      assert.equal(res.status, 400, p);
      assert.equal(((await res.json()) as { error_code: string }).error_code, "INVALID_PARAMETER_VALUE");
    }
    const left: string[] = [];
    for await (const b of c.client.listBlobsFlat()) left.push(b.name);
    assert.ok(left.every((n) => n.startsWith("proxied/")), JSON.stringify(left));
  });

  it("a run created under the wasbs:// default root gets a wasbs:// artifact URI, and its files are served", async (c, server) => {
    const exp = await callApi(server.url, "POST", "experiments/create", { name: "azure-e2e" });
    assert.equal(exp.status, 200, JSON.stringify(exp.body));
    const run = await callApi(server.url, "POST", "runs/create", { experiment_id: exp.body.experiment_id, start_time: Date.now() });
    const info = (run.body.run as { info: { run_id: string; artifact_uri: string } }).info;
    assert.equal(info.artifact_uri, `${c.wasbsRoot}/runs/${String(exp.body.experiment_id)}/${info.run_id}/artifacts`);
    // A client with Azure credentials writes the run's artifacts itself (MLflow's non-proxied flow).
    await c.client.getBlockBlobClient(`runs/${String(exp.body.experiment_id)}/${info.run_id}/artifacts/metrics/roc.json`).upload("{}", 2);
    const listed = await callApi(server.url, "GET", `artifacts/list?run_id=${info.run_id}&path=metrics`);
    assert.deepEqual(listed.body.files, [{ path: "metrics/roc.json", is_dir: false, file_size: 2 }]);
    const got = await fetch(`${server.url}/get-artifact?run_uuid=${info.run_id}&path=metrics/roc.json`);
    assert.equal(got.status, 200);
    assert.equal(await got.text(), "{}");
  });
});
