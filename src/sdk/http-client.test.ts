/**
 * The SDK transport and typed client against a live server (loopback port),
 * with a fault-injecting proxy in front for the retry cases.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { MlflowError, ResourceAlreadyExistsError, ResourceDoesNotExistError } from "../shared/errors.js";
import { startFaultProxy, type FaultProxy } from "../testing/fault-proxy.js";
import { freePort } from "../testing/free-port.js";
import { startLiveTrackingServer, type LiveTrackingServer } from "../testing/live-tracking-server.js";
import { HttpClient, TrackingConnectionError, httpStatusOf, isTransientError, type RetryNotice } from "./http-client.js";
import { TrackingClient } from "./tracking-client.js";

const FAST = { maxAttempts: 4, initialDelayMs: 5, maxDelayMs: 20 };

describe("sdk http client", () => {
  let live: LiveTrackingServer;
  let proxy: FaultProxy;
  let client: TrackingClient;
  before(async () => {
    live = await startLiveTrackingServer();
    proxy = await startFaultProxy(live.url);
    client = new TrackingClient({ trackingUri: proxy.url, env: {}, retry: FAST });
  });
  after(async () => {
    await proxy.close();
    await live.close();
  });

  test("turns error bodies into the matching MlflowError classes, without retrying 4xx", async () => {
    const before = proxy.hits.get("/api/2.0/mlflow/runs/get") ?? 0;
    await assert.rejects(client.getRun("0123456789abcdef0123456789abcdef"), (err: unknown) => {
      assert.ok(err instanceof ResourceDoesNotExistError);
      assert.equal(err.errorCode, "RESOURCE_DOES_NOT_EXIST");
      assert.match(err.message, /Run with id=0123456789abcdef0123456789abcdef not found/);
      assert.equal(httpStatusOf(err), 404);
      assert.equal(isTransientError(err), false);
      return true;
    });
    assert.equal(proxy.hits.get("/api/2.0/mlflow/runs/get"), before + 1, "a 404 is not retried");
    const name = `dup-${Date.now()}`;
    await client.createExperiment(name);
    await assert.rejects(client.createExperiment(name), (err: unknown) => err instanceof ResourceAlreadyExistsError && httpStatusOf(err) === 400);
  });

  test("retries 503 and 429 with backoff, then succeeds", async () => {
    const path = "/api/2.0/mlflow/experiments/get";
    const before = proxy.hits.get(path) ?? 0;
    proxy.failNext("experiments/get", "503", 2);
    proxy.failNext("experiments/get", "429", 1);
    const exp = await client.getExperiment("0");
    assert.equal(exp.name, "Default");
    assert.equal(proxy.hits.get(path), before + 4);
  });

  test("gives up after the configured attempts with the server's error", async () => {
    proxy.failNext("experiments/get", "503", 10);
    const c = new TrackingClient({ trackingUri: proxy.url, env: {}, retry: { ...FAST, maxAttempts: 2 } });
    await assert.rejects(c.getExperiment("0"), (err: unknown) => {
      assert.ok(err instanceof MlflowError);
      assert.equal(err.errorCode, "TEMPORARILY_UNAVAILABLE");
      assert.equal(httpStatusOf(err), 503);
      assert.ok(isTransientError(err));
      return true;
    });
    proxy.clearFaults();
  });

  test("retries a dropped connection; an unreachable server is a TrackingConnectionError", async () => {
    proxy.failNext("experiments/get-by-name", "drop-before", 2);
    assert.equal((await client.getExperimentByName("Default")).experimentId, "0");
    const port = await freePort();
    const dead = new TrackingClient({ trackingUri: `http://127.0.0.1:${port}`, env: {}, retry: { ...FAST, maxAttempts: 3 } });
    await assert.rejects(dead.getExperiment("0"), (err: unknown) => {
      assert.ok(err instanceof TrackingConnectionError);
      assert.ok(isTransientError(err));
      assert.match(err.message, /Could not reach the tracking server at http:\/\/127\.0\.0\.1:\d+ \(GET experiments\/get, 3 attempts\): ECONNREFUSED/);
      return true;
    });
  });

  test("onRetry hears each retry with its reason before the wait; the last failure is not retried", async () => {
    const heard: RetryNotice[] = [];
    proxy.failNext("experiments/get", "503", 1);
    const c = new TrackingClient({ trackingUri: proxy.url, env: {}, retry: FAST, onRetry: (r) => heard.push(r) });
    assert.equal((await c.getExperiment("0")).name, "Default");
    assert.deepEqual(heard.map((r) => [r.method, r.path, r.attempt, r.reason]), [["GET", "experiments/get", 1, "HTTP 503"]]);
    const port = await freePort();
    heard.length = 0;
    const dead = new TrackingClient({ trackingUri: `http://127.0.0.1:${port}`, env: {}, retry: { ...FAST, maxAttempts: 3 }, onRetry: (r) => heard.push(r) });
    await assert.rejects(dead.getExperiment("0"), TrackingConnectionError);
    assert.deepEqual(heard.map((r) => [r.attempt, r.maxAttempts, r.reason]), [[1, 3, "ECONNREFUSED"], [2, 3, "ECONNREFUSED"]]);
    assert.ok(heard.every((r) => r.delayMs >= 0 && r.delayMs <= FAST.maxDelayMs));
  });

  test("runs/create is not retried after a lost response: no second run", async () => {
    const exp = await client.createExperiment(`once-${Date.now()}`);
    const path = "/api/2.0/mlflow/runs/create";
    const before = proxy.hits.get(path) ?? 0;
    proxy.failNext("runs/create", "drop-after", 1);
    await assert.rejects(client.createRun({ experimentId: exp, runName: "once" }), (err: unknown) => {
      assert.ok(err instanceof TrackingConnectionError);
      assert.match(err.message, /\(POST runs\/create, 1 attempt\)/);
      return true;
    });
    assert.equal(proxy.hits.get(path), before + 1);
    assert.deepEqual((await client.searchAllRuns({ experimentIds: [exp] })).map((r) => r.info.runName), ["once"], "the server made exactly one run");
    proxy.failNext("runs/create", "503", 1); // an explicit 503 means not applied: retried
    assert.equal((await client.createRun({ experimentId: exp, runName: "twice" })).info.runName, "twice");
    assert.equal(proxy.hits.get(path), before + 3);
  });

  test("times out a request that is never answered", async () => {
    proxy.failNext("experiments/get", "hang", 1);
    const c = new TrackingClient({ trackingUri: proxy.url, env: {}, timeoutMs: 150, retry: { maxAttempts: 1 } });
    await assert.rejects(c.getExperiment("0"), /timed out after 150 ms/);
  });

  test("sends Bearer or basic auth as MLflow's environment variables say", async () => {
    const authOf = async (c: HttpClient) => {
      await c.get("experiments/get", { experiment_id: "0" });
      return proxy.requests.at(-1)!.headers.authorization;
    };
    const env = { CICLO_TRACKING_TOKEN: "ciclo-t", MLFLOW_TRACKING_TOKEN: "mlflow-t", MLFLOW_TRACKING_USERNAME: "u", MLFLOW_TRACKING_PASSWORD: "p" };
    assert.equal(await authOf(new HttpClient({ trackingUri: proxy.url, env })), "Bearer ciclo-t");
    assert.equal(await authOf(new HttpClient({ trackingUri: proxy.url, env: { ...env, CICLO_TRACKING_TOKEN: "" } })), "Bearer mlflow-t");
    const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}`;
    assert.equal(await authOf(new HttpClient({ trackingUri: proxy.url, env: { MLFLOW_TRACKING_USERNAME: "u", MLFLOW_TRACKING_PASSWORD: "p" } })), basic("u", "p"));
    const withUserInfo = proxy.url.replace("http://", "http://al%40ice:s%3Acret@");
    assert.equal(await authOf(new HttpClient({ trackingUri: withUserInfo, env: {} })), basic("al@ice", "s:cret"));
    assert.equal(await authOf(new HttpClient({ trackingUri: proxy.url, env: {} })), undefined);
  });

  test("builds URLs under a base path, and refuses non-HTTP tracking URIs", () => {
    const c = new HttpClient({ trackingUri: "https://user:pw@host.example:8443/team/mlflow/?x=1", env: {} });
    assert.equal(c.baseUrl, "https://host.example:8443/team/mlflow");
    assert.equal(
      c.url("metrics/get-history-bulk-interval", { run_ids: ["a", "b"], metric_key: "val loss", start_step: undefined }),
      "https://host.example:8443/team/mlflow/api/2.0/mlflow/metrics/get-history-bulk-interval?run_ids=a&run_ids=b&metric_key=val+loss",
    );
    assert.throws(() => new HttpClient({ trackingUri: "sqlite:///x.db", env: {} }), /http:\/\/ or https:\/\//);
    assert.throws(() => new HttpClient({ trackingUri: "not a uri", env: {} }), /Invalid tracking URI/);
    // The slips a new user makes: no scheme, or the API's path copied from a curl line.
    assert.throws(() => new HttpClient({ trackingUri: "127.0.0.1:5000", env: {} }), /Invalid tracking URI '127\.0\.0\.1:5000'.*Did you mean 'http:\/\/127\.0\.0\.1:5000'\?/);
    assert.throws(() => new HttpClient({ trackingUri: "localhost:5000", env: {} }), /Unsupported tracking URI 'localhost:5000'.*Did you mean 'http:\/\/localhost:5000'\?/);
    assert.throws(
      () => new HttpClient({ trackingUri: "https://u:p@host.example/team/api/2.0/mlflow/", env: {} }),
      /it names the server's address, without the API path\. Did you mean 'https:\/\/host\.example\/team'\?/,
    );
    assert.throws(() => new HttpClient({ trackingUri: "http://127.0.0.1:5000/api/ciclo/v1", env: {} }), /Did you mean 'http:\/\/127\.0\.0\.1:5000'\?/);
  });

  test("the typed client round-trips runs, NaN/Infinity, history pages and search pages", async () => {
    const exp = await client.createExperiment(`typed-${Date.now()}`, { tags: { team: "vision" } });
    assert.deepEqual((await client.getExperiment(exp)).tags, [{ key: "team", value: "vision" }]);
    const run = await client.createRun({ experimentId: exp, runName: "r", startTime: 5, tags: { a: "1" } });
    const id = run.info.runId;
    await client.logMetric(id, "odd", NaN, { step: 1, timestamp: 10 });
    await client.logBatch(id, {
      metrics: [
        { key: "odd", value: Infinity, step: 2, timestamp: 11 },
        { key: "odd", value: -Infinity, step: 3, timestamp: 12 },
        ...Array.from({ length: 7 }, (_, i) => ({ key: "h", value: i / 3, step: i, timestamp: 100 + i })),
      ],
      params: [{ key: "lr", value: "0.1" }],
      tags: { b: "2" },
    });
    await client.logParam(id, "epochs", 3);
    await client.setTag(id, "c", "3");
    await client.deleteTag(id, "a");
    const odd = await client.getAllMetricHistory(id, "odd");
    assert.ok(Number.isNaN(odd[0].value));
    assert.deepEqual(odd.slice(1).map((m) => m.value), [Infinity, -Infinity]);
    const page = await client.getMetricHistory(id, "h", { maxResults: 3 });
    assert.equal(page.items.length, 3);
    assert.ok(page.nextPageToken);
    assert.deepEqual((await client.getAllMetricHistory(id, "h")).map((m) => m.step), [0, 1, 2, 3, 4, 5, 6]);
    const bulk = await client.getMetricHistoryBulkInterval({ runIds: [id], metricKey: "h", startStep: 2, endStep: 4, maxResults: 10 });
    assert.deepEqual(bulk.map((m) => [m.runId, m.step]), [[id, 2], [id, 3], [id, 4]]);
    const got = await client.getRun(id);
    assert.deepEqual(got.data.params, [{ key: "epochs", value: "3" }, { key: "lr", value: "0.1" }]);
    assert.deepEqual(got.data.tags.filter((t) => t.key.length === 1), [{ key: "b", value: "2" }, { key: "c", value: "3" }]);
    await client.logInputs(id, [{ tags: [{ key: "mlflow.data.context", value: "train" }], dataset: { name: "d", digest: "x1", sourceType: "local", source: "/d" } }]);
    assert.equal((await client.getRun(id)).inputs.datasetInputs[0].dataset.digest, "x1");
    const ended = await client.setTerminated(id, "KILLED", 99);
    assert.deepEqual([ended.status, ended.endTime], ["KILLED", 99]);
    for (let i = 0; i < 4; i++) await client.createRun({ experimentId: exp, runName: `p${i}` });
    const names: string[] = [];
    for await (const r of client.iterateRuns({ experimentIds: [exp], maxResults: 2, orderBy: ["attributes.run_name ASC"] })) names.push(r.info.runName);
    assert.deepEqual(names, ["p0", "p1", "p2", "p3", "r"]);
    assert.equal((await client.searchAllRuns({ experimentIds: [exp], limit: 3 })).length, 3);
    const exps: string[] = [];
    for await (const e of client.iterateExperiments({ filter: `name = '${(await client.getExperiment(exp)).name}'`, maxResults: 1 })) exps.push(e.experimentId);
    assert.deepEqual(exps, [exp]);
  });
});
