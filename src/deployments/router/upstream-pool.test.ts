/**
 * The router's connections to a replica, against stand-ins on real sockets:
 * node's HTTP server (what `ciclo models serve` is) and raw TCP servers that
 * misbehave on purpose.
 */
import assert from "node:assert/strict";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from "node:net";
import { after, describe, test } from "node:test";
import { DEPTH, UpstreamPool, type Upstream, type UpstreamRequest } from "./upstream-pool.js";

const call = (pool: UpstreamPool, req: UpstreamRequest) => new Promise<Upstream>((resolve) => pool.request(req, resolve));
const post = (body: string, headers: Record<string, string> = {}): UpstreamRequest => ({ method: "POST", path: "/invocations", headers: { "content-type": "application/json", ...headers }, body: Buffer.from(body) });
const listen = async <S extends Server | NetServer>(s: S): Promise<S> => {
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return s;
};
const origin = (s: Server | NetServer) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;

describe("the router's connections to a replica", () => {
  const closers: Array<() => Promise<void>> = [];
  after(async () => {
    for (const c of closers) await c();
  });

  test("requests of one turn are pipelined, a few connections for many; each answer reaches its caller", async () => {
    const sockets = new Set<Socket>();
    const n = 3 * DEPTH + 1;
    // The first n requests are held until all have arrived, then answered last first; node still writes each
    // connection's answers in request order. Later requests are answered as they come.
    let hold = n;
    const held: Array<() => void> = [];
    const replica = await listen(
      createHttpServer((req, res) => {
        sockets.add(req.socket);
        let body = "";
        req.on("data", (c: Buffer) => (body += c));
        req.on("end", () => {
          const answer = () => res.writeHead(200, { "content-type": "application/json", "x-request-id": String(req.headers["x-request-id"]) }).end(body);
          if (hold === 0) return answer();
          held.push(answer);
          if (held.length < hold) return;
          hold = 0;
          for (const a of held.reverse()) a();
        });
      }),
    );
    const pool = new UpstreamPool(origin(replica));
    closers.push(async () => {
      await pool.close();
      replica.closeAllConnections();
      replica.close();
    });
    const answers = await Promise.all(Array.from({ length: n }, (_, i) => call(pool, post(String(i), { "x-request-id": `r${i}` }))));
    answers.forEach((a, i) => {
      assert.ok(a.ok, JSON.stringify(a));
      assert.equal(a.body.toString(), String(i));
      assert.equal(a.headers["x-request-id"], `r${i}`);
    });
    assert.equal(sockets.size, Math.ceil(n / DEPTH), "one connection per group of pipelined requests");
    // The next turn's requests reuse those connections.
    await Promise.all([call(pool, post("1")), call(pool, post("2"))]);
    assert.equal(sockets.size, Math.ceil(n / DEPTH));
    // Without pipelining (the default for a host name: maybe a load balancer spreading connections), one each.
    sockets.clear();
    const spread = new UpstreamPool(origin(replica), { depth: 1 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => call(spread, post(String(i)))));
    assert.equal(sockets.size, 10);
    await spread.close();
  });

  test("a reused connection that ends before answering: the request goes again on a new one", async () => {
    let connections = 0;
    const replica = await listen(
      createNetServer((socket) => {
        connections++;
        let seen = 0;
        socket.on("data", (d: Buffer) => {
          // Answers the first request of each connection; closes on the second without a word (an idle timeout's race).
          if (!d.includes("HTTP/1.1\r\n")) return;
          if (++seen === 1) socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
          else socket.destroy();
        });
      }),
    );
    const pool = new UpstreamPool(origin(replica));
    closers.push(async () => {
      await pool.close();
      replica.close();
    });
    assert.equal((await call(pool, post("{}"))).ok, true);
    const second = await call(pool, post("{}"));
    assert.ok(second.ok, JSON.stringify(second));
    assert.equal(second.body.toString(), "ok");
    assert.equal(connections, 2);
  });

  test("requests pipelined behind an answer that closes the connection fail with why; a malformed answer too", async () => {
    const replica = await listen(
      createNetServer((socket) => {
        let done = false;
        socket.on("data", (d: Buffer) => {
          if (done) return;
          done = true;
          if (d.includes("bad")) return void socket.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Bad: a\x01b\r\n\r\nok");
          socket.end("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 5\r\n\r\nfirst");
        });
      }),
    );
    const pool = new UpstreamPool(origin(replica));
    closers.push(async () => {
      await pool.close();
      replica.close();
    });
    const [first, ...rest] = await Promise.all([call(pool, post("1")), call(pool, post("2")), call(pool, post("3"))]);
    assert.ok(first.ok && first.body.toString() === "first", JSON.stringify(first));
    for (const r of rest) {
      assert.equal(r.ok, false);
      assert.match((r as { message: string }).message, /closed the connection before its answer ended|other side closed/);
    }
    const bad = await call(pool, post("bad"));
    assert.equal(bad.ok, false);
    assert.match((bad as { message: string }).message, /control characters/);
  });

  test("a replica that is not there: connection refused, said plainly", async () => {
    const gone = await listen(createNetServer());
    const url = origin(gone);
    await new Promise((r) => gone.close(r));
    const pool = new UpstreamPool(url);
    closers.push(() => pool.close());
    const r = await call(pool, post("{}"));
    assert.equal(r.ok, false);
    assert.match((r as { message: string }).message, /ECONNREFUSED/);
  });

  test("header values with control characters are never written", async () => {
    const pool = new UpstreamPool("http://127.0.0.1:9");
    closers.push(() => pool.close());
    const r = await call(pool, post("{}", { "x-request-id": "a\r\nx-injected: 1" }));
    assert.equal(r.ok, false);
    assert.match((r as { message: string }).message, /cannot be forwarded/);
  });
});
