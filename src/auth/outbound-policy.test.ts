/** SSRF-safe outbound calls: schemes, credentials, allow-list, private addresses, DNS pinning, redirects. */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { checkOutboundUrl, isPrivateAddress, safeFetch } from "./outbound-policy.js";

let server: Server;
let port: number;
before(async () => {
  server = createServer((req, res) => {
    if (req.url === "/to-metadata") {
      res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data/" }).end();
      return;
    }
    if (req.url === "/to-self") {
      res.writeHead(302, { location: `http://127.0.0.1:${port}/ok` }).end();
      return;
    }
    res.end(`hello ${req.headers.host}`);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
});
after(() => server.close());

test("private, loopback, link-local and mapped addresses are recognised", () => {
  for (const a of ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "fd00::1", "fe80::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254"]) {
    assert.equal(isPrivateAddress(a), true, a);
  }
  for (const a of ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "172.32.0.1"]) assert.equal(isPrivateAddress(a), false, a);
});

test("IPv6 forms that embed an IPv4 address, and retired or reserved ranges, are not public either", () => {
  // IPv4-compatible (::a.b.c.d), SIIT-translated (::ffff:0:a.b.c.d), 6to4 and Teredo embed an IPv4 address a
  // relay may take to the private network; site-local (fec0::/10) is a retired private range; 100::/64 discards.
  for (const a of ["::127.0.0.1", "::a9fe:a9fe", "::ffff:0:7f00:1", "::ffff:0:a9fe:a9fe", "2002:7f00:1::1", "2002:a9fe:a9fe::", "2001:0:4136:e378::1", "fec0::1", "100::1", "2001:db8::1"]) {
    assert.equal(isPrivateAddress(a), true, a);
  }
  for (const a of ["2a00:1450:4001:82b::200e", "2001:4860:4860::8888"]) assert.equal(isPrivateAddress(a), false, a);
});

test("URLs are refused for scheme, credentials, allow-list and private resolution", async () => {
  await assert.rejects(checkOutboundUrl("file:///etc/passwd"), /must be http or https/);
  await assert.rejects(checkOutboundUrl("http://user:pw@example.com/"), /must not carry credentials/);
  await assert.rejects(checkOutboundUrl("http://169.254.169.254/latest/meta-data/"), /private or local address \(169\.254\.169\.254\)/);
  await assert.rejects(checkOutboundUrl("http://[::1]/"), /private or local/);
  // a public-looking name that resolves inside (DNS rebinding): the resolved address decides
  const rebinding = async () => [{ address: "10.0.0.7", family: 4 }];
  await assert.rejects(checkOutboundUrl("https://hooks.example.com/x", {}, rebinding), /resolves to a private or local address \(10\.0\.0\.7\)/);
  const publicDns = async () => [{ address: "93.184.215.14", family: 4 }];
  assert.equal((await checkOutboundUrl("https://hooks.example.com/x", { allowHosts: ["*.example.com"] }, publicDns)).address, "93.184.215.14");
  await assert.rejects(checkOutboundUrl("https://evil.test/x", { allowHosts: ["*.example.com", "registry.io"] }, publicDns), /not on the outbound allow-list/);
  await assert.rejects(checkOutboundUrl("https://example.com.evil.test/", { allowHosts: ["*.example.com"] }, publicDns), /not on the outbound allow-list/);
});

test("safeFetch connects to the checked address and checks every redirect", async () => {
  await assert.rejects(safeFetch(`http://127.0.0.1:${port}/ok`), /private or local/);
  // the name resolves (by the test's resolver) to the checked address, and the request goes there
  const local = async () => [{ address: "127.0.0.1", family: 4 }];
  const res = await safeFetch(`http://hooks.internal.test:${port}/ok`, {}, { allowPrivate: true }, local);
  assert.equal(await res.text(), `hello hooks.internal.test:${port}`);
  await assert.rejects(safeFetch(`http://127.0.0.1:${port}/to-metadata`, {}, { allowPrivate: true, allowHosts: ["127.0.0.1"] }), /not on the outbound allow-list/);
  const followed = await safeFetch(`http://127.0.0.1:${port}/to-self`, {}, { allowPrivate: true });
  assert.equal(await followed.text(), `hello 127.0.0.1:${port}`);
});

test("privateHosts opens private addresses to the named targets only; redirect 'manual' and 'error' are honoured", async () => {
  const named = { privateHosts: [`127.0.0.1:${port}`] };
  assert.equal(await (await safeFetch(`http://127.0.0.1:${port}/ok`, {}, named)).text(), `hello 127.0.0.1:${port}`);
  await assert.rejects(safeFetch(`http://127.0.0.1:${port + 1}/ok`, {}, named), /private or local address/, "another port of the same host");
  assert.equal((await checkOutboundUrl(`http://localhost:${port}/`, { privateHosts: ["localhost"] }, async () => [{ address: "127.0.0.1", family: 4 }])).address, "127.0.0.1");
  // A named receiver that redirects to the metadata service: the next hop is checked and refused.
  await assert.rejects(safeFetch(`http://127.0.0.1:${port}/to-metadata`, {}, named), /private or local address \(169\.254\.169\.254\)/);
  const manual = await safeFetch(`http://127.0.0.1:${port}/to-metadata`, { redirect: "manual" }, named);
  assert.equal(manual.status, 302, "manual: the caller sees the redirect and decides");
  await assert.rejects(safeFetch(`http://127.0.0.1:${port}/to-self`, { redirect: "error" }, named), /answered a redirect \(302\)/);
});
