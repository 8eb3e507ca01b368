/**
 * The socket path is one per server: two routes plugged in by their request-line starts answer on the same
 * connection, one takeover of the `connection` event; a request neither takes goes to node's handler with what
 * follows it; an answer asking to close is written as node writes `connection: close` and ends the connection;
 * a handler learns when the head was read, before a late body arrived.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { socketPath, type SocketAnswer } from "./http-socket-path.js";

/** Sends bytes on a new connection and resolves with everything received until the server closes it or `until` matches. */
function exchange(port: number, bytes: string, until: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let got = "";
    socket.on("data", (d) => {
      got += d.toString("latin1");
      if (until.test(got)) {
        socket.destroy();
        resolve(got);
      }
    });
    socket.on("close", () => resolve(got));
    socket.on("error", reject);
    socket.write(bytes);
  });
}

const post = (path: string, body: string) => `POST ${path} HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`;

describe("the server's socket path", () => {
  let server: Server;
  let port: number;
  const seen: string[] = [];
  /** Resolved by the `/t` route when the socket path read that request's head. */
  let headRead: (at: number) => void = () => {};
  before(async () => {
    server = createServer((req, res) => {
      seen.push(`node ${req.url}`);
      res.end("node");
    });
    const path = socketPath(server);
    path.add({
      starts: ["POST /a "],
      take: (head) => (head.target === "/a" ? async (_h, body) => ({ status: 200, headers: { "content-type": "text/plain" }, body: `a:${body}` }) : undefined),
    });
    socketPath(server).add({
      starts: ["POST /b/"],
      take: (head) =>
        head.target.startsWith("/b/")
          ? async (h): Promise<SocketAnswer> => (h.target === "/b/close" ? { status: 400, headers: { connection: "close", "content-type": "text/plain" }, body: "bye", close: true } : { status: 201, headers: {}, body: Buffer.from(h.target) })
          : undefined,
    });
    socketPath(server).add({
      starts: ["POST /t "],
      take: (head) => {
        if (head.target !== "/t") return undefined;
        headRead(performance.now());
        return async (_h, _body, headAt) => ({ status: 200, headers: {}, body: String(headAt) });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test("one takeover; both routes answer on one connection; the rest goes to node with the bytes after it", async () => {
    assert.equal(socketPath(server), socketPath(server));
    assert.equal(server.listenerCount("connection"), 1);
    const path = socketPath(server);
    const before = { ...path.stats };
    const text = await exchange(port, post("/a", "1") + post("/b/x", "").replace("Content-Length: 0", "Content-Length: 1") + "2" + post("/c", "3") + post("/a", "4"), /node[^]*node$/);
    const statuses = [...text.matchAll(/HTTP\/1\.1 (\d+)/g)].map((m) => m[1]);
    assert.deepEqual(statuses, ["200", "201", "200", "200"]);
    assert.match(text, /^HTTP\/1\.1 200 OK\r\ncontent-type: text\/plain\r\ncontent-length: 3\r\nDate: [^\r]+\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\na:1/);
    assert.match(text, /HTTP\/1\.1 201 Created\r\ncontent-type: application\/octet-stream\r\ncontent-length: 4\r\nDate: [^\r]+\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n\/b\/x/);
    assert.deepEqual(seen.splice(0), ["node /c", "node /a"]);
    assert.deepEqual({ answered: path.stats.answered - before.answered, handedOff: path.stats.handedOff - before.handedOff }, { answered: 2, handedOff: 1 });
  });

  test("an answer that closes: connection: close first, nothing after it answered", async () => {
    const text = await exchange(port, post("/b/close", "x") + post("/a", "y"), /^$/);
    assert.match(text, /^HTTP\/1\.1 400 Bad Request\r\nconnection: close\r\ncontent-type: text\/plain\r\ncontent-length: 3\r\nDate: [^\r]+\r\n\r\nbye$/);
  });

  test("a handler is told when the head was read, not when the last byte of its body came", async () => {
    const taken = new Promise<number>((resolve) => (headRead = resolve));
    const socket = connect(port, "127.0.0.1");
    let got = "";
    const answered = new Promise<string>((resolve, reject) => {
      socket.on("data", (d) => {
        got += d.toString("latin1");
        if (/\r\n\r\n.+$/.test(got)) resolve(got);
      });
      socket.on("error", reject);
    });
    socket.write("POST /t HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nx");
    const tookAt = await taken;
    const sentRestAt = performance.now();
    socket.write("y");
    const headAt = Number(/\r\n\r\n(.+)$/.exec(await answered)![1]);
    socket.destroy();
    assert.ok(headAt >= tookAt && headAt <= sentRestAt, `head read at ${headAt}: between ${tookAt} and ${sentRestAt}`);
  });
});
