/**
 * The Python runtime against the real MLflow: models saved with MLflow's own
 * client (a scikit-learn classifier answering predict_proba, a regressor,
 * one without a signature, a custom PythonModel with an artifact file, params
 * and a code path) are served by ciclo and by `mlflow models serve
 * --env-manager local`, and every request — all input formats, CSV, bad
 * input — must get the same status and the same answer (error code for
 * errors) from both. Then what only ciclo does: a crashed worker fails its
 * batch with a 500 and is replaced; a model that cannot load names the
 * missing package; a virtualenv built once under concurrency; batch scoring.
 */
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { findMlflowPython, saveTestModels, startMlflowServe, type MlflowPython, type MlflowScoringServer } from "../../testing/mlflow-python.js";
import { tempDir } from "../../testing/temp-dir.js";
import { resolveModelSource } from "../model-source.js";
import { predictFile } from "../batch/batch-predict.js";
import { preparePythonEnvironment } from "../python/python-environment.js";
import { scoringOptions } from "./scoring-options.js";
import { startScoringServer, type ScoringServer } from "./scoring-server.js";

const tmp = tempDir("ciclo-pyrt-");
after(() => tmp.remove());

interface Req {
  what: string;
  body: string;
  type?: string;
  /** A deliberate difference: ciclo's status where it is not MLflow's (docs/serving.md lists these). */
  cicloStatus?: number;
}

const json = (what: string, v: unknown, extra: Partial<Req> = {}): Req => ({ what, body: JSON.stringify(v), ...extra });

const ROWS = [
  [0.5, -1.25, 2, 0.75],
  [-0.3, 0.8, -1.1, 1.6],
  [1, 2, 3, 4],
];
const COLS = ["a", "b", "c", "d"];
const records = ROWS.map((r) => Object.fromEntries(COLS.map((c, i) => [c, r[i]])));
const columnar = Object.fromEntries(COLS.map((c, i) => [c, ROWS.map((r) => r[i])]));

/** Requests for the four-column scikit-learn models. */
const tabular: Req[] = [
  json("dataframe_split", { dataframe_split: { columns: COLS, data: ROWS } }),
  json("dataframe_split with index", { dataframe_split: { index: [5, 6, 7], columns: COLS, data: ROWS } }),
  json("dataframe_split, columns reordered", { dataframe_split: { columns: ["d", "c", "b", "a"], data: ROWS.map((r) => [...r].reverse()) } }),
  json("dataframe_records", { dataframe_records: records }),
  json("instances (records)", { instances: records }),
  json("inputs (records)", { inputs: records }),
  json("inputs (columns)", { inputs: columnar }),
  json("one row", { dataframe_split: { columns: COLS, data: [ROWS[0]] } }),
  json("integers in double columns", { dataframe_split: { columns: COLS, data: [[1, 2, 3, 4]] } }),
  { what: "CSV", body: `${COLS.join(",")}\n${ROWS.map((r) => r.join(",")).join("\n")}\n`, type: "text/csv" },
  json("missing column", { dataframe_split: { columns: ["a", "b"], data: [[1, 2]] } }),
  json("string in a double column", { dataframe_split: { columns: COLS, data: [["x", 2, 3, 4]] } }),
  json("two format keys", { dataframe_split: { columns: COLS, data: ROWS }, instances: records }),
  json("no format key", { rows: ROWS }),
  { what: "not JSON", body: "{nope" },
  { what: "unsupported content type", body: "a=1", type: "application/x-www-form-urlencoded" },
  // ciclo extension: an unnamed matrix maps to the signature's columns by position; MLflow looks for columns 0..3.
  json("instances (matrix)", { instances: ROWS }, { cicloStatus: 200 }),
];

const bare: Req[] = [
  json("instances (matrix)", { instances: ROWS }),
  json("inputs (matrix)", { inputs: ROWS }),
  json("dataframe_split", { dataframe_split: { columns: COLS, data: ROWS } }),
  json("dataframe_records", { dataframe_records: records }),
  { what: "CSV", body: `${COLS.join(",")}\n${ROWS.map((r) => r.join(",")).join("\n")}\n`, type: "text/csv" },
];

const X = { columns: ["x"], data: [[1], [2.5], [-4]] };
const custom: Req[] = [
  json("default params", { dataframe_split: X }),
  json("params k=3", { dataframe_split: X, params: { k: 3 } }),
  json("dataframe_records + params", { dataframe_records: [{ x: 1 }, { x: 2 }], params: { k: 2 } }),
  json("inputs + params", { inputs: { x: [1, 2] }, params: { k: 5 } }),
  { what: "CSV", body: "x\n1\n2\n", type: "text/csv" },
  json("model raises", { dataframe_split: X, params: { fail: true } }),
  json("param of the wrong type", { dataframe_split: X, params: { k: "many" } }),
  json("missing input column", { dataframe_split: { columns: ["y"], data: [[1]] } }),
];

