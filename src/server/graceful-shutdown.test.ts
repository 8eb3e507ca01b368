/**
 * SIGTERM on a real `ciclo server` child process: requests already being
 * received finish with 200, new connections are refused, the process exits 0
 * and the SQLite database is closed cleanly (WAL checkpointed and removed).
 *
 * "In flight" is made deterministic without sleeps: each request is sent with
 * `Expect: 100-continue`; the server's `100 Continue` proves it has parsed the
 * headers and routed the request, and the body is completed only after the
 * server has logged that it is shutting down.
 */
import assert from "node:assert/strict";
import { existsSync, statSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import BetterSqlite3 from "better-sqlite3";
import { serverModules } from "../modules.js";
import { migrationSequence } from "../store/migrations/migrator.js";
import { openStores } from "../store/open-stores.js";
import { callApi, startChildServer, type ChildServer } from "../testing/child-server.js";
import { tempDir } from "../testing/temp-dir.js";

interface HttpResult {
  status: number;
  body: string;
}

/** A POST whose headers are sent at once and whose body is completed by `finish()`. */
function partialPost(baseUrl: string, path: string, payload: unknown) {
  const body = Buffer.from(JSON.stringify(payload));
  const half = Math.floor(body.length / 2);
  const u = new URL(`${baseUrl}/api/2.0/mlflow/${path}`);
  let onContinue!: () => void;
  const continued = new Promise<void>((r) => (onContinue = r));
  let finish!: () => void;
  const response = new Promise<HttpResult>((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: "POST",
        agent: false,
        headers: { "content-type": "application/json", "content-length": body.length, expect: "100-continue" },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (d: string) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on("error", reject);
    req.on("continue", () => {
      req.write(body.subarray(0, half));
      onContinue();
    });
    req.flushHeaders();
    finish = () => req.end(body.subarray(half));
  });
  // Awaited later; a failure before then must not surface as an unhandled rejection.
  response.catch(() => {});
  return { continued, response, finish: () => finish() };
}

/** One GET on a fresh connection: the status, or the connection error's code. */
function freshGet(baseUrl: string, path: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(`${baseUrl}${path}`, { agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end();
  });
}

describe("graceful shutdown of a child server (SQLite)", () => {
  const dir = tempDir();
  let server: ChildServer | undefined;
  after(() => {
    if (server && server.proc.exitCode === null && server.proc.signalCode === null) server.proc.kill("SIGKILL");
    dir.remove();
  });

  test("SIGTERM: in-flight requests complete, new connections refused, exit 0, database clean", { timeout: 120_000 }, async () => {
    const dbPath = join(dir.path, "ciclo.db");
    server = await startChildServer(`sqlite:///${dbPath}`, join(dir.path, "artifacts"));
    console.log(`# child server startup: ${server.startupWallMs} ms wall (server-reported startupMs=${server.startupMs})`);
    const { url } = server;

    const exp = await callApi(url, "POST", "experiments/create", { name: "shutdown" });
    assert.equal(exp.status, 200, JSON.stringify(exp.body));
    const created = await callApi(url, "POST", "runs/create", { experiment_id: exp.body.experiment_id, start_time: 1 });
    assert.equal(created.status, 200);
    const runId = (created.body.run as { info: { run_id: string } }).info.run_id;

    // Three requests the server has routed but whose bodies are still arriving.
    const inflight = [0, 1, 2].map((i) =>
      partialPost(url, "runs/log-batch", {
        run_id: runId,
        params: [{ key: `p${i}`, value: `v${i}` }],
        tags: [{ key: `t${i}`, value: "x".repeat(5_000) }],
        metrics: Array.from({ length: 200 }, (_, s) => ({ key: `m${i}`, value: s / 2, timestamp: 1000 + s, step: s })),
      }),
    );
    await Promise.all(inflight.map((r) => r.continued));

    server.proc.kill("SIGTERM");
    await server.waitForLog("shutting down: finishing in-flight requests");

    // Until the listening socket is closed a new connection may still be accepted, and is then
    // answered 503 (Fastify's return503OnClosing); it must never be served. Then: refused.
    const seen: Array<number | string> = [];
    for (let i = 0; i < 10_000; i++) {
      const r = await freshGet(url, "/health");
      seen.push(r);
      if (r === "ECONNREFUSED") break;
      assert.ok(r === 503 || r === "ECONNRESET", `a new connection during shutdown got ${String(r)}`);
    }
    console.log(`# new connections after SIGTERM: ${seen.join(", ")}`);
    assert.equal(seen[seen.length - 1], "ECONNREFUSED", `new connections were not refused: ${seen.slice(-5).join(", ")}`);
    assert.equal(server.proc.exitCode, null, "the process must wait for the in-flight requests");

    for (const r of inflight) r.finish();
    const results = await Promise.allSettled(inflight.map((r) => r.response));
    for (const res of results) {
      assert.equal(res.status, "fulfilled", res.status === "rejected" ? String(res.reason) : "");
      if (res.status === "fulfilled") assert.equal(res.value.status, 200, res.value.body);
    }

    const exit = await server.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, server.stderr());
    await server.waitForLog("shutdown complete");

    // Closed cleanly: the last connection's close checkpoints the WAL and deletes it.
    const wal = `${dbPath}-wal`;
    assert.ok(!existsSync(wal) || statSync(wal).size === 0, "WAL left behind: the database was not closed");
    const raw = new BetterSqlite3(dbPath, { readonly: true });
    try {
      assert.equal(raw.pragma("integrity_check", { simple: true }), "ok");
      assert.equal(raw.pragma("journal_mode", { simple: true }), "wal");
    } finally {
      raw.close();
    }

    // Reopening through the store works, and what the in-flight requests wrote is there.
    const { tracking } = await openStores(`sqlite:///${dbPath}`, { defaultArtifactRoot: "mlflow-artifacts:/", migrations: migrationSequence(serverModules()) });
    try {
      const run = await tracking.getRun(runId);
      assert.deepEqual(
        run.data.params.map((p) => `${p.key}=${p.value}`).sort(),
        ["p0=v0", "p1=v1", "p2=v2"],
      );
      for (const i of [0, 1, 2]) {
        const history = await tracking.getMetricHistory(runId, `m${i}`, {});
        assert.equal(history.items.length, 200);
      }
    } finally {
      await tracking.close();
    }
  });
});
