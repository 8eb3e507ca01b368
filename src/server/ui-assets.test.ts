/**
 * The web UI as the server serves it: index.html at `/` and for deep links,
 * immutable hashed assets, security headers, and API paths that keep
 * MLflow's JSON 404.
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { FastifyInstance } from "fastify";
import { tempDir } from "../testing/temp-dir.js";
import { openTestApp, type TestApp } from "../testing/test-app.js";
import { trackingModule } from "../tracking/http/tracking-module.js";
import { UI_CSP } from "./ui-assets.js";
import { UI_NOT_BUILT, uiModule } from "./ui-module.js";

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>';

describe("web UI assets", () => {
  const dir = tempDir("ciclo-ui-");
  let app: FastifyInstance;
  let fx: TestApp;
  before(async () => {
    const assets = join(dir.path, "ui");
    mkdirSync(join(assets, "assets"), { recursive: true });
    writeFileSync(join(assets, "index.html"), INDEX);
    writeFileSync(join(assets, "assets", "index-abc123.js"), "console.log('app')");
    writeFileSync(join(assets, "favicon.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>");
    writeFileSync(join(dir.path, "secret.txt"), "do not serve");
    fx = await openTestApp({ modules: [trackingModule(), uiModule({ assetsDir: assets })] });
    app = fx.app;
  });
  after(async () => {
    await fx.close();
    dir.remove();
  });

  const get = (url: string, method: "GET" | "POST" | "HEAD" = "GET") => app.inject({ method, url });

  function assertSecurityHeaders(h: Record<string, unknown>): void {
    assert.equal(h["content-security-policy"], UI_CSP);
    assert.doesNotMatch(String(h["content-security-policy"]), /'unsafe-inline'|'unsafe-eval'/);
    assert.match(String(h["content-security-policy"]), /frame-ancestors 'none'/);
    assert.equal(h["x-content-type-options"], "nosniff");
    assert.equal(h["x-frame-options"], "DENY");
  }

  test("/ serves index.html, revalidated on every load, with the security headers", async () => {
    const r = await get("/");
    assert.equal(r.statusCode, 200);
    assert.match(String(r.headers["content-type"]), /^text\/html/);
    assert.equal(r.body, INDEX);
    assert.equal(r.headers["cache-control"], "no-cache");
    assertSecurityHeaders(r.headers);
  });

  test("deep links and reloads of any page path get the app", async () => {
    for (const path of ["/experiments", "/experiments/12/runs?filter=metrics.loss%20%3C%201", "/runs/abc", "/compare", "/models/x/versions/3"]) {
      const r = await get(path);
      assert.equal(r.statusCode, 200, path);
      assert.equal(r.body, INDEX, path);
      assertSecurityHeaders(r.headers);
    }
    assert.equal((await get("/experiments", "HEAD")).statusCode, 200);
  });

  test("hashed assets are cached for a year, immutable", async () => {
    const r = await get("/assets/index-abc123.js");
    assert.equal(r.statusCode, 200);
    assert.match(String(r.headers["content-type"]), /javascript/);
    assert.match(String(r.headers["cache-control"]), /max-age=31536000/);
    assert.match(String(r.headers["cache-control"]), /immutable/);
    assertSecurityHeaders(r.headers);
    assert.equal((await get("/favicon.svg")).statusCode, 200);
  });

  test("API paths, missing files and other methods keep MLflow's JSON 404", async () => {
    for (const [method, path] of [
      ["GET", "/api/2.0/mlflow/no-such-endpoint"],
      ["GET", "/ajax-api/2.0/mlflow/nope"],
      ["GET", "/api/ciclo/v1/nope"],
      ["GET", "/assets/missing-123.js"],
      ["GET", "/main.js"],
      ["POST", "/experiments"],
    ] as const) {
      const r = await get(path, method);
      assert.equal(r.statusCode, 404, `${method} ${path}: ${r.body}`);
      assert.equal(JSON.parse(r.body).error_code, "ENDPOINT_NOT_FOUND", path);
    }
  });

  test("nothing outside the assets folder is reachable", async () => {
    for (const path of ["/assets/../../secret.txt", "/assets/%2e%2e/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt"]) {
      const r = await get(path);
      assert.notEqual(r.body, "do not serve", path);
      assert.ok(r.statusCode >= 400 || r.body === INDEX, `${path}: ${r.statusCode}`);
    }
  });
});

test("without a built UI, / says how to build it and the API still answers MLflow's JSON", async () => {
  const fx = await openTestApp({ modules: [trackingModule(), uiModule({ assetsDir: null })] });
  try {
    const r = await fx.app.inject({ method: "GET", url: "/" });
    assert.equal(r.statusCode, 404);
    assert.match(String(r.headers["content-type"]), /^text\/plain/);
    assert.equal(r.body, UI_NOT_BUILT);
    assert.match(r.body, /npm run build:ui/);
    const api = await fx.app.inject({ method: "GET", url: "/api/2.0/mlflow/nothing" });
    assert.equal(api.statusCode, 404);
    assert.equal(api.json().error_code, "ENDPOINT_NOT_FOUND");
    const health = await fx.app.inject({ method: "GET", url: "/health" });
    assert.equal(health.body, "OK");
  } finally {
    await fx.close();
  }
});
