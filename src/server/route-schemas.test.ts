/**
 * Route schemas are compiled on first use (start-up speed); this compiles them
 * all on the full server — tracking, registry, artifacts, logged models, the
 * UI's endpoints — so a schema Ajv or fast-json-stringify rejects fails here,
 * not on the first request a user sends to that route.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { startLiveTrackingServer } from "../testing/live-tracking-server.js";
import { compileRouteSchemas } from "./app.js";

test("every route's validators and serializers compile", async () => {
  const live = await startLiveTrackingServer();
  try {
    const app = live.server.app;
    for (const [method, url] of [
      ["POST", "/api/2.0/mlflow/runs/search"],
      ["POST", "/api/2.0/mlflow/registered-models/create"],
      ["POST", "/api/2.0/mlflow/logged-models"],
      ["GET", "/api/2.0/mlflow-artifacts/artifacts"],
    ] as const) {
      assert.ok(app.hasRoute({ method, url }), `${method} ${url} is served`);
    }
    const compiled = compileRouteSchemas(app);
    assert.ok(compiled > 100, `${compiled} schemas compiled`);
    // Compiled once: a request afterwards validates with the same functions.
    const r = await fetch(`${live.url}/api/2.0/mlflow/experiments/create`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: 5 }) });
    assert.equal(r.status, 400);
    assert.equal(((await r.json()) as { error_code: string }).error_code, "INVALID_PARAMETER_VALUE");
  } finally {
    await live.close();
  }
});
