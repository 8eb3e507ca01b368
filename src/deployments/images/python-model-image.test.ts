/**
 * `ciclo models build-image` for a Python model, for real: a scikit-learn
 * classifier logged with the real `mlflow.sklearn` (the shared oracle's
 * MLflow 2.10.2 on Debian's scikit-learn, requirements inferred by MLflow),
 * built on the test registry's Python base (scripts/base-images.sh: Debian's
 * python3 + numpy/scipy/pandas/scikit-learn, no MLflow) with MLflow added
 * from the oracle's folders (`--mlflow-from`), pushed, pulled and run by
 * podman, and its answers compared with what `mlflow.pyfunc` predicts for
 * the same rows. Also: a model whose requirements do not fit fails the
 * build before anything is pushed, and `--allow-mismatch` turns that into
 * warnings; without MLflow anywhere the build says where to get it. And
 * the image as a `container` deployment of a ciclo server: the endpoint
 * answers with the registered version, loaded by the image's Python.
 * Needs scripts/registry-test-server.sh + scripts/base-images.sh (CI runs
 * both) and the MLflow oracle.
 */
import assert from "node:assert/strict";
import { execFile, spawn, spawnSync } from "node:child_process";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { runCiclo } from "../../testing/child-server.js";
import { startDeployWorld, type DeployWorld } from "../../testing/deployments-fixture.js";
import { findMlflowPython, type MlflowPython } from "../../testing/mlflow-python.js";
import { podmanEnv, podmanSync, podmanUnavailable, pythonBase, TEST_REGISTRY, testRegistryUnavailable } from "../../testing/registry-fixture.js";
import { freePort } from "../../testing/free-port.js";
import { tempDir } from "../../testing/temp-dir.js";
import { waitFor } from "../../testing/wait-for.js";

const execFileP = promisify(execFile);
const tmp = tempDir("ciclo-py-image-");
const env = podmanEnv();
const podman = (...args: string[]) => podmanSync(env, ...args);
const run = Math.random().toString(36).slice(2, 8);
const repo = `${TEST_REGISTRY}/ciclo-test/sklearn-${run}`;
const PY_BASE = pythonBase();

const unavailable = (await testRegistryUnavailable(PY_BASE)) ?? podmanUnavailable();
const mp: MlflowPython | undefined = unavailable ? undefined : await findMlflowPython("2.10", tmp.path);

/** Logs a classifier with the real client (MLflow infers its requirements) and saves rows + pyfunc's predictions. */
const LOG_MODEL = `
import json, sys
import numpy as np, pandas as pd
import mlflow, mlflow.sklearn, mlflow.pyfunc
from mlflow.models import infer_signature
from sklearn.linear_model import LogisticRegression
out = sys.argv[1]
rng = np.random.default_rng(11)
X = pd.DataFrame(rng.normal(size=(300, 4)), columns=["a", "b", "c", "d"])
y = (X["a"] - 0.7 * X["b"] + 0.2 * X["d"] > 0).astype(int) + (X["c"] > 0.8).astype(int)
clf = LogisticRegression(max_iter=500).fit(X, y)
mlflow.sklearn.save_model(clf, out + "/model", pyfunc_predict_fn="predict_proba", signature=infer_signature(X, clf.predict_proba(X)))
rows = X.head(25)
pred = mlflow.pyfunc.load_model(out + "/model").predict(rows)
json.dump({"columns": list(rows.columns), "data": rows.values.tolist(), "predictions": np.asarray(pred).tolist()}, open(out + "/expected.json", "w"))
`;

