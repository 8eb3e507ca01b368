import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FALLBACK, INCOMPLETE, readRequestHead, type FastRequest, type HeadRules } from "./request-head.js";

const rules: HeadRules = { maxHead: 16 * 1024, bodyLimit: 1000, hostAllowed: (h) => h !== "evil.example" };
const read = (text: string) => readRequestHead(Buffer.from(text, "latin1"), rules);
const post = (extra = "", target = "/endpoints/fraud/invocations", length = "2") =>
  `POST ${target} HTTP/1.1\r\nHost: 127.0.0.1:5000\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n${extra}\r\n{}`;

describe("the fast path's request head", () => {
  test("a plain scoring POST is read: endpoint, path below it, lowercase headers, head and body lengths", () => {
    const r = read(post("X-Request-Id:  abc \r\n")) as FastRequest;
    assert.equal(r.method, "POST");
    assert.equal(r.endpoint, "fraud");
    assert.equal(r.path, "/invocations");
    assert.equal(r.headers["x-request-id"], "abc");
    assert.equal(r.headers["content-type"], "application/json");
    assert.equal(r.contentLength, 2);
    assert.equal(r.headLength, post("X-Request-Id:  abc \r\n").length - 2);
  });

  test("v2 paths with a query, and GETs of v2 metadata, are read", () => {
    const r = read(post("", "/endpoints/a-1/v2/models/m/infer?x=1")) as FastRequest;
    assert.equal(r.path, "/v2/models/m/infer?x=1");
    const g = read("GET /endpoints/a/v2/health/ready HTTP/1.1\r\nHost: h\r\n\r\n") as FastRequest;
    assert.equal(g.method, "GET");
    assert.equal(g.contentLength, 0);
    assert.equal((read("GET /endpoints/a/v2 HTTP/1.1\r\nHost: h\r\n\r\n") as FastRequest).path, "/v2");
  });

  test("a head not yet complete waits; one past the limit falls back", () => {
    assert.equal(read("POST /endpoints/fraud/invocations HTTP/1.1\r\nHost: h\r\n"), INCOMPLETE);
    assert.equal(read(`POST /endpoints/fraud/invocations HTTP/1.1\r\nX-Big: ${"a".repeat(17_000)}`), FALLBACK);
  });

  const fallbacks: Array<[string, string]> = [
    ["chunked body", post("Transfer-Encoding: chunked\r\n")],
    ["body over the limit", post("", undefined, "1001")],
    ["no Content-Length on a POST", "POST /endpoints/a/invocations HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n\r\n"],
    ["empty POST", post("", undefined, "0")],
    ["a Content-Length with a sign", post("", undefined, "+2")],
    ["two Content-Lengths", post("Content-Length: 2\r\n")],
    ["a header twice, in other cases", post("x-a: 1\r\nX-A: 2\r\n")],
    ["two Hosts", post("Host: other\r\n")],
    ["no Host", "POST /endpoints/a/invocations HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"],
    ["a Host the app refuses", "POST /endpoints/a/invocations HTTP/1.1\r\nHost: evil.example\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"],
    ["an Origin (CORS is the app's)", post("Origin: http://x\r\n")],
    ["Expect: 100-continue", post("Expect: 100-continue\r\n")],
    ["Connection: close", post("Connection: close\r\n")],
    ["Upgrade", post("Upgrade: websocket\r\n")],
    ["a space before the colon", post("X-A : 1\r\n")],
    ["an obsolete folded line", post("X-A: 1\r\n  more\r\n")],
    ["a control character in a value", post("X-A: a\x01b\r\n")],
    ["a bare LF", post("X-A: a\nb\r\n")],
    ["a non-ASCII byte", post("X-A: caf\xe9\r\n")],
    ["no Content-Type", "POST /endpoints/a/invocations HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}"],
    ["an odd Content-Type", post("", undefined, "2").replace("application/json", "application/json, text/csv")],
    ["HTTP/1.0", post().replace("HTTP/1.1", "HTTP/1.0")],
    ["a lowercase method", post().replace("POST", "post")],
    ["PUT", post().replace("POST", "PUT")],
    ["GET of /invocations", "GET /endpoints/a/invocations HTTP/1.1\r\nHost: h\r\n\r\n"],
    ["a GET with a body", "GET /endpoints/a/v2 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}"],
    ["another path", post("", "/api/2.0/mlflow/runs/create")],
    ["a trailing slash", post("", "/endpoints/a/invocations/")],
    ["percent-encoding", post("", "/endpoints/%61/invocations")],
    ["%00 in the query", post("", "/endpoints/a/invocations?x=%00")],
    ["a doubled slash", post("", "/endpoints/a/v2//models")],
    ["a dot segment", post("", "/endpoints/a/v2/../../api")],
    ["an uppercase name", post("", "/endpoints/Fraud/invocations")],
    ["an absolute-form target", post("", "http://h/endpoints/a/invocations")],
    ["two spaces in the request line", post().replace(" HTTP/1.1", "  HTTP/1.1")],
    ["a header named like a prototype member", post("__proto__: x\r\n")],
  ];
  for (const [what, text] of fallbacks) {
    test(`falls back: ${what}`, () => assert.equal(read(text), FALLBACK));
  }
});