interface Answer {
  status: number;
  body: unknown;
}

async function ask(url: string, r: Req): Promise<Answer> {
  const res = await fetch(`${url}/invocations`, { method: "POST", headers: { "content-type": r.type ?? "application/json" }, body: r.body });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* 415 answers are plain text, as MLflow's */
  }
  return { status: res.status, body };
}

/** Numbers equal to 1e-12 relative (both run the same scikit-learn: in practice they are identical). */
function same(a: unknown, b: unknown, path = "$"): void {
  if (typeof a === "number" && typeof b === "number") {
    assert.ok(a === b || Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(a), Math.abs(b)), `${path}: ${a} ≠ ${b}`);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    assert.equal(a.length, b.length, `${path}: lengths`);
    a.forEach((x, i) => same(x, b[i], `${path}[${i}]`));
    return;
  }
  if (a && b && typeof a === "object" && typeof b === "object") {
    assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort(), `${path}: keys`);
    for (const k of Object.keys(a)) same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
    return;
  }
  assert.deepEqual(a, b, path);
}

async function cicloServe(mp: MlflowPython, dir: string, extra: Parameters<typeof scoringOptions>[0] = { modelUri: dir }): Promise<ScoringServer> {
  Object.assign(process.env, mp.env); // the workers inherit it: this MLflow on PYTHONPATH
  const opts = scoringOptions({ port: 0, host: "127.0.0.1", workers: 1, ...extra, modelUri: dir, python: { python: mp.python, ...extra.python } });
  const s = await startScoringServer(opts, await resolveModelSource(dir), () => undefined);
  await s.ready;
  return s;
}

async function compare(mp: MlflowPython, dir: string, reqs: Req[]): Promise<void> {
  let ours: ScoringServer | undefined;
  let theirs: MlflowScoringServer | undefined;
  try {
    // Both start at once; whichever started is stopped below even when the other failed.
    const [a, b] = await Promise.allSettled([cicloServe(mp, dir), startMlflowServe(mp, dir)]);
    if (a.status === "fulfilled") ours = a.value;
    if (b.status === "fulfilled") theirs = b.value;
    if (a.status === "rejected") throw a.reason;
    if (b.status === "rejected") throw b.reason;
    for (const r of reqs) {
      const [a, b]: Answer[] = await Promise.all([ask(ours!.url, r), ask(theirs!.url, r)]);
      if (r.cicloStatus !== undefined) {
        assert.equal(a.status, r.cicloStatus, `${r.what}: ciclo's status (${JSON.stringify(a.body)})`);
        assert.notEqual(b.status, r.cicloStatus, `${r.what}: MLflow now agrees with ciclo's extension — drop the exception`);
        continue;
      }
      assert.equal(a.status, b.status, `${r.what}: ciclo ${a.status} ${JSON.stringify(a.body)} vs MLflow ${b.status} ${JSON.stringify(b.body).slice(0, 300)}`);
      if (b.status === 200) same(a.body, b.body, r.what);
      else if (typeof b.body === "object") {
        assert.equal((a.body as { error_code: string }).error_code, (b.body as { error_code: string }).error_code, `${r.what}: error_code`);
        assert.ok((a.body as { message: string }).message.length > 0, `${r.what}: a message`);
      }
    }
  } finally {
    await ours?.drain();
    await theirs?.stop();
  }
}

