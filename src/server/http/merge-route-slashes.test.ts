import assert from "node:assert/strict";
import { test } from "node:test";
import { mergeRouteSlashes } from "./network-policy.js";

test("repeated slashes merge in the route part, as Werkzeug merges them for MLflow", () => {
  assert.equal(mergeRouteSlashes("/api/2.0/mlflow//model-versions/get-artifact?name=m&version=1&path=a//b"), "/api/2.0/mlflow/model-versions/get-artifact?name=m&version=1&path=a//b");
  assert.equal(mergeRouteSlashes("//api//2.0/mlflow/runs/get?run_id=1"), "/api/2.0/mlflow/runs/get?run_id=1");
  assert.equal(mergeRouteSlashes("/api/2.0/mlflow/runs/get"), "/api/2.0/mlflow/runs/get");
});

test("a proxied artifact path keeps the client's slashes, so an absolute path stays absolute (and is refused)", () => {
  assert.equal(mergeRouteSlashes("/api/2.0/mlflow-artifacts/artifacts//etc/passwd"), "/api/2.0/mlflow-artifacts/artifacts//etc/passwd");
  assert.equal(mergeRouteSlashes("//ajax-api//2.0/mlflow-artifacts//artifacts//proc/self/root"), "/ajax-api/2.0/mlflow-artifacts/artifacts//proc/self/root");
  assert.equal(mergeRouteSlashes("/api/2.0/mlflow-artifacts/mpu/create//etc/x?y=1"), "/api/2.0/mlflow-artifacts/mpu/create//etc/x?y=1");
});
