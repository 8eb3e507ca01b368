/**
 * DNS rebinding against `ciclo gateway` on a developer's machine: a web page
 * whose name the attacker re-points at 127.0.0.1 sends its requests with its
 * own Host. Bound to loopback (the default), the gateway answers only Hosts
 * the server itself allows by default (loopback names, private addresses),
 * on the fast path and the full one; /health answers any. A real
 * `ciclo server` (child process) gives it its route table.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { startChildServer, type ChildServer } from "../../testing/child-server.js";
import { tempDir } from "../../testing/temp-dir.js";
import { startGateway, type Gateway } from "./gateway-server.js";

const dir = tempDir("ciclo-gw-host-");
let server: ChildServer;
let gateway: Gateway;

before(async () => {
  server = await startChildServer(`sqlite:///${join(dir.path, "ciclo.db")}`, join(dir.path, "artifacts"));
  gateway = await startGateway({ trackingUri: server.url, host: "127.0.0.1", port: 0, refreshMs: 60_000, inferenceLog: false, log: () => {} });
});
after(async () => {
  await gateway?.close();
  server?.proc.kill();
  await server?.exited;
  dir.remove();
});

function send(method: string, path: string, host: string, body?: string): Promise<{ status: number; text: string }> {
  const url = new URL(gateway.url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method, path, headers: { host, "content-type": "application/json", ...(body !== undefined && { "content-length": Buffer.byteLength(body) }) } },
      (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (d: string) => (text += d)).on("end", () => resolve({ status: res.statusCode!, text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

test("a Host that is not this machine's is refused before routing, on both paths; probes answer any", async () => {
  for (const [method, path, body] of [["POST", "/endpoints/fraud/invocations", '{"inputs": [[1]]}'], ["GET", "/endpoints/fraud/v2/models/m"], ["GET", "/metrics"]] as const) {
    const r = await send(method, path, "evil.example:8080", body);
    assert.equal(r.status, 403, `${method} ${path}: ${r.text}`);
    assert.deepEqual(JSON.parse(r.text), { error_code: "PERMISSION_DENIED", message: "Invalid Host header - possible DNS rebinding attack detected" });
  }
  const mine = await send("POST", "/endpoints/fraud/invocations", `127.0.0.1:${new URL(gateway.url).port}`, '{"inputs": [[1]]}');
  assert.equal(mine.status, 404, mine.text); // no such endpoint: routed, not refused
  assert.equal((await send("GET", "/metrics", "localhost")).status, 200);
  assert.equal((await send("GET", "/health", "evil.example")).status, 200);
});
