/**
 * The registry client against hostile answers (an in-test server on
 * loopback: oversized, lying and malformed manifests, blobs that do not match
 * their digest, redirects to plain http elsewhere), the plain-http rule, and
 * against Debian's docker-registry: uploads (monolithic, chunked, mount,
 * skip-if-present) and both auth schemes — basic with htpasswd, bearer with
 * the registry's token auth and a small token server signing JWTs here.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createPrivateKey, randomBytes, sign } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { hasCommand, skipReason, startPrivateRegistry, type PrivateRegistry } from "../../testing/registry-fixture.js";
import { tempDir } from "../../testing/temp-dir.js";
import { MEDIA, sha256Digest } from "./oci-manifest.js";
import { RegistryClient } from "./registry-client.js";

const tmp = tempDir("ciclo-registry-client-");
after(() => tmp.remove());

const blob = (s: string | Buffer) => ({ bytes: Buffer.from(s), digest: sha256Digest(s), size: Buffer.byteLength(s) });
const CONFIG = blob(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } }));
const manifestOf = (layers: Array<{ digest: string; size: number }>, config = CONFIG) =>
  Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociManifest, config: { mediaType: MEDIA.ociConfig, digest: config.digest, size: config.size }, layers: layers.map((l) => ({ mediaType: MEDIA.ociLayerGzip, ...l })) }));

describe("hostile registry answers are refused", () => {
  let server: Server;
  let host: string;
  const good = manifestOf([]);
  const routes: Record<string, (res: import("node:http").ServerResponse) => void> = {
    "/v2/": (res) => res.end("{}"),
    "/v2/big/manifests/1": (res) => {
      res.writeHead(200, { "content-type": MEDIA.ociManifest });
      res.end(Buffer.alloc(5 * 1024 * 1024, 32));
    },
    "/v2/huge/manifests/1": (res) => res.end(manifestOf([{ digest: `sha256:${"a".repeat(64)}`, size: 1e15 }])),
    "/v2/many/manifests/1": (res) => res.end(manifestOf(Array.from({ length: 200 }, () => ({ digest: `sha256:${"b".repeat(64)}`, size: 10 })))),
    "/v2/baddigest/manifests/1": (res) => res.end(manifestOf([{ digest: "sha256:../../../etc", size: 10 }])),
    [`/v2/liar/manifests/${sha256Digest(good)}`]: (res) => res.end(manifestOf([{ digest: `sha256:${"c".repeat(64)}`, size: 1 }])),
    "/v2/header/manifests/1": (res) => {
      res.writeHead(200, { "docker-content-digest": `sha256:${"d".repeat(64)}` });
      res.end(good);
    },
    "/v2/schema1/manifests/1": (res) => res.end(JSON.stringify({ schemaVersion: 1, fsLayers: [] })),
    [`/v2/blob/blobs/${CONFIG.digest}`]: (res) => res.end(Buffer.from(CONFIG.bytes.toString().replace("amd64", "arm64"))),
    [`/v2/long/blobs/${CONFIG.digest}`]: (res) => res.end(Buffer.concat([CONFIG.bytes, Buffer.from("x")])),
    [`/v2/redirect/blobs/${CONFIG.digest}`]: (res) => {
      res.writeHead(307, { location: "http://10.1.2.3/bucket/blob" });
      res.end();
    },
  };
  const fetched: string[] = [];
  const recording: typeof fetch = (input, init) => {
    fetched.push(String(input));
    return fetch(input, init);
  };

  before(async () => {
    server = createServer((req, res) => (routes[req.url!.split("?")[0]] ?? ((r) => ((r.statusCode = 404), r.end())))(res));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  test("manifests: oversized, huge layers, too many layers, bad digests, lying bytes, schema 1", async () => {
    const c = new RegistryClient(host, { fetch: recording });
    await assert.rejects(c.getManifest("big", "1"), /Refused manifest big:1: .*over the 4194304-byte limit/);
    await assert.rejects(c.getManifest("huge", "1"), /declares 1000000000000000 bytes, over the .*-byte limit/);
    await assert.rejects(c.getManifest("many", "1"), /200 layers, over the limit of 127/);
    await assert.rejects(c.getManifest("baddigest", "1"), /digest 'sha256:\.\.\/\.\.\/\.\.\/etc' is not sha256:<64 hex>/);
    await assert.rejects(c.getManifest("liar", sha256Digest(good)), /Refused manifest liar@sha256:[0-9a-f]{64}: its bytes hash to sha256:/);
    await assert.rejects(c.getManifest("header", "1"), /the registry says sha256:d{64}, its bytes hash to/);
    await assert.rejects(c.getManifest("schema1", "1"), /schemaVersion 1/);
    assert.ok(fetched.every((u) => u.startsWith(`http://${host}/`) || u.startsWith(`https://${host}/`)));
  });

  test("blobs: other bytes, more bytes, a redirect to plain http elsewhere", async () => {
    const c = new RegistryClient(host, { fetch: recording });
    const d = { mediaType: MEDIA.ociConfig, digest: CONFIG.digest, size: CONFIG.size };
    await assert.rejects(c.getBlobBytes("blob", d), /Refused blob sha256:[0-9a-f]{64}: its \d+ bytes hash to/);
    await assert.rejects(c.getBlobBytes("long", d), /over the \d+-byte limit|descriptor declares/);
    const stream = await c.openBlob("blob", d);
    await assert.rejects(async () => {
      for await (const _ of stream) void _;
    }, /its bytes hash to sha256:/);
    const before = fetched.length;
    await assert.rejects(c.getBlobBytes("redirect", d), /Refused http:\/\/10\.1\.2\.3: plain http is used only for loopback hosts/);
    assert.ok(!fetched.slice(before).some((u) => u.includes("10.1.2.3")), "no request left for the redirect target");
  });
});

test("plain http to a non-loopback registry only with --insecure-registry", async () => {
  const urls: string[] = [];
  // Nothing leaves the machine: this fetch answers for a registry that only speaks http.
  const fake: typeof fetch = async (input) => {
    const u = String(input);
    urls.push(u);
    if (u.startsWith("https:")) throw new TypeError("fetch failed", { cause: new Error("wrong version number") });
    return new Response(u.endsWith("/v2/") ? "{}" : manifestOf([]), { status: 200 });
  };
  const strict = new RegistryClient("registry.internal:5000", { fetch: fake });
  await assert.rejects(strict.getManifest("x", "1"), /Cannot reach https:\/\/registry\.internal:5000\/v2\/ \(wrong version number\)\. Plain http is used only for loopback hosts or a registry named with --insecure-registry/);
  assert.deepEqual(urls, ["https://registry.internal:5000/v2/"]);
  urls.length = 0;
  const allowed = new RegistryClient("registry.internal:5000", { fetch: fake, insecureRegistries: ["registry.internal:5000"] });
  assert.equal((await allowed.getManifest("x", "1")).manifest.mediaType, MEDIA.ociManifest);
  assert.deepEqual(urls, ["https://registry.internal:5000/v2/", "http://registry.internal:5000/v2/", "http://registry.internal:5000/v2/x/manifests/1"]);
});

/** Pushes one layer, config and manifest, then reads them back. */
async function roundTrip(c: RegistryClient, repo: string): Promise<void> {
  const layer = blob(randomBytes(2048));
  assert.equal(await c.pushBlob(repo, { mediaType: "", ...layer }, new Blob([layer.bytes])), "uploaded");
  assert.equal(await c.pushBlob(repo, { mediaType: "", ...CONFIG }, new Blob([CONFIG.bytes])), "uploaded");
  const m = manifestOf([layer]);
  assert.equal(await c.pushManifest(repo, "v1", m, MEDIA.ociManifest), sha256Digest(m));
  const back = await c.getManifest(repo, "v1");
  assert.equal(back.digest, sha256Digest(m));
  assert.deepEqual(await c.getBlobBytes(repo, { mediaType: "", ...layer }), layer.bytes);
}

