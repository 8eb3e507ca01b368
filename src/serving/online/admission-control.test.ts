/**
 * Admission control: the budget's arithmetic, and the scoring app on a
 * loopback port refusing what does not fit — 413 from Content-Length before
 * a byte of the body is read, 413 the moment a chunked body passes the limit
 * (the rest is never read), 503 + Retry-After when the memory budget is
 * full, and a client that goes away mid-body giving its reservation back.
 * Raw sockets, so the test controls exactly which bytes were sent.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { linearModel } from "../../testing/model-fixtures.js";
import { startScoringKit, type KitOptions, type ScoringKit } from "../../testing/scoring-app-kit.js";
import { dataframeSplitBody } from "../../testing/scoring-overload.js";
import { tempDir } from "../../testing/temp-dir.js";
import { AdmissionControl, FRONT_BYTES_PER_BODY_BYTE } from "./admission-control.js";

describe("AdmissionControl", () => {
  test("charges body bytes × (front + runtime) per byte, refuses past the budget, frees on release", () => {
    const a = new AdmissionControl({ maxInflightBytes: 1000, retryAfterSeconds: 1 });
    a.setRuntimeBytesPerBodyByte(3);
    assert.equal(a.bytesPerBodyByte, FRONT_BYTES_PER_BODY_BYTE + 3);
    const r1 = a.tryReserve(100)!;
    assert.equal(r1.bytes, 100 * a.bytesPerBodyByte);
    const r2 = a.tryReserve(60)!;
    assert.ok(r2);
    assert.equal(a.tryReserve(100), undefined, "500 + 300 + 500 > 1000");
    assert.equal(a.stats().refused, 1);
    r1.release();
    r1.release(); // twice is once
    assert.equal(a.stats().inflightBytes, 60 * a.bytesPerBodyByte);
    assert.ok(a.tryReserve(100));
    assert.equal(a.stats().admitted, 2);
  });

  test("a chunked body grows its reservation until the budget is full", () => {
    const a = new AdmissionControl({ maxInflightBytes: 1000, retryAfterSeconds: 2 });
    a.setRuntimeBytesPerBodyByte(0); // 2 bytes per body byte
    const other = a.tryReserve(100)!; // 200
    const r = a.tryReserve(0)!;
    assert.equal(r.grow(300), true); // 800
    assert.equal(r.grow(200), false, "1200 > 1000");
    assert.equal(r.bytes, 600);
    other.release();
    r.release();
    assert.equal(a.stats().inflightBytes, 0);
    assert.equal(a.stats().peakInflightBytes, 800);
  });

  test("a lone request larger than the budget is admitted (the body limit bounds it); runtime holds take room", () => {
    const a = new AdmissionControl({ maxInflightBytes: 100, retryAfterSeconds: 1 });
    const big = a.tryReserve(1000)!;
    assert.ok(big, "nothing else in flight");
    assert.equal(a.tryReserve(1), undefined);
    big.release();
    const buffers = a.hold(90);
    assert.equal(a.tryReserve(10), undefined, "a runtime's buffers leave less room");
    buffers.resize(10);
    assert.ok(a.tryReserve(10));
    buffers.release();
  });
});

describe("the scoring app under its limits (loopback)", () => {
  const tmp = tempDir("ciclo-admission-");
  let modelDir: string;
  before(async () => {
    modelDir = await linearModel(tmp.path);
  });
  after(() => tmp.remove());

  async function listen(o: KitOptions): Promise<{ kit: ScoringKit; port: number; close(): Promise<void> }> {
    const kit = await startScoringKit(modelDir, { name: "linear", ...o });
    const server: Server = createServer(kit.app.handler);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return {
      kit,
      port: (server.address() as AddressInfo).port,
      close: async () => {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
        await kit.close();
      },
    };
  }

  /** A raw connection: what the server answered (status, headers, body) and whether it closed the connection. */
  function rawClient(port: number) {
    const socket: Socket = connect(port, "127.0.0.1");
    let received = "";
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => (received += d));
    const closed = new Promise<void>((r) => socket.once("close", () => r()));
    socket.on("error", () => undefined); // a reset after the server closed is expected
    const response = (): Promise<{ status: number; headers: string; body: string }> =>
      new Promise((resolve, reject) => {
        const check = () => {
          const end = received.indexOf("\r\n\r\n");
          if (end < 0) return false;
          const headers = received.slice(0, end).toLowerCase();
          const length = Number(/content-length: (\d+)/.exec(headers)?.[1] ?? 0);
          if (received.length < end + 4 + length) return false;
          resolve({ status: Number(received.slice(9, 12)), headers, body: received.slice(end + 4, end + 4 + length) });
          return true;
        };
        if (check()) return;
        socket.on("data", () => check());
        socket.once("close", () => check() || reject(new Error(`connection closed without a full answer: ${JSON.stringify(received)}`)));
      });
    return { socket, response, closed };
  }

  const head = (extra: string) => `POST /invocations HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n${extra}\r\n`;

  test("413 from Content-Length alone: no body byte sent, the answer comes and the connection closes", async () => {
    const s = await listen({ maxBodyBytes: 64 * 1024 });
    try {
      const c = rawClient(s.port);
      c.socket.write(head("Content-Length: 100000000\r\n"));
      const r = await c.response();
      assert.equal(r.status, 413);
      assert.match(r.headers, /connection: close/);
      const body = JSON.parse(r.body) as { error_code: string; message: string };
      assert.equal(body.error_code, "INVALID_PARAMETER_VALUE");
      assert.match(body.message, /100000000 bytes \(limit 65536 bytes\).*--max-body-mb/);
      await c.closed;
    } finally {
      await s.close();
    }
  });

  test("a chunked body is refused with 413 as it passes the limit; the rest is never read", async () => {
    const s = await listen({ maxBodyBytes: 64 * 1024 });
    try {
      const c = rawClient(s.port);
      c.socket.write(head("Transfer-Encoding: chunked\r\n"));
      const chunk = "x".repeat(16 * 1024);
      for (let i = 0; i < 5; i++) c.socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`); // 80 KB, no final chunk
      const r = await c.response();
      assert.equal(r.status, 413);
      assert.match(r.body, /more than 65536 bytes/);
      await c.closed; // the server closed without waiting for the body's end
      assert.equal(s.kit.admission.stats().inflightBytes, 0);
    } finally {
      await s.close();
    }
  });

  test("past the memory budget: 503 + Retry-After at once; a client that leaves mid-body frees its share", async () => {
    const body = dataframeSplitBody(2000);
    // Room for one body of this size (×8 per byte), not two.
    const s = await listen({ maxInflightBytes: Math.round(body.length * 8 * 1.5) });
    try {
      const holder = rawClient(s.port);
      holder.socket.write(head(`Content-Length: ${body.length}\r\n`) + body.slice(0, 1000)); // holds its reservation
      for (let i = 0; i < 200 && s.kit.admission.stats().admitted === 0; i++) await new Promise((r) => setImmediate(r));
      assert.equal(s.kit.admission.stats().admitted, 1);

      const refused = await fetch(`http://127.0.0.1:${s.port}/invocations`, { method: "POST", headers: { "content-type": "application/json" }, body });
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get("retry-after"), "1");
      const err = (await refused.json()) as { error_code: string; message: string };
      assert.equal(err.error_code, "TEMPORARILY_UNAVAILABLE");
      assert.match(err.message, /memory limit/);

      holder.socket.destroy(); // leaves before sending the rest
      for (let i = 0; i < 2000 && s.kit.admission.stats().inflightBytes !== 0; i++) await new Promise((r) => setTimeout(r, 1));
      assert.equal(s.kit.admission.stats().inflightBytes, 0, "the departed client's reservation was released");

      const ok = await fetch(`http://127.0.0.1:${s.port}/invocations`, { method: "POST", headers: { "content-type": "application/json" }, body });
      assert.equal(ok.status, 200);
      const predictions = ((await ok.json()) as { predictions: { variable: number[][] } }).predictions.variable;
      assert.equal(predictions.length, 2000);
      const metrics = await (await fetch(`http://127.0.0.1:${s.port}/metrics`)).text();
      assert.match(metrics, /ciclo_serving_admission_refused_total\{[^}]*\} 1\n/);
      assert.match(metrics, /ciclo_serving_inflight_limit_bytes\{[^}]*\} \d+/);
    } finally {
      await s.close();
    }
  });
});
