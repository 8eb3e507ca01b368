/**
 * The real server from `startServer` on a loopback port picked by the OS:
 * `/health`, `/version`, the MLflow API over `fetch`, and a graceful close
 * that lets an in-flight request finish before the store is closed.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { request, type IncomingMessage } from "node:http";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { openStores } from "../store/open-stores.js";
import { migrationSequence } from "../store/migrations/migrator.js";
import { tempDir } from "../testing/temp-dir.js";
import { startServer, type RunningServer } from "./main.js";
import { serverModules } from "../modules.js";

const API = "/api/2.0/mlflow";
const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;

function config(dbPath: string, artifacts: string) {
  return {
    backendStoreUri: `sqlite:///${dbPath}`,
    defaultArtifactRoot: "mlflow-artifacts:/",
    artifactsDestination: artifacts,
    serveArtifacts: true,
    host: "127.0.0.1",
    port: 0,
    logLevel: "silent",
  };
}

/** A request to a closing or closed server: the connection is refused or Fastify answers 503. */
async function assertNotServed(url: string): Promise<void> {
  let status: number | undefined;
  try {
    status = (await fetch(url)).status;
  } catch {
    return;
  }
  assert.equal(status, 503, `a closing server answered ${status}`);
}

async function postJson(url: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

describe("server process", () => {
  let dir: ReturnType<typeof tempDir>;
  let server: RunningServer;
  before(async () => {
    dir = tempDir();
    server = await startServer(config(join(dir.path, "ciclo.db"), join(dir.path, "artifacts")), { modules: serverModules() });
  });
  after(async () => {
    await server.close();
    dir.remove();
  });

  test("listens on the loopback address with an OS-assigned port", () => {
    const url = new URL(server.url);
    assert.equal(url.hostname, "127.0.0.1");
    assert.ok(Number(url.port) > 0);
    const addr = server.app.server.address();
    assert.ok(addr && typeof addr === "object");
    assert.equal(addr.port, Number(url.port));
  });

  test("/health answers OK as text", async () => {
    const res = await fetch(`${server.url}/health`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
    assert.equal(await res.text(), "OK");
  });

  test("/version answers the package version as text", async () => {
    const res = await fetch(`${server.url}/version`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
    assert.equal(await res.text(), PACKAGE_VERSION);
  });

  test("serves the MLflow API with JSON and MLflow's error envelope", async () => {
    const exp = await postJson(`${server.url}${API}/experiments/create`, { name: "over-http" });
    assert.equal(exp.status, 200);
    const run = await postJson(`${server.url}${API}/runs/create`, { experiment_id: exp.json.experiment_id, start_time: 1 });
    const id = run.json.run.info.run_id;
    assert.deepEqual(await postJson(`${server.url}${API}/runs/log-metric`, { run_id: id, key: "m", value: "NaN", timestamp: 2 }), { status: 200, json: {} });
    const got = await fetch(`${server.url}${API}/runs/get?run_uuid=${id}&run_id=${id}`);
    assert.match(got.headers.get("content-type") ?? "", /^application\/json/);
    const body = (await got.json()) as { run: { data: { metrics: unknown[] } } };
    assert.deepEqual(body.run.data.metrics, [{ key: "m", value: "NaN", timestamp: 2, step: 0 }]);
    const missing = await fetch(`${server.url}/ajax-api/2.0/mlflow/runs/get?run_id=nope`);
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { error_code: "RESOURCE_DOES_NOT_EXIST", message: "Run with id=nope not found" });
  });
});

describe("graceful close", () => {
  test("an in-flight request finishes and is stored before close() resolves; new connections are refused", async () => {
    const dir = tempDir();
    const dbPath = join(dir.path, "ciclo.db");
    const server = await startServer(config(dbPath, join(dir.path, "artifacts")), { modules: serverModules() });
    try {
      const exp = await postJson(`${server.url}${API}/experiments/create`, { name: "graceful" });
      const run = (await postJson(`${server.url}${API}/runs/create`, { experiment_id: exp.json.experiment_id })).json.run.info.run_id;

      const body = Buffer.from(
        JSON.stringify({ run_id: run, metrics: Array.from({ length: 100 }, (_, i) => ({ key: "loss", value: i, timestamp: 1, step: i })) }),
      );
      const url = new URL(`${server.url}${API}/runs/log-batch`);
      const events: string[] = [];
      const arrived = new Promise<void>((resolve) =>
        server.app.server.once("request", (_req, res) => {
          res.once("finish", () => events.push("response sent"));
          resolve();
        }),
      );
      let req!: ReturnType<typeof request>;
      const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
        req = request(
          {
            host: url.hostname,
            port: url.port,
            path: url.pathname,
            method: "POST",
            agent: false,
            headers: { "content-type": "application/json", "content-length": body.length },
          },
          (res: IncomingMessage) => {
            let text = "";
            res.setEncoding("utf8").on("data", (d: string) => (text += d));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
          },
        );
        req.on("error", reject);
      });
      // Half the body: the server has the request but cannot answer it yet.
      req.write(body.subarray(0, body.length >> 1));
      await arrived;

      const closed = server.close().then(() => events.push("closed"));
      // New requests are no longer served (refused, or 503 while Fastify is closing); the in-flight one is still open.
      await assertNotServed(`${server.url}/health`);
      assert.deepEqual(events, []);

      req.end(body.subarray(body.length >> 1));
      const res = await response;
      await closed;
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(JSON.parse(res.text), {});
      assert.deepEqual(events, ["response sent", "closed"]);
      await assert.rejects(fetch(`${server.url}/health`));

      // The batch was committed before the store was closed.
      const { tracking } = await openStores(`sqlite:///${dbPath}`, { defaultArtifactRoot: "mlflow-artifacts:/", migrations: migrationSequence(serverModules()) });
      try {
        const history = await tracking.getMetricHistory(run, "loss", {});
        assert.equal(history.items.length, 100);
      } finally {
        await tracking.close();
      }
    } finally {
      await server.close();
      dir.remove();
    }
  });

  test("close() is idempotent", async () => {
    const dir = tempDir();
    const server = await startServer(config(join(dir.path, "ciclo.db"), join(dir.path, "artifacts")), { modules: serverModules() });
    try {
      const first = server.close();
      const second = server.close();
      assert.equal(first, second);
      await first;
    } finally {
      dir.remove();
    }
  });
});
