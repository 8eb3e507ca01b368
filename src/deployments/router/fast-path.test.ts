/**
 * The router's fast path on real sockets: a node:http server stands for the
 * app (its handler is "the full path" and says so in its answers), the fast
 * path is installed on it, and an EndpointRouter forwards to a stand-in
 * replica. Plain requests must be answered below the full path; everything
 * else must reach the full path with every byte, as if no fast path existed.
 */
import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { EndpointRouter } from "./endpoint-router.js";
import { installFastPath, type FastPath } from "./fast-path.js";

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A client that writes raw bytes and reads the answers in order. */
class RawClient {
  private text = "";
  private wake: (() => void) | undefined;
  ended = false;
  private constructor(readonly socket: Socket) {
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => {
      this.text += d;
      this.wake?.();
    });
    socket.on("close", () => {
      this.ended = true;
      this.wake?.();
    });
  }

  static async open(port: number): Promise<RawClient> {
    const s = connect({ port, host: "127.0.0.1" });
    await new Promise<void>((resolve, reject) => s.once("connect", resolve).once("error", reject));
    return new RawClient(s);
  }

  send(text: string): void {
    this.socket.write(Buffer.from(text, "latin1"));
  }

  /** The next whole answer (Content-Length framed, or up to the connection's end). */
  async next(): Promise<Answer> {
    for (;;) {
      const end = this.text.indexOf("\r\n\r\n");
      if (end >= 0) {
        const lines = this.text.slice(0, end).split("\r\n");
        const headers: Record<string, string> = {};
        for (const l of lines.slice(1)) headers[l.slice(0, l.indexOf(":")).toLowerCase()] = l.slice(l.indexOf(":") + 1).trim();
        const length = headers["content-length"] === undefined ? undefined : Number(headers["content-length"]);
        const have = this.text.length - end - 4;
        if ((length !== undefined && have >= length) || (length === undefined && this.ended)) {
          const n = length ?? have;
          const body = this.text.slice(end + 4, end + 4 + n);
          this.text = this.text.slice(end + 4 + n);
          return { status: Number(lines[0].split(" ")[1]), headers, body };
        }
      }
      if (this.ended) throw new Error(`the connection closed; unread: ${JSON.stringify(this.text.slice(0, 200))}`);
      await new Promise<void>((r) => (this.wake = r));
    }
  }

  closed(): Promise<void> {
    return this.ended ? Promise.resolve() : new Promise((r) => this.socket.once("close", () => r()));
  }
}

