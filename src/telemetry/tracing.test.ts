/**
 * Traces across processes: a request carrying a caller's `traceparent` goes
 * through the endpoint router (this process) to `ciclo models serve` (a child
 * process) and is mirrored to a second deployment; both export OTLP/HTTP to
 * an in-test receiver, which must see one trace: caller → router (server) →
 * one client span per deployment called → the model server's span (in the
 * child, parented by the router's client span: the context crossed HTTP) →
 * its runtime span. Also: the settings (flag, OTEL_* variables, off), and
 * what a replica receives with tracing on and off.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createInterface } from "node:readline";
import { after, before, describe, test } from "node:test";
import { EndpointRouter } from "../deployments/router/endpoint-router.js";
import { spawnCiclo } from "../testing/child-server.js";
import { linearModel } from "../testing/model-fixtures.js";
import { OtlpReceiver, type ReceivedSpan } from "../testing/otlp-receiver.js";
import { tempDir } from "../testing/temp-dir.js";
import { waitFor } from "../testing/wait-for.js";
import { loadTracing, tracingConfig } from "./tracing.js";

const SERVER = 2;
const CLIENT = 3;
const INTERNAL = 1;

test("settings: off unless an endpoint is given; the flag wins; OTEL_SDK_DISABLED turns it off; a bad URL is refused", async () => {
  assert.equal(tracingConfig("s", {}), undefined);
  assert.equal(await loadTracing(undefined), undefined);
  assert.equal(tracingConfig("s", { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318/" })?.tracesUrl, "http://c:4318/v1/traces");
  assert.equal(tracingConfig("s", { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://c:4318/custom", OTEL_EXPORTER_OTLP_ENDPOINT: "http://d:4318" })?.tracesUrl, "http://c:4318/custom");
  assert.equal(tracingConfig("s", { OTEL_EXPORTER_OTLP_ENDPOINT: "http://d:4318" }, "https://flag:4318")?.tracesUrl, "https://flag:4318/v1/traces");
  assert.equal(tracingConfig("s", { OTEL_EXPORTER_OTLP_ENDPOINT: "http://d:4318", OTEL_SDK_DISABLED: "true" }), undefined);
  assert.equal(tracingConfig("s", { OTEL_EXPORTER_OTLP_ENDPOINT: "http://d:4318", OTEL_TRACES_EXPORTER: "none" }), undefined);
  assert.equal(tracingConfig("s", { OTEL_EXPORTER_OTLP_ENDPOINT: "http://d:4318", OTEL_BSP_SCHEDULE_DELAY: "50" })?.scheduleDelayMs, 50);
  assert.throws(() => tracingConfig("s", {}, "collector:4318"), /not a URL|http:\/\/ or https:\/\//);
  assert.throws(() => tracingConfig("s", {}, "file:///etc/passwd"), /http:\/\/ or https:\/\//);
});

describe("trace context over HTTP", () => {
  let seen: Array<Record<string, string | string[] | undefined>> = [];
  let replica: ReturnType<typeof createServer>;
  let url: string;
  before(async () => {
    replica = createServer((req, res) => {
      seen.push(req.headers);
      req.resume().on("end", () => res.writeHead(200, { "content-type": "application/json" }).end('{"predictions": [1]}'));
    });
    await new Promise<void>((r) => replica.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(replica.address() as AddressInfo).port}`;
  });
  after(() => new Promise((r) => replica.close(r)));

  const caller = `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-01`;
  const call = (router: EndpointRouter) =>
    router.invoke({ endpoint: "e", path: "/invocations", method: "POST", headers: { "content-type": "application/json", traceparent: caller, tracestate: "vendor=1" }, body: Buffer.from("{}") });

  test("tracing off: the replica gets the caller's traceparent unchanged", async () => {
    seen = [];
    const router = new EndpointRouter();
    router.setTable([{ name: "e", deployments: [{ name: "blue", modelVersion: "1", weight: 100, mirror: 0, urls: [url] }] }]);
    assert.equal((await call(router)).status, 200);
    await router.close();
    assert.equal(seen[0].traceparent, caller);
    assert.equal(seen[0].tracestate, "vendor=1");
  });

  test("tracing on: the replica gets the same trace id with the router's own span as parent", async () => {
    seen = [];
    const receiver = await OtlpReceiver.start();
    const tracing = await loadTracing({ tracesUrl: `${receiver.url}/v1/traces`, serviceName: "router-test", scheduleDelayMs: 20 });
    const router = new EndpointRouter({ tracing });
    router.setTable([{ name: "e", deployments: [{ name: "blue", modelVersion: "1", weight: 100, mirror: 0, urls: [url] }] }]);
    assert.equal((await call(router)).status, 200);
    await router.close();
    await tracing!.shutdown();
    await receiver.close();
    const [, traceId, parentId] = caller.split("-");
    const got = String(seen[0].traceparent).split("-");
    assert.equal(got[1], traceId);
    assert.notEqual(got[2], parentId);
    assert.equal(seen[0].tracestate, "vendor=1");
    const clientSpan = receiver.spans.find((s) => s.kind === CLIENT);
    assert.equal(clientSpan?.spanId, got[2], "the replica's parent is the router's client span");
  });
});

describe("router → model server → runtime, across processes", () => {
  const tmp = tempDir("ciclo-tracing-");
  let receiver: OtlpReceiver;
  let child: ReturnType<typeof spawnCiclo>;
  let serverUrl: string;

  before(async () => {
    receiver = await OtlpReceiver.start();
    const model = await linearModel(tmp.path);
    child = spawnCiclo(["models", "serve", "-m", model, "-p", "0", "--workers", "1", "--model-name", "linear", "--model-version", "4", "--otlp-endpoint", receiver.url], { OTEL_BSP_SCHEDULE_DELAY: "20" });
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    serverUrl = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on("line", (text) => {
        const line = JSON.parse(text) as { msg?: string; url?: string };
        if (line.msg === "ciclo scoring server ready") resolve(String(line.url));
      });
      child.once("exit", (code) => reject(new Error(`models serve exited (${code}): ${stderr}`)));
    });
  });
  after(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
    await receiver.close();
    tmp.remove();
  });

  test("one trace: the caller's id, each span parented by the one that called it, service names per process", async () => {
    const tracing = await loadTracing({ tracesUrl: `${receiver.url}/v1/traces`, serviceName: "ciclo-server", scheduleDelayMs: 20 });
    const router = new EndpointRouter({ tracing });
    router.setTable([
      {
        name: "fraud",
        deployments: [
          { name: "blue", modelVersion: "4", weight: 100, mirror: 0, urls: [serverUrl] },
          { name: "green", modelVersion: "4", weight: 0, mirror: 100, urls: [serverUrl] },
        ],
      },
    ]);
    const traceId = randomBytes(16).toString("hex");
    const callerSpan = randomBytes(8).toString("hex");
    const res = await router.invoke({
      endpoint: "fraud",
      path: "/invocations",
      method: "POST",
      headers: { "content-type": "application/json", traceparent: `00-${traceId}-${callerSpan}-01` },
      body: Buffer.from(JSON.stringify({ inputs: [[1, 2, 3]] })),
    });
    assert.equal(res.status, 200, res.body.toString());
    assert.equal(res.headers["ciclo-deployment"], "blue");

    // Seven spans: router, two calls (primary + mirror), and for each call the model server's span and its runtime's.
    const spans = await waitFor(
      () => receiver.spans.filter((s) => s.traceId === traceId),
      (s) => s.length >= 7,
      { timeoutMs: 30_000, what: "seven spans of the trace at the receiver" },
    );
    await router.close();
    await tracing!.shutdown();
    assert.equal(spans.length, 7, JSON.stringify(spans, null, 1));
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const parentOf = (s: ReceivedSpan) => (s.parentSpanId ? byId.get(s.parentSpanId) : undefined);

    const routerSpans = spans.filter((s) => s.service === "ciclo-server" && s.kind === SERVER);
    assert.equal(routerSpans.length, 1);
    const root = routerSpans[0];
    assert.equal(root.parentSpanId, callerSpan, "the router continues the caller's span");
    assert.equal(root.attributes["ciclo.endpoint"], "fraud");
    assert.equal(root.attributes["ciclo.deployment"], "blue");
    assert.equal(root.attributes["http.response.status_code"], 200);

    const calls = spans.filter((s) => s.kind === CLIENT);
    assert.deepEqual(calls.map((c) => c.service), ["ciclo-server", "ciclo-server"]);
    assert.deepEqual(calls.map((c) => c.attributes["ciclo.deployment"]).sort(), ["blue", "green"]);
    for (const c of calls) {
      assert.equal(parentOf(c), root);
      assert.equal(c.attributes["ciclo.mirrored"], c.attributes["ciclo.deployment"] === "green");
    }

    const modelServer = spans.filter((s) => s.service === "ciclo-model-server" && s.kind === SERVER);
    assert.equal(modelServer.length, 2);
    // Parented by the router's client spans: the context crossed the process boundary in traceparent.
    assert.deepEqual(modelServer.map((s) => parentOf(s)?.spanId).sort(), calls.map((c) => c.spanId).sort());
    for (const s of modelServer) {
      assert.equal(s.name, "POST /invocations");
      assert.equal(s.attributes["ciclo.model"], "linear");
      assert.equal(s.attributes["ciclo.model_version"], "4");
      assert.equal(s.attributes["http.response.status_code"], 200);
    }

    const runtime = spans.filter((s) => s.kind === INTERNAL);
    assert.equal(runtime.length, 2);
    for (const r of runtime) {
      assert.equal(r.service, "ciclo-model-server");
      assert.equal(r.name, "ciclo.runtime.predict");
      assert.ok(modelServer.includes(parentOf(r)!), "the runtime span is a child of a model-server span");
      assert.equal(r.attributes["ciclo.rows"], 1);
    }
  });

  test("an error answer marks the spans as errors", async () => {
    const tracing = await loadTracing({ tracesUrl: `${receiver.url}/v1/traces`, serviceName: "ciclo-server", scheduleDelayMs: 20 });
    const router = new EndpointRouter({ tracing });
    router.setTable([{ name: "fraud", deployments: [{ name: "blue", modelVersion: "4", weight: 100, mirror: 0, urls: ["http://127.0.0.1:1"] }] }]);
    const traceId = randomBytes(16).toString("hex");
    const res = await router.invoke({ endpoint: "fraud", path: "/invocations", method: "POST", headers: { traceparent: `00-${traceId}-${randomBytes(8).toString("hex")}-01` }, body: Buffer.from("{}") });
    assert.equal(res.status, 503);
    const spans = await waitFor(() => receiver.spans.filter((s) => s.traceId === traceId), (s) => s.length >= 2, { timeoutMs: 30_000, what: "the failed trace's spans" });
    await router.close();
    await tracing!.shutdown();
    for (const s of spans) assert.equal(s.statusCode, 2, `${s.name} is an error`);
  });
});
