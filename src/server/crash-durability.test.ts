/**
 * Crash durability of a real `ciclo server` child process: concurrent clients
 * log batches and single metrics over HTTP, the server is killed with SIGKILL
 * mid-traffic (as soon as enough requests were acknowledged), then restarted
 * on the same database. Every acknowledged write must be there, and no batch
 * may be half-applied: each batch writes a disjoint, recognisable set of
 * params, tags and metric steps, so it is either fully present or absent.
 *
 * SQLite runs with the embedded default (WAL, synchronous=NORMAL), which the
 * design promises survives `kill -9`; PostgreSQL uses a fresh test database.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { callApi, startChildServer, type ChildServer } from "../testing/child-server.js";
import { createTestDatabase, postgresUnavailable, type PgDatabase } from "../testing/postgres-fixture.js";
import { tempDir } from "../testing/temp-dir.js";

const WORKERS = 6;
/** SIGKILL is sent when this many requests have been acknowledged. */
const KILL_AFTER_ACKS = 150;
const PARAMS_PER_BATCH = 3;
const TAGS_PER_BATCH = 3;
const POINTS_PER_BATCH = 20;

type Outcome = "ack" | "unknown";
interface Attempt {
  worker: number;
  seq: number;
  kind: "batch" | "metric";
  outcome: Outcome;
}

/** Batch `seq` of worker `w`: keys and steps no other request uses. */
function batchBody(runId: string, w: number, seq: number) {
  return {
    run_id: runId,
    params: Array.from({ length: PARAMS_PER_BATCH }, (_, j) => ({ key: `b${seq}_p${j}`, value: `w${w}s${seq}j${j}` })),
    tags: Array.from({ length: TAGS_PER_BATCH }, (_, j) => ({ key: `b${seq}_t${j}`, value: `w${w}s${seq}j${j}` })),
    metrics: Array.from({ length: POINTS_PER_BATCH }, (_, j) => ({
      key: "m",
      value: seq + j / 100,
      timestamp: 1_000 + j,
      step: seq * 100 + j,
    })),
  };
}

function metricBody(runId: string, seq: number) {
  return { run_id: runId, key: "single", value: seq, timestamp: 2_000, step: seq };
}

interface Stored {
  params: Map<string, string>;
  tags: Map<string, string>;
  mSteps: number[];
  singleSteps: number[];
  latestM?: { step: number };
}

async function readRun(url: string, runId: string): Promise<Stored> {
  const got = await callApi(url, "GET", `runs/get?run_id=${runId}`);
  assert.equal(got.status, 200, JSON.stringify(got.body));
  type Kv = { key: string; value: string };
  const data = (got.body.run as { data: { params?: Kv[]; tags?: Kv[]; metrics?: Array<{ key: string; step: number }> } }).data;
  const history = async (key: string) => {
    const steps: number[] = [];
    let token: string | undefined;
    do {
      const q = `metrics/get-history?run_id=${runId}&metric_key=${key}&max_results=1000${token ? `&page_token=${encodeURIComponent(token)}` : ""}`;
      const res = await callApi(url, "GET", q);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      for (const m of (res.body.metrics as Array<{ step: number }> | undefined) ?? []) steps.push(Number(m.step));
      token = res.body.next_page_token as string | undefined;
    } while (token);
    return steps;
  };
  const latest = (data.metrics ?? []).find((m) => m.key === "m");
  return {
    params: new Map((data.params ?? []).map((p) => [p.key, p.value])),
    tags: new Map((data.tags ?? []).map((t) => [t.key, t.value])),
    mSteps: await history("m"),
    singleSteps: await history("single"),
    latestM: latest ? { step: Number(latest.step) } : undefined,
  };
}

/** How much of batch `seq` is stored: counts of params, tags and metric points. */
function presence(s: Stored, w: number, seq: number): [number, number, number] {
  let p = 0;
  let t = 0;
  for (let j = 0; j < PARAMS_PER_BATCH; j++) if (s.params.get(`b${seq}_p${j}`) === `w${w}s${seq}j${j}`) p++;
  for (let j = 0; j < TAGS_PER_BATCH; j++) if (s.tags.get(`b${seq}_t${j}`) === `w${w}s${seq}j${j}`) t++;
  const m = s.mSteps.filter((step) => step >= seq * 100 && step < seq * 100 + POINTS_PER_BATCH).length;
  return [p, t, m];
}

