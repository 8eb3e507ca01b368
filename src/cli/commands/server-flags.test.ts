/**
 * `mlflow server`'s flags on `ciclo server`, each through a real child server
 * on a loopback port: --allowed-hosts (a foreign Host is refused: DNS
 * rebinding) with MLflow's defaults, --cors-allowed-origins, --static-prefix,
 * --expose-prometheus, --artifacts-only, --serve-artifacts, --registry-store-uri,
 * --workers and unknown gunicorn/uvicorn options (warned, not fatal), and
 * CICLO_HOST/CICLO_PORT when no flag overrides them.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runCiclo, spawnCiclo, startChildServer, type ChildServer } from "../../testing/child-server.js";
import { tempDir } from "../../testing/temp-dir.js";

/** A raw request with headers fetch will not set (Host, Origin). */
function send(url: string, method: string, headers: Record<string, string>, body?: string): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function stop(server: ChildServer | undefined): Promise<void> {
  if (!server || server.proc.exitCode !== null) return;
  server.proc.kill("SIGTERM");
  await server.exited;
}

describe("ciclo server with mlflow server's flags", () => {
  const dir = tempDir();
  let server: ChildServer;
  const db = `sqlite:///${join(dir.path, "flags.db")}`;
  before(async () => {
    server = await startChildServer(db, join(dir.path, "artifacts"), {
      args: [
        "--allowed-hosts", "mlflow.internal,*.example.org",
        "--cors-allowed-origins", "https://app.example.org",
        "--static-prefix", "/mlflow",
        "--expose-prometheus", join(dir.path, "prom"),
        "--serve-artifacts",
        "--registry-store-uri", db,
        "--workers", "4",
        "--gunicorn-opts", "--timeout 60",
        "--dev",
      ],
    });
  });
  after(async () => {
    await stop(server);
    dir.remove();
  });

  const api = (path: string) => `${server.url}/mlflow/api/2.0/mlflow/${path}`;

  test("--static-prefix: routes live under the prefix only", async () => {
    assert.equal((await send(`${server.url}/mlflow/health`, "GET", {})).status, 200);
    const outside = await send(`${server.url}/api/2.0/mlflow/experiments/search?max_results=1`, "GET", { host: "mlflow.internal" });
    assert.equal(outside.status, 404, outside.text);
  });

  test("--allowed-hosts: listed hosts and patterns are answered, a foreign Host is refused", async () => {
    for (const host of ["mlflow.internal", "mlflow.internal:5000", "team.example.org"]) {
      const ok = await send(api("experiments/search?max_results=1"), "GET", { host });
      assert.equal(ok.status, 200, `${host}: ${ok.text}`);
    }
    for (const host of ["attacker.example.com", "localhost"]) {
      const refused = await send(api("experiments/search?max_results=1"), "GET", { host });
      assert.equal(refused.status, 403, `${host}: ${refused.text}`);
      assert.match(refused.text, /Invalid Host header - possible DNS rebinding attack detected/);
    }
  });

  test("--cors-allowed-origins: an allowed origin gets CORS headers; another may not change state", async () => {
    const headers = { host: "mlflow.internal", "content-type": "application/json" };
    const allowed = await send(api("experiments/create"), "POST", { ...headers, origin: "https://app.example.org" }, JSON.stringify({ name: "from-app" }));
    assert.equal(allowed.status, 200, allowed.text);
    assert.equal(allowed.headers["access-control-allow-origin"], "https://app.example.org");
    const preflight = await send(api("experiments/create"), "OPTIONS", { host: "mlflow.internal", origin: "https://app.example.org", "access-control-request-method": "POST" });
    assert.equal(preflight.status, 204);
    const blocked = await send(api("experiments/create"), "POST", { ...headers, origin: "https://evil.example.net" }, JSON.stringify({ name: "from-evil" }));
    assert.equal(blocked.status, 403, blocked.text);
    assert.match(blocked.text, /Cross-origin request blocked/);
    const search = await send(api("experiments/get-by-name?experiment_name=from-evil"), "GET", { host: "mlflow.internal" });
    assert.equal(search.status, 404, "the blocked request created nothing");
  });

  test("--expose-prometheus: /metrics in Prometheus' text format", async () => {
    const metrics = await send(`${server.url}/mlflow/metrics`, "GET", { host: "mlflow.internal" });
    assert.equal(metrics.status, 200);
    assert.match(metrics.text, /ciclo_http_request_duration_seconds_bucket\{/);
    assert.match(metrics.text, /route="\/api\/2.0\/mlflow\/experiments\/search"/);
  });

  test("--workers and unknown gunicorn options are accepted with warnings", () => {
    const warnings = server.logs.filter((l) => l.level === 40).map((l) => String(l.msg));
    assert.ok(warnings.some((m) => m.includes("--gunicorn-opts") && m.includes("--dev")), warnings.join("\n"));
    assert.ok(warnings.some((m) => m.startsWith("--workers")), warnings.join("\n"));
  });
});

describe("ciclo server's defaults and environment", () => {
  const dir = tempDir();
  after(() => dir.remove());

  test("without --allowed-hosts: loopback names, private addresses and the bound host are allowed, others refused", async () => {
    const server = await startChildServer(`sqlite:///${join(dir.path, "defaults.db")}`, join(dir.path, "a1"));
    try {
      for (const host of ["localhost:5000", "127.0.0.1", "10.1.2.3:5000", "192.168.0.7", "172.20.0.2:80", new URL(server.url).host]) {
        assert.equal((await send(`${server.url}/api/2.0/mlflow/experiments/search?max_results=1`, "GET", { host })).status, 200, host);
      }
      const foreign = await send(`${server.url}/api/2.0/mlflow/experiments/search?max_results=1`, "GET", { host: "rebind.attacker.example" });
      assert.equal(foreign.status, 403);
      // Probes answer whatever name they use.
      assert.equal((await send(`${server.url}/health`, "GET", { host: "rebind.attacker.example" })).status, 200);
      const fromPage = await send(`${server.url}/api/2.0/mlflow/experiments/create`, "POST", { "content-type": "application/json", origin: "https://attacker.example" }, '{"name":"x"}');
      assert.equal(fromPage.status, 403);
      const fromLocalUi = await send(`${server.url}/api/2.0/mlflow/experiments/create`, "POST", { "content-type": "application/json", origin: "http://localhost:3000" }, '{"name":"y"}');
      assert.equal(fromLocalUi.status, 200, fromLocalUi.text);
      // Scoring calls answered below Fastify (the router's fast path) meet the same Host and Origin checks.
      const score = (headers: Record<string, string>) => send(`${server.url}/endpoints/nope/invocations`, "POST", { "content-type": "application/json", ...headers }, '{"inputs": [[1]]}');
      const allowed = await score({ host: "127.0.0.1" });
      assert.equal(allowed.status, 404, allowed.text);
      assert.equal(JSON.parse(allowed.text).error_code, "RESOURCE_DOES_NOT_EXIST");
      assert.equal((await score({ host: "rebind.attacker.example" })).status, 403);
      assert.equal((await score({ host: "127.0.0.1", origin: "https://attacker.example" })).status, 403);
    } finally {
      await stop(server);
    }
  });

  test("CICLO_HOST and CICLO_PORT apply when no flag is given; --artifacts-only serves only the artifact API", async () => {
    const proc = spawnCiclo(
      ["server", "--artifacts-only", "--backend-store-uri", `sqlite:///${join(dir.path, "env.db")}`, "--artifacts-destination", join(dir.path, "a2")],
      { CICLO_HOST: "127.0.0.1", CICLO_PORT: "0" },
    );
    let out = "";
    const url = await new Promise<string>((resolve, reject) => {
      proc.stdout!.setEncoding("utf8").on("data", (d: string) => {
        out += d;
        const m = /"url":"([^"]+)"/.exec(out);
        if (m) resolve(m[1]);
      });
      proc.once("exit", (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    try {
      const port = Number(new URL(url).port);
      assert.notEqual(port, 5000, "CICLO_PORT=0 picked a free port instead of the default");
      const tracking = await send(`${url}/api/2.0/mlflow/experiments/search?max_results=1`, "GET", {});
      assert.equal(tracking.status, 503, tracking.text);
      assert.match(tracking.text, /--artifacts-only/);
      const artifacts = await send(`${url}/api/2.0/mlflow-artifacts/artifacts`, "GET", {});
      assert.equal(artifacts.status, 200, artifacts.text);
    } finally {
      proc.kill("SIGTERM");
      await new Promise((r) => (proc.exitCode === null ? proc.once("exit", r) : r(undefined)));
    }
  });

  test("--registry-store-uri naming another store is refused with what to do", async () => {
    const r = await runCiclo([
      "server", "--port", "0", "--backend-store-uri", `sqlite:///${join(dir.path, "one.db")}`, "--registry-store-uri", `sqlite:///${join(dir.path, "two.db")}`,
    ]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr + r.stdout, /--registry-store-uri .* differs from the backend store/);
  });
});
