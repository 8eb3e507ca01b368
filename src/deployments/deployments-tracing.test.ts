/**
 * Traces through a real `ciclo server` with a local deployment: the server
 * is given an OTLP endpoint (the module's `tracing` setting, as
 * `--otlp-endpoint` gives it), and the model server it starts inherits it.
 * A request with a caller's traceparent to `/endpoints/{name}/invocations`
 * yields, at an in-test OTLP/HTTP receiver, one trace across the two
 * processes: router (ciclo-server) → call to the deployment → model server
 * (ciclo-model-server, started by the server) → runtime.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { factorModel, startDeployWorld, type DeployWorld } from "../testing/deployments-fixture.js";
import { OtlpReceiver } from "../testing/otlp-receiver.js";
import { waitFor } from "../testing/wait-for.js";

describe("traces through ciclo server and the model server it runs", () => {
  let receiver: OtlpReceiver;
  let w: DeployWorld;
  before(async () => {
    receiver = await OtlpReceiver.start();
    w = await startDeployWorld({
      tracing: { tracesUrl: `${receiver.url}/v1/traces`, serviceName: "ciclo-server", scheduleDelayMs: 20 },
      childEnv: { ...process.env, CICLO_FROM_SOURCE: "1", OTEL_BSP_SCHEDULE_DELAY: "20" },
    });
  });
  after(async () => {
    await w?.close();
    await receiver?.close();
  });

  test("one trace from the caller's traceparent to the runtime, across the server and its model server", async () => {
    const v = await w.register("scorer", await factorModel(w.dir, "two", 2));
    assert.equal((await w.api("POST", "/endpoints", { name: "traced" })).status, 200);
    assert.equal((await w.api("POST", "/endpoints/traced/deployments", { name: "blue", model_uri: `models:/scorer/${v}` })).status, 200);
    await waitFor(
      async () => (await w.api("GET", "/endpoints/traced")).json.endpoint.deployments[0].health.ready_replicas,
      (n) => n === 1,
      { what: "the replica ready", timeoutMs: 120_000, intervalMs: 100 },
    );
    const traceId = randomBytes(16).toString("hex");
    const caller = randomBytes(8).toString("hex");
    const r = await w.invoke("traced", 21, { traceparent: `00-${traceId}-${caller}-01` });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const spans = await waitFor(() => receiver.spans.filter((s) => s.traceId === traceId), (s) => s.length >= 4, { timeoutMs: 30_000, what: "four spans of the trace" });
    assert.equal(spans.length, 4, JSON.stringify(spans, null, 1));
    const [router, call, model, runtime] = [
      spans.find((s) => s.kind === 2 && s.service === "ciclo-server"),
      spans.find((s) => s.kind === 3),
      spans.find((s) => s.kind === 2 && s.service === "ciclo-model-server"),
      spans.find((s) => s.kind === 1),
    ];
    assert.ok(router && call && model && runtime, JSON.stringify(spans, null, 1));
    assert.equal(router.parentSpanId, caller);
    assert.equal(router.attributes["ciclo.endpoint"], "traced");
    assert.equal(call.parentSpanId, router.spanId);
    assert.equal(call.service, "ciclo-server");
    assert.equal(model.parentSpanId, call.spanId, "the model server continued the router's call span");
    assert.equal(model.attributes["ciclo.model"], "scorer");
    assert.equal(runtime.parentSpanId, model.spanId);
    assert.equal(runtime.service, "ciclo-model-server");
  });
});