async function crashScenario(uri: string, artifacts: string): Promise<void> {
  let server: ChildServer = await startChildServer(uri, artifacts);
  try {
    const exp = await callApi(server.url, "POST", "experiments/create", { name: "crash" });
    assert.equal(exp.status, 200, JSON.stringify(exp.body));
    const runIds: string[] = [];
    for (let w = 0; w < WORKERS; w++) {
      const r = await callApi(server.url, "POST", "runs/create", { experiment_id: exp.body.experiment_id, start_time: 1 });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      runIds.push((r.body.run as { info: { run_id: string } }).info.run_id);
    }

    const attempts: Attempt[] = [];
    const rejected: string[] = [];
    let acks = 0;
    const victim = server;
    const worker = async (w: number) => {
      for (let seq = 0; ; seq++) {
        // Every fourth request is a single log-metric; the rest are batches.
        const kind = seq % 4 === 3 ? "metric" : "batch";
        const attempt: Attempt = { worker: w, seq, kind, outcome: "unknown" };
        attempts.push(attempt);
        try {
          const res =
            kind === "batch"
              ? await callApi(victim.url, "POST", "runs/log-batch", batchBody(runIds[w], w, seq))
              : await callApi(victim.url, "POST", "runs/log-metric", metricBody(runIds[w], seq));
          if (res.status !== 200) {
            rejected.push(`${kind} w${w} s${seq}: ${res.status} ${JSON.stringify(res.body)}`);
            return;
          }
          attempt.outcome = "ack";
          if (++acks === KILL_AFTER_ACKS) victim.proc.kill("SIGKILL");
        } catch {
          return; // connection reset or refused: the outcome of this request is unknown
        }
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    const exit = await victim.exited;
    assert.equal(exit.signal, "SIGKILL", `the server was not killed: ${JSON.stringify(exit)}`);
    assert.deepEqual(rejected, [], "requests were refused before the crash");
    const unknown = attempts.filter((a) => a.outcome === "unknown");
    assert.ok(acks >= KILL_AFTER_ACKS);
    console.log(`# ${uri.split(":")[0]}: ${acks} acknowledged, ${unknown.length} cut off by SIGKILL`);

    server = await startChildServer(uri, artifacts);
    let unknownPresent = 0;
    for (let w = 0; w < WORKERS; w++) {
      const stored = await readRun(server.url, runIds[w]);
      const mine = attempts.filter((a) => a.worker === w);
      for (const a of mine) {
        if (a.kind === "metric") {
          const n = stored.singleSteps.filter((s) => s === a.seq).length;
          if (a.outcome === "ack") assert.equal(n, 1, `acknowledged log-metric w${w} s${a.seq} lost`);
          else assert.ok(n <= 1);
          continue;
        }
        const [p, t, m] = presence(stored, w, a.seq);
        const full = p === PARAMS_PER_BATCH && t === TAGS_PER_BATCH && m === POINTS_PER_BATCH;
        const none = p === 0 && t === 0 && m === 0;
        assert.ok(full || none, `batch w${w} s${a.seq} half-applied: params ${p}, tags ${t}, points ${m}`);
        if (a.outcome === "ack") assert.ok(full, `acknowledged batch w${w} s${a.seq} lost`);
        else if (full) unknownPresent++;
      }
      // Nothing that was never sent, and no duplicated points.
      const sent = mine.length;
      assert.ok(stored.mSteps.every((s) => Math.floor(s / 100) < sent));
      assert.equal(new Set(stored.mSteps).size, stored.mSteps.length);
      assert.ok(stored.singleSteps.every((s) => s < sent));
      // latest_metrics was written in the same transactions as the history.
      if (stored.mSteps.length > 0) assert.equal(stored.latestM?.step, Math.max(...stored.mSteps));
    }
    console.log(`# ${uri.split(":")[0]}: ${unknownPresent} of the cut-off batches had committed`);

    // A client retries what it never heard back about: every retry succeeds and nothing doubles.
    for (const a of unknown) {
      const res =
        a.kind === "batch"
          ? await callApi(server.url, "POST", "runs/log-batch", batchBody(runIds[a.worker], a.worker, a.seq))
          : await callApi(server.url, "POST", "runs/log-metric", metricBody(runIds[a.worker], a.seq));
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
    for (let w = 0; w < WORKERS; w++) {
      const stored = await readRun(server.url, runIds[w]);
      for (const a of attempts.filter((x) => x.worker === w && x.kind === "batch")) {
        assert.deepEqual(presence(stored, w, a.seq), [PARAMS_PER_BATCH, TAGS_PER_BATCH, POINTS_PER_BATCH]);
      }
      const batches = attempts.filter((x) => x.worker === w && x.kind === "batch").length;
      const metrics = attempts.filter((x) => x.worker === w && x.kind === "metric").length;
      assert.equal(stored.mSteps.length, batches * POINTS_PER_BATCH);
      assert.equal(stored.singleSteps.length, metrics);
    }
  } finally {
    if (server.proc.exitCode === null && server.proc.signalCode === null) {
      server.proc.kill("SIGTERM");
      await server.exited;
    }
  }
}

describe("crash durability: SIGKILL mid-traffic, restart, every acknowledged write present", () => {
  const dir = tempDir();
  after(() => dir.remove());

  test("SQLite (WAL, synchronous=NORMAL)", { timeout: 180_000 }, async () => {
    await crashScenario(`sqlite:///${join(dir.path, "ciclo.db")}`, join(dir.path, "artifacts"));
  });

  describe("PostgreSQL", () => {
    let pg: PgDatabase | undefined;
    let skip: string | undefined;
    before(async () => {
      skip = await postgresUnavailable();
      if (!skip) pg = await createTestDatabase();
    });
    after(async () => {
      await pg?.drop();
    });
    test("fresh database", { timeout: 180_000 }, async (t) => {
      if (!pg) return t.skip(skip);
      await crashScenario(pg.uri, join(dir.path, "pg-artifacts"));
    });
  });
});