for (const version of ["2.10", "3.3"] as const) {
  describe(`the Python runtime answers as mlflow ${version} models serve`, () => {
    let mp: MlflowPython | undefined;
    const dir = join(tmp.path, version);
    before(async () => {
      mp = await findMlflowPython(version, tmp.path);
      if (mp) await saveTestModels(mp, dir);
    });

    test("scikit-learn classifier (pyfunc_predict_fn=predict_proba)", async (t) => {
      if (!mp) return t.skip("MLflow not available");
      await compare(mp, join(dir, "classifier"), tabular);
    });

    test("custom PythonModel with an artifact, params and a code path", async (t) => {
      if (!mp) return t.skip("MLflow not available");
      await compare(mp, join(dir, "custom"), custom);
    });

    if (version === "2.10") {
      test("scikit-learn regressor", async (t) => {
        if (!mp) return t.skip("MLflow not available");
        await compare(mp, join(dir, "regressor"), tabular);
      });

      test("scikit-learn model without a signature", async (t) => {
        if (!mp) return t.skip("MLflow not available");
        await compare(mp, join(dir, "bare"), bare);
      });

      test("a worker that crashes fails its batch with a 500 and is replaced; the next request is answered", async (t) => {
        if (!mp) return t.skip("MLflow not available");
        const s = await cicloServe(mp, join(dir, "custom"));
        try {
          const crashed = await ask(s.url, json("crash", { dataframe_split: X, params: { crash: true } }));
          assert.equal(crashed.status, 500);
          const err = crashed.body as { error_code: string; message: string };
          assert.equal(err.error_code, "INTERNAL_ERROR");
          assert.match(err.message, /Python model worker \(pid \d+\) exited with code 7/);
          // Waits in the queue until the replacement has loaded the model (no sleep: the scheduler is told).
          const next = await ask(s.url, json("after", { dataframe_split: X, params: { k: 2 } }));
          assert.equal(next.status, 200, JSON.stringify(next.body));
          assert.deepEqual(next.body, { predictions: [{ scaled: 5, label: "row-0" }, { scaled: 12.5, label: "row-1" }, { scaled: -20, label: "row-2" }] });
        } finally {
          await s.drain();
        }
      });

      test("a model that cannot load names the missing package", async (t) => {
        if (!mp) return t.skip("MLflow not available");
        Object.assign(process.env, mp.env);
        const opts = scoringOptions({ modelUri: join(dir, "broken"), port: 0, workers: 1, python: { python: mp.python } });
        const s = await startScoringServer(opts, await resolveModelSource(opts.modelUri), () => undefined);
        await assert.rejects(s.ready, /needs the Python package 'ciclo_gone_module'/);
        await s.drain();
      });

      test("an interpreter without mlflow is named, with what to do", async (t) => {
        if (!mp) return t.skip("MLflow not available");
        const saved = process.env.PYTHONPATH;
        process.env.PYTHONPATH = "";
        try {
          const opts = scoringOptions({ modelUri: join(dir, "regressor"), port: 0, workers: 1, python: { python: mp.python } });
          const s = await startScoringServer(opts, await resolveModelSource(opts.modelUri), () => undefined);
          await assert.rejects(s.ready, /cannot import 'mlflow'.*--python/s);
          await s.drain();
        } finally {
          process.env.PYTHONPATH = saved;
        }
      });

      test("virtualenv: built once from requirements.txt for concurrent starts, then reused; serves the model", async (t) => {
        if (!mp) return t.skip("MLflow not available");
        Object.assign(process.env, mp.env);
        const cacheDir = join(tmp.path, "envs");
        const builds: string[] = [];
        const opts = { envManager: "virtualenv" as const, python: mp.python, systemSitePackages: true, cacheDir, log: (l: string) => l.startsWith("building") && builds.push(l) };
        const envs = await Promise.all([0, 1, 2].map(() => preparePythonEnvironment(join(dir, "classifier"), opts)));
        assert.equal(builds.length, 1, builds.join("\n"));
        assert.ok(envs.every((e) => e.python === envs[0].python));
        // Same requirements (the regressor's are identical): the cached environment, no build.
        await preparePythonEnvironment(join(dir, "regressor"), opts);
        assert.equal(builds.length, 1);
        process.env.CICLO_ENV_CACHE = cacheDir;
        const s = await cicloServe(mp, join(dir, "classifier"), { modelUri: "", python: { envManager: "virtualenv", python: mp.python, systemSitePackages: true } });
        try {
          const a = await ask(s.url, tabular[0]);
          assert.equal(a.status, 200);
          assert.equal((a.body as { predictions: number[][] }).predictions.length, 3);
        } finally {
          await s.drain();
        }
      });

      test("batch scoring (ciclo models predict) runs Python models too, with the same answers as online", async (t) => {
        if (!mp) return t.skip("MLflow not available");
        Object.assign(process.env, mp.env);
        const input = join(tmp.path, "rows.csv");
        const output = join(tmp.path, "scores.jsonl");
        await writeFile(input, `${COLS.join(",")}\n${ROWS.map((r) => r.join(",")).join("\n")}\n`);
        const r = await predictFile({ modelPath: join(dir, "classifier"), input, output, workers: 1, runtime: { python: { python: mp.python } } });
        assert.equal(r.rows, 3);
        const lines = (await readFile(output, "utf8")).trim().split("\n").map((l) => JSON.parse(l) as { prediction: number[] });
        const s = await cicloServe(mp, join(dir, "classifier"));
        try {
          const online = (await ask(s.url, tabular[0])).body as { predictions: number[][] };
          same(
            lines.map((l) => l.prediction),
            online.predictions,
          );
        } finally {
          await s.drain();
        }
      });
    }
  });
}
