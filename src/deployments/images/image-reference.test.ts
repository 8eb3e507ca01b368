/**
 * Image references: Docker Hub's defaults, hosts with ports and IPv6, tags and
 * digests; hostile references (traversal, user info, upper case, control
 * characters, bad digests) refused; which hosts count as loopback.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatReference, isLoopbackHost, parseImageReference, registryApiHost, withDigest } from "./image-reference.js";
import { parsePlatform, selectPlatform, MEDIA } from "./oci-manifest.js";

const D = `sha256:${"a".repeat(64)}`;

test("references: Hub defaults, hosts with ports, tags, digests", () => {
  assert.deepEqual(parseImageReference("node:20"), { registry: "docker.io", repository: "library/node", tag: "20" });
  assert.deepEqual(parseImageReference("acme/fraud"), { registry: "docker.io", repository: "acme/fraud" });
  assert.deepEqual(parseImageReference("127.0.0.1:5000/ml/fraud-model:3"), { registry: "127.0.0.1:5000", repository: "ml/fraud-model", tag: "3" });
  assert.deepEqual(parseImageReference(`localhost/fraud@${D}`), { registry: "localhost", repository: "fraud", digest: D });
  assert.deepEqual(parseImageReference(`[::1]:5000/a/b:v1.2_x@${D}`), { registry: "[::1]:5000", repository: "a/b", tag: "v1.2_x", digest: D });
  assert.equal(formatReference(parseImageReference("ghcr.io/acme/x:1")), "ghcr.io/acme/x:1");
  assert.equal(withDigest(parseImageReference("ghcr.io/acme/x:1"), D), `ghcr.io/acme/x@${D}`);
  assert.equal(registryApiHost("docker.io"), "registry-1.docker.io");
});

test("hostile references are refused before they reach a URL", () => {
  for (const bad of [
    "",
    "127.0.0.1:5000/../../v2/_catalog",
    "127.0.0.1:5000/a/./b",
    "user:pw@host.example/x",
    "Registry.example.com/Fraud",
    "host.example/x:tag with space",
    "host.example/x\n:1",
    "host.example/x:-bad",
    `host.example/x:${"t".repeat(129)}`,
    "host.example/x@sha256:abc",
    `host.example/x@md5:${"a".repeat(32)}`,
    "host.example:99999/x",
    "host.example/x?y=1",
    "host.example/x#frag",
    "host_example.com:80/x",
    `host.example/${"a/".repeat(200)}x`,
    "host.example/x%2e%2e/y",
  ]) {
    assert.throws(() => parseImageReference(bad), (e: Error) => /Image reference .* is invalid/.test(e.message), bad);
  }
});

test("loopback hosts are the only ones plain http is allowed to by default", () => {
  for (const h of ["127.0.0.1:5000", "127.1.2.3", "localhost:5000", "[::1]:5000", "reg.localhost"]) assert.equal(isLoopbackHost(h), true, h);
  for (const h of ["10.0.0.1:5000", "192.168.1.2", "registry.example.com", "127.0.0.1.example.com", "[::2]:5000", "localhost.example.com"]) assert.equal(isLoopbackHost(h), false, h);
});

test("platforms: parsed, and picked from an index (arm64's variant defaults to v8)", () => {
  assert.deepEqual(parsePlatform("linux/arm64/v8"), { os: "linux", architecture: "arm64", variant: "v8" });
  assert.throws(() => parsePlatform("linux"), /os\/architecture/);
  assert.throws(() => parsePlatform("linux/amd64/x/y"), /os\/architecture/);
  const entry = (architecture: string, variant?: string) => ({ mediaType: MEDIA.ociManifest, digest: D, size: 1, platform: { os: "linux", architecture, ...(variant ? { variant } : {}) } });
  const index = { schemaVersion: 2 as const, mediaType: MEDIA.ociIndex, manifests: [entry("amd64"), { ...entry("arm64"), digest: `sha256:${"b".repeat(64)}` }] };
  assert.equal(selectPlatform(index, parsePlatform("linux/arm64/v8")).digest, `sha256:${"b".repeat(64)}`);
  assert.throws(() => selectPlatform(index, parsePlatform("linux/s390x")), /no linux\/s390x variant \(it has: linux\/amd64, linux\/arm64\)/);
});