describe("docker-registry: uploads and auth", { concurrency: false }, () => {
  const missing = hasCommand("docker-registry") && hasCommand("htpasswd") && hasCommand("openssl") ? undefined : skipReason("registry auth tests", "docker-registry, htpasswd or openssl is missing (scripts/registry-test-server.sh install)");
  const started: PrivateRegistry[] = [];
  after(async () => {
    for (const r of started) await r.stop();
  });

  test("uploads: chunked, skipped when present, mounted from another repository", { skip: missing }, async () => {
    const reg = await startPrivateRegistry("");
    started.push(reg);
    const methods: string[] = [];
    const counting: typeof fetch = (input, init) => {
      methods.push(`${init?.method ?? "GET"} ${new URL(String(input)).pathname.replace(/[0-9a-f-]{36}/, "<id>")}`);
      return fetch(input, init);
    };
    const c = new RegistryClient(reg.addr, { fetch: counting, chunkSize: 1024 * 1024 });
    const big = blob(randomBytes(2.5 * 1024 * 1024));
    const d = { mediaType: "", ...big };
    assert.equal(await c.pushBlob("a/one", d, new Blob([big.bytes])), "uploaded");
    assert.equal(methods.filter((m) => m.startsWith("PATCH")).length, 3);
    assert.equal(await c.pushBlob("a/one", d, new Blob([big.bytes])), "exists");
    assert.equal(await c.pushBlob("a/two", d, new Blob([big.bytes]), "a/one"), "mounted");
    assert.equal(await c.blobExists("a/two", big.digest), true);
    await roundTrip(c, "a/three");
  });

  test("basic auth (htpasswd): refused without or with wrong credentials, works with them", { skip: missing }, async () => {
    const htpasswd = join(tmp.path, "htpasswd");
    writeFileSync(htpasswd, execFileSync("htpasswd", ["-Bbn", "ci", "s3cret-pw"]));
    const reg = await startPrivateRegistry(`auth:\n  htpasswd: {realm: ciclo-test, path: ${htpasswd}}\n`);
    started.push(reg);
    await assert.rejects(new RegistryClient(reg.addr).getManifest("x/y", "1"), /needs a user name and password/);
    const wrong = new RegistryClient(reg.addr, { credentials: async () => ({ username: "ci", password: "nope" }) });
    await assert.rejects(wrong.getManifest("x/y", "1"), (e: Error) => /refused GET \/v2\/x\/y\/manifests\/1 \(HTTP 401/.test(e.message) && !e.message.includes("nope"));
    await roundTrip(new RegistryClient(reg.addr, { credentials: async () => ({ username: "ci", password: "s3cret-pw" }) }), "x/y");
  });

  test("bearer tokens: the client follows the challenge to the token service with its credentials and scopes", { skip: missing }, async () => {
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=ciclo-test-token", "-days", "1", "-keyout", join(tmp.path, "key.pem"), "-out", join(tmp.path, "cert.pem")], { stdio: "ignore" });
    const key = createPrivateKey(readFileSync(join(tmp.path, "key.pem")));
    const der = Buffer.from(readFileSync(join(tmp.path, "cert.pem"), "utf8").replace(/-----[^-]+-----|\s/g, ""), "base64");
    const asked: string[][] = [];
    const tokens = createServer((req, res) => {
      const url = new URL(req.url!, "http://x");
      const auth = req.headers.authorization ?? "";
      if (auth !== `Basic ${Buffer.from("robot:t0ken-pw").toString("base64")}`) {
        res.statusCode = 401;
        return res.end();
      }
      const scopes = url.searchParams.getAll("scope");
      asked.push(scopes);
      const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
      const now = Math.floor(Date.now() / 1000);
      const access = scopes.map((s) => {
        const [type, name, actions] = s.split(":");
        return { type, name, actions: actions.split(",") };
      });
      const head = b64({ alg: "RS256", typ: "JWT", x5c: [der.toString("base64")] });
      const body = b64({ iss: "ciclo-test-issuer", sub: "robot", aud: url.searchParams.get("service"), exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString("hex"), access });
      const sig = sign("sha256", Buffer.from(`${head}.${body}`), key).toString("base64url");
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ token: `${head}.${body}.${sig}`, expires_in: 300 }));
    });
    await new Promise<void>((r) => tokens.listen(0, "127.0.0.1", r));
    try {
      const realm = `http://127.0.0.1:${(tokens.address() as AddressInfo).port}/token`;
      const reg = await startPrivateRegistry(
        `auth:\n  token:\n    realm: ${realm}\n    service: ciclo-test-registry\n    issuer: ciclo-test-issuer\n    rootcertbundle: ${join(tmp.path, "cert.pem")}\n`,
      );
      started.push(reg);
      await assert.rejects(new RegistryClient(reg.addr).getManifest("t/m", "1"), /the token service refused anonymous access \(HTTP 401\)/);
      await assert.rejects(
        new RegistryClient(reg.addr, { credentials: async () => ({ username: "robot", password: "bad" }) }).getManifest("t/m", "1"),
        /the token service refused the credentials/,
      );
      const c = new RegistryClient(reg.addr, { credentials: async () => ({ username: "robot", password: "t0ken-pw" }) });
      await roundTrip(c, "t/m");
      assert.ok(asked.some((s) => s.includes("repository:t/m:pull,push")), JSON.stringify(asked));
      assert.ok(asked.some((s) => s.includes("repository:t/m:pull")));
      // Mounting asks for pull on the source repository as well.
      const layer = blob(randomBytes(512));
      await c.pushBlob("t/m", { mediaType: "", ...layer }, new Blob([layer.bytes]));
      assert.equal(await c.pushBlob("t/other", { mediaType: "", ...layer }, new Blob([layer.bytes]), "t/m"), "mounted");
      assert.ok(asked.some((s) => s.includes("repository:t/other:pull,push") && s.includes("repository:t/m:pull")), JSON.stringify(asked));
    } finally {
      await new Promise<void>((r) => tokens.close(() => r()));
    }
  });
});

test("outbound policy: the registry named may be loopback, but a redirect to another private address (the metadata service) is refused", async () => {
  const server = createServer((req, res) => {
    if (req.url === "/v2/") return res.end("{}");
    // A hostile registry sends the client on to the cloud metadata service (https, so the plain-http rule does not catch it).
    res.writeHead(307, { location: "https://169.254.169.254/latest/meta-data/" }).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    const addr = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const c = new RegistryClient(addr);
    await assert.rejects(c.getManifest("x/y", "1"), /private or local address \(169\.254\.169\.254\)/);
    // A policy that names other targets only: the registry itself is refused.
    const strict = new RegistryClient(addr, { outbound: { privateHosts: ["registry.lan"] } });
    await assert.rejects(strict.getManifest("x/y", "1"), /private or local address \(127\.0\.0\.1\)/);
  } finally {
    server.close();
  }
});
