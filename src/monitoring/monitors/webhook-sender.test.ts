/**
 * Webhooks are hostile input: internal addresses are refused unless
 * allow-listed, redirects are refused (not followed), and the signature is
 * an HMAC of the timestamp and the exact body sent.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { isInternalAddress, sendWebhook, signBody, webhookPayload, type AlertMessage } from "./webhook-sender.js";

const msg: AlertMessage = { monitor: "m", rule: "r", title: "T", text: "drift in a", windowStart: 0, windowEnd: 3_600_000, flagged: ["drift.a"], alertId: 7 };
let server: Server;
let port: number;
const hits: Array<{ url: string; headers: Record<string, unknown>; body: string }> = [];

before(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      hits.push({ url: req.url ?? "", headers: req.headers, body });
      if (req.url === "/redirect") res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data/" }).end();
      else res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
});
after(() => new Promise((r) => server.close(r)));

test("internal addresses are recognised, IPv4-mapped IPv6 too", () => {
  for (const a of ["127.0.0.1", "10.1.2.3", "172.20.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "fd00::1", "fe80::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1"]) {
    assert.equal(isInternalAddress(a), true, a);
  }
  for (const a of ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]) assert.equal(isInternalAddress(a), false, a);
});

test("a loopback receiver is refused unless allow-listed; then the body is signed", async () => {
  const url = `http://127.0.0.1:${port}/hook`;
  await assert.rejects(sendWebhook(url, "generic", msg, "k"), /internal address.*allow-list/);
  await assert.rejects(sendWebhook(`http://localhost:${port}/hook`, "generic", msg, "k"), /internal address/);
  await assert.rejects(sendWebhook(url, "generic", msg, "k", { allow: [`127.0.0.1:${port + 1}`] }), /internal address/);
  assert.equal(hits.length, 0, "nothing reached the receiver");
  const status = await sendWebhook(url, "teams", msg, "k", { allow: [`127.0.0.1:${port}`], now: () => 1_700_000_000_000 });
  assert.equal(status, 204);
  const h = hits[0];
  assert.equal(h.headers["x-ciclo-timestamp"], "1700000000");
  assert.equal(h.headers["x-ciclo-signature"], signBody("k", 1_700_000_000, h.body));
  const card = JSON.parse(h.body);
  assert.equal(card["@type"], "MessageCard");
  assert.equal(card.title, "T");
});

test("redirects are refused, not followed", async () => {
  const before = hits.length;
  await assert.rejects(sendWebhook(`http://127.0.0.1:${port}/redirect`, "slack", msg, undefined, { allow: [`127.0.0.1:${port}`] }), /redirect/);
  assert.equal(hits.length, before + 1, "one request, no second one to the redirect target");
  assert.equal(hits[hits.length - 1].headers["x-ciclo-signature"], undefined, "no secret, no signature");
});

test("Slack and generic payloads", () => {
  const s = webhookPayload("slack", msg) as { text: string; blocks: unknown[] };
  assert.match(s.text, /^T: drift in a/);
  assert.equal(s.blocks.length, 2);
  assert.deepEqual((webhookPayload("generic", msg) as { flagged: string[] }).flagged, ["drift.a"]);
});
