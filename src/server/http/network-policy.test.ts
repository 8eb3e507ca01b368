/**
 * The Host allow-list answers the same on every request, however many hosts it
 * has already seen: allowed hosts it remembers stay allowed, refused ones stay
 * refused, and past its memo's size it still matches each host.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import Fastify from "fastify";
import { applyNetworkPolicy } from "./network-policy.js";

async function app() {
  const a = Fastify();
  applyNetworkPolicy(a, {});
  a.post("/api/2.0/mlflow/runs/log-metric", async () => ({}));
  await a.ready();
  return a;
}

const post = (a: Awaited<ReturnType<typeof app>>, host: string) =>
  a.inject({ method: "POST", url: "/api/2.0/mlflow/runs/log-metric", headers: { host, "content-type": "application/json" }, payload: "{}" });

test("a foreign Host is refused every time, an allowed one answered every time", async () => {
  const a = await app();
  for (let i = 0; i < 3; i++) {
    assert.equal((await post(a, "localhost:5000")).statusCode, 200);
    const refused = await post(a, "evil.example.com");
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.json().error_code, "PERMISSION_DENIED");
  }
  await a.close();
});

test("more allowed hosts than the memo holds are all still answered, and foreign ones refused", async () => {
  const a = await app();
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 100; i++) assert.equal((await post(a, `10.0.0.${i}:5000`)).statusCode, 200, `10.0.0.${i}`);
    assert.equal((await post(a, "evil.example.com:5000")).statusCode, 403);
  }
  await a.close();
});
