/**
 * The router's inference feed against real upstream HTTP servers on loopback:
 * a scoring request is logged once for the deployment that answered and once
 * for a mirrored shadow (same request id), after the answer; the upstream sees
 * the request id and the "logged" mark, which a caller cannot forge through a
 * router that does not log; reads (health) are not logged; a full queue drops
 * and counts.
 */
import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { waitFor } from "../../testing/wait-for.js";
import { EndpointRouter } from "./endpoint-router.js";
import { LOGGED_HEADER, RouterInferenceFeed, type FeedEvent } from "./inference-feed.js";

const seen: Array<{ who: string; url: string; headers: IncomingHttpHeaders }> = [];
const servers: Server[] = [];
const urls: Record<string, string> = {};

before(async () => {
  for (const [who, factor] of [["primary", 2], ["shadow", 5]] as const) {
    const s = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        seen.push({ who, url: req.url ?? "", headers: req.headers });
        const x = body ? (JSON.parse(body) as { inputs: number[] }).inputs : [];
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ predictions: x.map((v) => v * factor) }));
      });
    });
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    servers.push(s);
    urls[who] = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  }
});
after(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
});

const table = () => [
  {
    name: "e",
    deployments: [
      { name: "live", modelName: "m", modelVersion: "3", weight: 100, mirror: 0, urls: [urls.primary] },
      { name: "candidate", modelName: "m", modelVersion: "4", weight: 0, mirror: 100, urls: [urls.shadow] },
    ],
  },
];

test("a scoring request is logged for the deployment and its mirror, under the answered request id", async () => {
  const events: FeedEvent[] = [];
  const feed = new RouterInferenceFeed({ record: (e) => events.push(e) });
  const router = new EndpointRouter({ feed });
  router.setTable(table());
  try {
    seen.length = 0;
    const res = await router.invoke({ endpoint: "e", path: "/invocations", method: "POST", headers: { "content-type": "application/json", [LOGGED_HEADER]: "forged" }, body: Buffer.from('{"inputs": [1, 2]}') });
    assert.equal(res.status, 200);
    const id = res.headers["x-request-id"];
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.equal(events.length, 0, "nothing is converted on the request path");
    await waitFor(async () => events.length, (n) => n === 2, { what: "both records", timeoutMs: 5_000, intervalMs: 10 });
    const [live, cand] = ["live", "candidate"].map((d) => events.find((e) => e.deployment === d)!);
    assert.deepEqual({ ...live, time: 0, latencyMs: 0 }, { requestId: id, time: 0, modelName: "m", modelVersion: "3", endpoint: "e", deployment: "live", status: 200, latencyMs: 0, request: '{"inputs": [1, 2]}', response: '{"predictions":[2,4]}' });
    assert.equal(cand.requestId, id);
    assert.equal(cand.modelVersion, "4");
    assert.equal(cand.response, '{"predictions":[5,10]}');
    for (const s of seen) {
      assert.equal(s.headers[LOGGED_HEADER], "router");
      assert.equal(s.headers["x-request-id"], id);
    }

    // The caller's own request id is kept; reads are not logged.
    const own = await router.invoke({ endpoint: "e", path: "/invocations", method: "POST", headers: { "x-request-id": "order-17" }, body: Buffer.from('{"inputs": [3]}') });
    assert.equal(own.headers["x-request-id"], "order-17");
    await router.invoke({ endpoint: "e", path: "/v2/health/ready", method: "GET", headers: {}, body: undefined });
    await waitFor(async () => events.length, (n) => n === 4, { what: "the second request's records", timeoutMs: 5_000, intervalMs: 10 });
    feed.drain(); // anything the health read had queued would be handed over now
    assert.deepEqual(events.slice(2).map((e) => e.requestId), ["order-17", "order-17"]);
    assert.equal(events.length, 4, "the health read is not logged");
  } finally {
    await router.close();
  }
});

test("a router without a feed logs nothing and forwards no caller's 'logged' mark; a full queue drops and counts", async () => {
  const router = new EndpointRouter();
  router.setTable(table());
  try {
    seen.length = 0;
    await router.invoke({ endpoint: "e", path: "/invocations", method: "POST", headers: { [LOGGED_HEADER]: "forged" }, body: Buffer.from('{"inputs": [1]}') });
    await waitFor(async () => seen.length, (n) => n === 2, { what: "primary and mirror", timeoutMs: 5_000, intervalMs: 10 });
    for (const s of seen) assert.equal(s.headers[LOGGED_HEADER], undefined, `${s.who} got the caller's mark`);
  } finally {
    await router.close();
  }
  const events: FeedEvent[] = [];
  const feed = new RouterInferenceFeed({ record: (e) => events.push(e) }, { maxPending: 3 });
  const entry = { requestId: "r", time: 1, modelName: "m", modelVersion: "1", endpoint: "e", deployment: "d", status: 200, latencyMs: 1, request: Buffer.from("{}"), response: "{}" };
  for (let i = 0; i < 5; i++) feed.push(entry);
  assert.equal(feed.dropped, 2);
  feed.drain();
  assert.equal(events.length, 3);
});
