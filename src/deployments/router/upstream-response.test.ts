import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ResponseReader, UpstreamProtocolError } from "./upstream-response.js";

/** Feeds `text` split at `cut` (and again in one piece), expecting the same answer both ways. */
function readSplit(text: string, cut: number): ResponseReader {
  const bytes = Buffer.from(text, "latin1");
  const r = new ResponseReader();
  const first = r.feed(Buffer.from(bytes.subarray(0, cut)));
  const end = cut >= bytes.length ? first : r.feed(Buffer.from(bytes.subarray(cut)));
  assert.equal(end, cut >= bytes.length ? bytes.length : bytes.length - cut, `complete when split at ${cut}`);
  return r;
}

function readAll(text: string): ResponseReader {
  const r = new ResponseReader();
  assert.equal(r.feed(Buffer.from(text, "latin1")), Buffer.byteLength(text, "latin1"));
  return r;
}

describe("reading a replica's answer", () => {
  const lengthAnswer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 22\r\nKeep-Alive: timeout=65\r\nX-Request-Id: r1\r\nServer: x\r\n\r\n{\"predictions\": [2.5]}";
  test("a Content-Length body, split at every byte, keeps only the passed-on headers", () => {
    for (let cut = 1; cut < lengthAnswer.length; cut++) {
      const r = readSplit(lengthAnswer, cut);
      assert.equal(r.status, 200);
      assert.deepEqual(r.headers, { "content-type": "application/json", "x-request-id": "r1" });
      assert.equal(r.bodyBytes().toString(), '{"predictions": [2.5]}');
      assert.equal(r.keepAlive, true);
      assert.equal(r.keepAliveMs, 65_000);
    }
  });

  const chunked = "HTTP/1.1 200 OK\r\ncontent-type: text/csv\r\ntransfer-encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\nA\r\n, world!!!\r\n0\r\nx-trailer: 1\r\n\r\n";
  test("a chunked body, split at every byte, is decoded", () => {
    for (let cut = 1; cut < chunked.length; cut++) {
      const r = readSplit(chunked, cut);
      assert.equal(r.bodyBytes().toString(), "hello, world!!!");
      assert.equal(r.headers["content-type"], "text/csv");
    }
  });

  test("interim answers are skipped; 204 has no body; Connection: close and HTTP/1.0 end the connection", () => {
    const r = readAll("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n");
    assert.equal(r.status, 204);
    assert.equal(r.bodyBytes().length, 0);
    assert.equal(readAll("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").keepAlive, false);
    assert.equal(readAll("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").keepAlive, false);
  });

  test("an answer with no length lasts until the connection ends", () => {
    const r = new ResponseReader();
    assert.equal(r.feed(Buffer.from("HTTP/1.1 200 OK\r\n\r\nabc")), -1);
    assert.ok(r.untilClose);
    r.finishAtClose();
    assert.ok(r.done);
    assert.equal(r.bodyBytes().toString(), "abc");
    assert.equal(r.keepAlive, false);
  });

  test("pipelined answers in one read: each ends where the next begins, also when one was split", () => {
    const one = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx";
    const two = "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nyz\r\n0\r\n\r\n";
    const bytes = Buffer.from(one + two + one);
    const r = new ResponseReader();
    const a = r.feed(bytes);
    assert.equal(a, one.length);
    assert.equal(r.bodyBytes().toString(), "x");
    r.reset();
    // The second answer arrives in two reads, the cut inside its head.
    const cut = a + 10;
    assert.equal(r.feed(bytes.subarray(0, cut), a), -1);
    const b = r.feed(bytes, cut);
    assert.equal(b, one.length + two.length);
    assert.equal(r.status, 201);
    assert.equal(r.bodyBytes().toString(), "yz");
    r.reset();
    assert.equal(r.feed(bytes, b), bytes.length);
  });

  const malformed: Array<[string, string]> = [
    ["not HTTP", "SSH-2.0-OpenSSH\r\n\r\n"],
    ["a bare LF in a value", "HTTP/1.1 200 OK\r\nContent-Type: a\nb\r\nContent-Length: 0\r\n\r\n"],
    ["a control character", "HTTP/1.1 200 OK\r\nX-Request-Id: a\x00b\r\nContent-Length: 0\r\n\r\n"],
    ["two different lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"],
    ["a negative length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"],
    ["length and chunked", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"],
    ["an unknown coding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"],
    ["a bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"],
    ["a chunk longer than its size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n"],
    ["a folded header", "HTTP/1.1 200 OK\r\nX-A: 1\r\n more\r\nContent-Length: 0\r\n\r\n"],
    ["switching protocols", "HTTP/1.1 101 Switching Protocols\r\n\r\n"],
  ];
  for (const [what, text] of malformed) {
    test(`refuses ${what}`, () => assert.throws(() => new ResponseReader().feed(Buffer.from(text, "latin1")), UpstreamProtocolError));
  }
});