describe("Python model images: build on a Python base, push, run with podman, answer as pyfunc does", { skip: unavailable ?? (mp ? undefined : "MLflow 2.10 not available"), concurrency: false }, () => {
  let model: string;
  let mlflowFrom: string[];
  let expected: { columns: string[]; data: number[][]; predictions: number[][] };
  let pinned: string | undefined;
  let world: DeployWorld | undefined;
  const containers: string[] = [];

  before(async () => {
    await execFileP(mp!.python, ["-c", LOG_MODEL, tmp.path], { env: { ...process.env, ...mp!.env }, timeout: 300_000 });
    model = join(tmp.path, "model");
    expected = JSON.parse(readFileSync(join(tmp.path, "expected.json"), "utf8")) as typeof expected;
    // The oracle's MLflow, as a user's folder of packages: the mlflow package and its metadata (+ querystring_parser).
    mlflowFrom = mp!.env.PYTHONPATH.split(":").flatMap((p) => ["--mlflow-from", p]);
  });
  after(async () => {
    await world?.close();
    for (const c of containers) podman("rm", "-f", "-t", "0", c);
    if (pinned) podman("rmi", "-f", pinned);
    tmp.remove();
  });

  const build = (modelDir: string, tag: string, ...extra: string[]) =>
    runCiclo(["models", "build-image", "-m", modelDir, "-t", tag, "--base", PY_BASE, "--model-version", "4", ...extra], { CICLO_IMAGE_CACHE: join(tmp.path, "cache") });

  test("the requirements MLflow inferred fit the base + the oracle's MLflow: built and pushed", async () => {
    const reqs = readFileSync(join(model, "requirements.txt"), "utf8");
    assert.match(reqs, /^mlflow==2\.10\.2$/m);
    assert.match(reqs, /^scikit-learn==/m);
    const r = await build(model, `${repo}:4`, "--push", ...mlflowFrom);
    assert.equal(r.code, 0, r.stderr);
    pinned = r.stdout.trim();
    assert.match(pinned, /@sha256:[0-9a-f]{64}$/);
    assert.match(r.stderr, /Checking the base's Python packages/);
    assert.doesNotMatch(r.stderr, /warning:/);
  });

  test("podman runs it as user 10001: Python workers load the model, answers equal pyfunc's, SIGTERM drains", async () => {
    assert.ok(pinned, "the build test must pass first");
    const port = await freePort();
    const name = `ciclo-test-sklearn-${run}`;
    containers.push(name);
    podman("rmi", "-f", pinned);
    const started = podman("run", "-d", "--pull", "always", "--name", name, "-e", `PORT=${port}`, pinned);
    assert.equal(started.status, 0, started.stderr);
    const logs = spawn("podman", ["logs", "-f", name], { env, stdio: ["ignore", "pipe", "pipe"] });
    const lines: string[] = [];
    createInterface({ input: logs.stderr }).on("line", (l) => lines.push(l));
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: logs.stdout }).on("line", (l) => {
        lines.push(l);
        if (l.includes('"ciclo scoring server ready"')) resolve();
      });
      logs.once("exit", () => reject(new Error(`container ended before it was ready:\n${lines.join("\n")}`)));
    });
    const url = `http://127.0.0.1:${port}`;
    const score = async (body: unknown) => {
      const res = await fetch(`${url}/invocations`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      const text = await res.text();
      assert.equal(res.status, 200, text);
      return (JSON.parse(text) as { predictions: number[][] }).predictions;
    };
    const close = (got: number[][]) => {
      assert.equal(got.length, expected.predictions.length);
      got.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - expected.predictions[i][j]) < 1e-12, `row ${i} col ${j}: ${v} vs ${expected.predictions[i][j]}`)));
    };
    close(await score({ dataframe_split: { columns: expected.columns, data: expected.data } }));
    close(await score({ dataframe_records: expected.data.map((r) => Object.fromEntries(expected.columns.map((c, j) => [c, r[j]]))) }));
    // A wrong column is the model's error, answered as MLflow would (400, JSON), and the server keeps serving.
    const bad = await fetch(`${url}/invocations`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ dataframe_split: { columns: ["a", "b"], data: [[1, 2]] } }) });
    assert.equal(bad.status, 400);
    assert.ok(((await bad.json()) as { error_code?: string }).error_code);
    const user = podman("exec", name, "python3", "-c", "import os, mlflow; print(f'{os.getuid()}:{os.getgid()} {mlflow.__version__}')");
    assert.equal(user.stdout.trim(), "10001:10001 2.10.2", user.stderr);
    const labels = JSON.parse(podman("inspect", name, "--format", "{{json .Config.Labels}}").stdout) as Record<string, string>;
    assert.equal(labels["dev.ciclo.runtime"], "python");
    assert.equal(labels["dev.ciclo.model.flavor"], "mlflow.sklearn");
    assert.equal(labels["dev.ciclo.python.mlflow"], "2.10.2");
    assert.equal(podman("stop", "-t", "30", name).status, 0);
    await new Promise((r) => (logs.exitCode === null ? logs.once("exit", r) : r(undefined)));
    const all = podman("logs", name).stdout;
    assert.match(all, /"msg":"ciclo scoring server stopped","drained":true/);
    assert.equal(podman("inspect", name, "--format", "{{.State.ExitCode}}").stdout.trim(), "0");
  });

  test("requirements that do not fit fail the build before anything is written; --allow-mismatch warns; no MLflow says where to get it", async () => {
    const misfit = join(tmp.path, "misfit");
    cpSync(model, misfit, { recursive: true });
    writeFileSync(join(misfit, "requirements.txt"), "mlflow==2.10.2\nscikit-learn==0.24.2\nlightgbm==4.1.0\n");
    writeFileSync(join(misfit, "python_env.yaml"), "python: 3.9.18\nbuild_dependencies:\n- pip\ndependencies:\n- -r requirements.txt\n");
    const refused = await build(misfit, `${repo}:misfit`, "--push", ...mlflowFrom);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /does not fit model 'misfit'/);
    assert.match(refused.stderr, /the model was logged with Python 3\.9\.18; the image has Python 3\.11/);
    assert.match(refused.stderr, /scikit-learn==0\.24\.2: the image has scikit_learn 1\.2\.\d/);
    assert.match(refused.stderr, /lightgbm==4\.1\.0: the image has no 'lightgbm'/);
    assert.match(refused.stderr, /--allow-mismatch/);
    const tags = await fetch(`http://${TEST_REGISTRY}/v2/${repo.slice(TEST_REGISTRY.length + 1)}/tags/list`).then((r) => r.json() as Promise<{ tags?: string[] }>);
    assert.ok(!(tags.tags ?? []).includes("misfit"), `nothing was pushed: ${JSON.stringify(tags)}`);

    const layout = join(tmp.path, "misfit-layout");
    const allowed = await build(misfit, `${repo}:misfit`, "--allow-mismatch", "--output", layout, ...mlflowFrom);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stderr, /warning: --allow-mismatch: The Python environment of the image does not fit/);
    assert.match(allowed.stdout.trim(), /^sha256:[0-9a-f]{64}$/);

    const noMlflow = await build(model, `${repo}:nomlflow`, "--output", join(tmp.path, "never"));
    assert.equal(noMlflow.code, 1);
    assert.match(noMlflow.stderr, /needs MLflow's Python package .* --mlflow-from <dir>/);
  });

  test("the image as a container deployment: the endpoint answers with the registered version, loaded by the image's Python", async () => {
    assert.ok(pinned, "the build test must pass first");
    world = await startDeployWorld({ podman: { env }, drainSeconds: 5 });
    const version = await world.register("churn", model);
    assert.equal((await world.api("POST", "/endpoints", { name: `churn-${run}` })).status, 200);
    const created = await world.api("POST", `/endpoints/churn-${run}/deployments`, { name: "py", model_uri: `models:/churn/${version}`, target: "container", env: { CICLO_IMAGE: pinned } });
    assert.equal(created.status, 200, JSON.stringify(created.json));
    await waitFor(
      () => world!.api("GET", `/endpoints/churn-${run}`).then((r) => r.json.endpoint.deployments[0].health.ready_replicas as number),
      (n) => n === 1,
      { what: "the Python container replica ready", timeoutMs: 240_000, intervalMs: 250 },
    );
    const res = await fetch(`${world.url}/endpoints/churn-${run}/invocations`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ dataframe_split: { columns: expected.columns, data: expected.data } }),
    });
    const body = (await res.json()) as { predictions: number[][] };
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(res.headers.get("ciclo-deployment"), "py");
    body.predictions.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - expected.predictions[i][j]) < 1e-12)));
    assert.equal((await world.api("POST", `/endpoints/churn-${run}/traffic`, { traffic: { py: 0 } })).status, 200);
    assert.equal((await world.api("DELETE", `/endpoints/churn-${run}/deployments/py`)).status, 200);
  });
});