const post = (body: string, extra = "", path = "/endpoints/e/invocations") =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body, "latin1")}\r\n${extra}\r\n${body}`;

describe("the router's fast path", () => {
  let replica: Server;
  let app: Server;
  let port: number;
  let router: EndpointRouter;
  let fast: FastPath;
  let fullPath = 0;
  const seen: IncomingHttpHeaders[] = [];
  const observed: string[] = [];

  before(async () => {
    replica = createServer((req, res) => {
      seen.push(req.headers);
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        if (req.url === "/v2/die") {
          // Dies mid-answer: a head promising 100 bytes, 10 of them, then the connection is gone.
          res.socket!.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n0123456789");
          res.socket!.destroy();
          return;
        }
        const id = req.headers["x-request-id"];
        res.writeHead(200, { "content-type": "application/json", ...(typeof id === "string" && { "x-request-id": id }) });
        res.end(JSON.stringify({ replica: true, url: req.url, body: Buffer.concat(chunks).toString() }));
      });
    });
    await new Promise<void>((r) => replica.listen(0, "127.0.0.1", r));
    router = new EndpointRouter();
    router.setTable([{ name: "e", deployments: [{ name: "blue", modelVersion: "1", weight: 100, mirror: 0, urls: [`http://127.0.0.1:${(replica.address() as AddressInfo).port}`] }] }]);
    app = createServer((req, res) => {
      fullPath++;
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const text = JSON.stringify({ full: true, url: req.url, body: Buffer.concat(chunks).toString() });
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) }).end(text);
      });
    });
    fast = installFastPath(app, router, { bodyLimit: 1000, hostAllowed: (h) => h === "127.0.0.1", observe: (method, route, status) => observed.push(`${method} ${route} ${status}`) });
    await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
    port = (app.address() as AddressInfo).port;
  });
  after(async () => {
    app.closeAllConnections();
    await new Promise((r) => app.close(r));
    await router.close();
    replica.closeAllConnections();
    await new Promise((r) => replica.close(r));
  });

  test("a plain POST is answered below the full path, keep-alive, with the deployment that answered", async () => {
    const before = { answered: fast.stats.answered, full: fullPath };
    const c = await RawClient.open(port);
    c.send(post('{"inputs": [[1]]}', "X-Request-Id: r-1\r\nX-Other: dropped\r\n"));
    const a = await c.next();
    assert.equal(a.status, 200);
    assert.equal(a.headers["ciclo-deployment"], "blue");
    assert.equal(a.headers["x-request-id"], "r-1");
    assert.equal(a.headers.connection, "keep-alive");
    assert.deepEqual(JSON.parse(a.body), { replica: true, url: "/invocations", body: '{"inputs": [[1]]}' });
    // The replica got only the headers the router passes on, and its own Host.
    const h = seen[seen.length - 1];
    assert.equal(h["x-request-id"], "r-1");
    assert.equal(h["x-other"], undefined);
    assert.match(h.host!, /^127\.0\.0\.1:\d+$/);
    // Same connection, next request: still the fast path.
    c.send(post("{}"));
    assert.equal((await c.next()).status, 200);
    assert.deepEqual({ answered: fast.stats.answered - before.answered, full: fullPath - before.full }, { answered: 2, full: 0 });
    // The app's request histogram hears of them under the route the full path would name.
    assert.deepEqual(observed.slice(-2), ["POST /endpoints/:name/invocations 200", "POST /endpoints/:name/invocations 200"]);
    c.socket.destroy();
  });

  test("requests pipelined in one write, and one split over several writes, are answered in order", async () => {
    const c = await RawClient.open(port);
    c.send([1, 2, 3].map((i) => post(`{"n": ${i}}`, `X-Request-Id: p${i}\r\n`)).join(""));
    for (const i of [1, 2, 3]) assert.equal((await c.next()).headers["x-request-id"], `p${i}`);
    const whole = post('{"n": 4}', "X-Request-Id: p4\r\n");
    for (const part of [whole.slice(0, 10), whole.slice(10, 60), whole.slice(60, -3), whole.slice(-3)]) {
      c.send(part);
      await new Promise((r) => setImmediate(r));
    }
    const a = await c.next();
    assert.equal(a.headers["x-request-id"], "p4");
    assert.equal(JSON.parse(a.body).body, '{"n": 4}');
    c.socket.destroy();
  });

  test("a chunked body after a plain request: the connection goes to the full path with every byte", async () => {
    const handed = fast.stats.handedOff;
    const c = await RawClient.open(port);
    c.send(post("{}"));
    assert.equal(JSON.parse((await c.next()).body).replica, true);
    c.send("POST /endpoints/e/invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n5\r\n\": 1}\r\n0\r\n\r\n");
    const a = await c.next();
    assert.deepEqual(JSON.parse(a.body), { full: true, url: "/endpoints/e/invocations", body: '{"a": 1}' });
    assert.equal(fast.stats.handedOff, handed + 1);
    // The full path keeps the connection.
    c.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    assert.equal(JSON.parse((await c.next()).body).url, "/health");
    c.socket.destroy();
  });

  test("a body over the limit, another path, a refused Host: the full path answers", async () => {
    for (const [text, url] of [
      [post("x".repeat(1001)), "/endpoints/e/invocations"],
      ["GET /api/2.0/mlflow/experiments/search HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", "/api/2.0/mlflow/experiments/search"],
      [post("{}").replace("Host: 127.0.0.1", "Host: evil.example"), "/endpoints/e/invocations"],
    ]) {
      const c = await RawClient.open(port);
      c.send(text);
      const a = await c.next();
      assert.equal(JSON.parse(a.body).full, true, text.slice(0, 60));
      assert.equal(JSON.parse(a.body).url, url);
      c.socket.destroy();
    }
  });

  test("malformed heads get node's own answer (400), not the fast path's", async () => {
    for (const extra of ["X-A: a\x01b\r\n", "X-A : 1\r\n", "Content-Length: 3\r\n"]) {
      const c = await RawClient.open(port);
      c.send(post("{}", extra));
      const a = await c.next();
      assert.equal(a.status, 400, JSON.stringify(extra));
      await c.closed();
    }
  });

  test("a replica dying mid-answer: a clear 503 naming the deployment, and the connection goes on", async () => {
    const c = await RawClient.open(port);
    c.send(post("{}", "", "/endpoints/e/v2/die"));
    const a = await c.next();
    assert.equal(a.status, 503);
    assert.equal(a.headers["ciclo-deployment"], "blue");
    const err = JSON.parse(a.body);
    assert.equal(err.error_code, "TEMPORARILY_UNAVAILABLE");
    assert.match(err.message, /Deployment 'blue' of endpoint 'e' could not be reached/);
    c.send(post("{}"));
    assert.equal((await c.next()).status, 200);
    c.socket.destroy();
  });

  test("an unknown endpoint gets the router's 404, as on the full path", async () => {
    const c = await RawClient.open(port);
    c.send(post("{}", "", "/endpoints/nope/invocations"));
    const a = await c.next();
    assert.equal(a.status, 404);
    assert.equal(JSON.parse(a.body).error_code, "RESOURCE_DOES_NOT_EXIST");
    c.socket.destroy();
  });

  test("a head that never completes is answered 408 after the server's headersTimeout", async () => {
    const was = app.headersTimeout;
    app.headersTimeout = 1000;
    try {
      const c = await RawClient.open(port);
      c.send("POST /endpoints/e/invocations HTTP/1.1\r\nHost: 127.0.0.1\r\n");
      const a = await c.next();
      assert.equal(a.status, 408);
      await c.closed();
    } finally {
      app.headersTimeout = was;
    }
  });

  test("closing idle connections closes the fast path's too", async () => {
    const c = await RawClient.open(port);
    c.send(post("{}"));
    await c.next();
    app.closeIdleConnections();
    await c.closed();
    assert.ok(c.ended);
  });
});
