/**
 * The tracing and kubernetes-target flags as the CLI takes them: a malformed
 * OTLP endpoint is a usage error (exit 2) naming the flag or variable it came
 * from, before anything starts; `--k8s-image` without `--k8s-namespace`, and a
 * namespace Kubernetes would refuse, stop `ciclo server` before it starts
 * (with a non-zero code, as its other flag errors).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runCiclo } from "../../testing/child-server.js";
import { UsageError } from "../output/cli-errors.js";
import { otlpTracing } from "./otlp-flag.js";

test("otlpTracing: off by default, the flag or the variable, a bad URL a UsageError naming its source", () => {
  assert.equal(otlpTracing("s", undefined, {}), undefined);
  assert.equal(otlpTracing("s", "http://c:4318", {})?.tracesUrl, "http://c:4318/v1/traces");
  assert.equal(otlpTracing("gw", undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" })?.serviceName, "gw");
  assert.throws(() => otlpTracing("s", "c:4318", {}), (e: Error) => e instanceof UsageError && /--otlp-endpoint/.test(e.message));
  assert.throws(() => otlpTracing("s", undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: "nope" }), (e: Error) => e instanceof UsageError && /OTEL_EXPORTER_OTLP_ENDPOINT/.test(e.message));
});

test("bad tracing and kubernetes flags stop the command before anything starts", async () => {
  const serve = await runCiclo(["models", "serve", "-m", "./no-such-model", "--otlp-endpoint", "ftp://collector:4318"]);
  assert.equal(serve.code, 2, serve.stderr);
  assert.match(serve.stderr, /http:\/\/ or https:\/\//);
  const image = await runCiclo(["server", "--k8s-image", "r/{model}:{version}"]);
  assert.notEqual(image.code, 0, image.stderr);
  assert.match(image.stderr, /--k8s-image needs --k8s-namespace/);
  const ns = await runCiclo(["server", "--k8s-namespace", "Bad_Namespace"]);
  assert.notEqual(ns.code, 0, ns.stderr);
  assert.match(ns.stderr, /not a Kubernetes namespace name/);
});
