/**
 * OTLP ingestion on two `ciclo server` processes sharing one PostgreSQL
 * database and one artifact folder: spans of the same traces sent one a
 * request, alternately to each replica, all at once. Each request rewrites its
 * trace's traces.json (read, merge, write); without a hold across the
 * processes two replicas merging into one trace at once keep only the later
 * write's spans, and two creating it at once refuse one request (retryable,
 * sent again here as an exporter would). Checked: every span in its trace's
 * traces.json, every trace's info from all its spans, no request refused.
 *
 * Needs PostgreSQL; skips with the reason printed when it is missing (fails
 * under CICLO_REQUIRE_ALL=1).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { openStores, type OpenedStores } from "../store/open-stores.js";
import pg from "pg";
import { callApi, startChildServer, type ChildServer } from "../testing/child-server.js";
import { createTestDatabase, postgresUnavailable, type PgDatabase } from "../testing/postgres-fixture.js";
import { tempDir } from "../testing/temp-dir.js";

const TRACES = 4;
const SPANS = 32;
const ROOT = "0000000000000001";
const T0 = 1_765_000_000_000_000_000n;

let pgdb: PgDatabase | undefined;
let stores: OpenedStores | undefined;
const dir = tempDir("ciclo-otlp-replicas-");
let why: string | undefined;

before(async () => {
  why = await postgresUnavailable();
  if (why) {
    if (process.env.CICLO_REQUIRE_ALL === "1") throw new Error(`${why} (CICLO_REQUIRE_ALL=1 forbids skipping)`);
    return;
  }
  pgdb = await createTestDatabase();
  stores = await openStores(pgdb.uri, { defaultArtifactRoot: "mlflow-artifacts:/" }); // migrated once, before the replicas
});
after(async () => {
  await stores?.tracking.close();
  await pgdb?.drop();
  dir.remove();
});

async function stop(s: ChildServer): Promise<void> {
  if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill("SIGTERM");
  const exit = await s.exited;
  assert.equal(exit.code, 0, `server exited with ${JSON.stringify(exit)}: ${s.stderr()}`);
}

/** One span as an OTLP/JSON export request; span 0 is the root, the others its children. */
function exportBody(traceId: string, i: number): string {
  const spanId = i === 0 ? ROOT : (0x1000 + i).toString(16).padStart(16, "0");
  const span = {
    traceId,
    spanId,
    ...(i === 0 ? {} : { parentSpanId: ROOT }),
    name: i === 0 ? "root" : `s${i}`,
    startTimeUnixNano: String(T0 + BigInt(i) * 1_000_000n),
    endTimeUnixNano: String(T0 + BigInt(i === 0 ? SPANS : i + 1) * 1_000_000n),
    status: { code: 1 },
  };
  return JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] });
}

test("two replicas receiving the spans of the same traces at once keep every span", { timeout: 300_000 }, async (t) => {
  if (why) return t.skip(why);
  const artifacts = join(dir.path, "artifacts");
  const started = await Promise.allSettled([startChildServer(pgdb!.uri, artifacts), startChildServer(pgdb!.uri, artifacts)]);
  const up = started.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  if (up.length < 2) {
    await Promise.all(up.map(stop));
    throw (started.find((r) => r.status === "rejected") as PromiseRejectedResult).reason;
  }
  try {
    // Startup names a PostgreSQL server whose autovacuum is off (this kind of machine's default), and only then.
    const settings = new pg.Client({ connectionString: pgdb!.uri });
    await settings.connect();
    const { rows } = await settings.query<{ on: boolean }>("select current_setting('autovacuum') = 'on' and current_setting('track_counts') = 'on' as on");
    await settings.end();
    for (const s of up) assert.equal(s.logs.some((l) => l.level === 40 && /autovacuum is not running/.test(String(l.msg))), !rows[0].on);
    const created = await callApi(up[0].url, "POST", "/experiments/create", { name: "otlp-replicas" });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const exp = String(created.body.experiment_id);
    const traceIds = Array.from({ length: TRACES }, (_, k) => `${(0xabc0 + k).toString(16)}`.padEnd(32, "0"));
    // Span i of every trace goes to replica i % 2, and all the requests are in flight together.
    const requests = traceIds.flatMap((traceId) => Array.from({ length: SPANS }, (_, i) => ({ traceId, i, url: up[i % 2].url })));
    // As an exporter does, a request answered TEMPORARILY_UNAVAILABLE is sent again (counted: there should be none).
    let retried = 0;
    const answers = await Promise.all(
      requests.map(async ({ traceId, i, url }) => {
        for (let attempt = 0; ; attempt++) {
          const res = await fetch(`${url}/v1/traces`, { method: "POST", headers: { "content-type": "application/json", "x-mlflow-experiment-id": exp }, body: exportBody(traceId, i) });
          const text = await res.text();
          if (res.status !== 503 || attempt === 5) return res.status === 200 ? "200" : `${res.status} ${text}`;
          retried++;
        }
      }),
    );
    assert.deepEqual(answers.filter((a) => a !== "200"), [], "every request answered 200");
    for (const traceId of traceIds) {
      const id = `tr-${traceId}`;
      const file = join(artifacts, exp, "traces", id, "artifacts", "traces.json");
      const names = (JSON.parse(readFileSync(file, "utf8")) as { spans: { name: string }[] }).spans.map((s) => s.name);
      assert.equal(names.length, SPANS, `${id}: ${SPANS - names.length} spans lost`);
      assert.deepEqual(new Set(names), new Set(["root", ...Array.from({ length: SPANS - 1 }, (_, i) => `s${i + 1}`)]));
      const info = await fetch(`${up[1].url}/api/3.0/mlflow/traces/${id}`);
      const ti = ((await info.json()) as { trace: { trace_info: Record<string, unknown> } }).trace.trace_info;
      assert.deepEqual([ti.state, ti.execution_duration, (ti.tags as Record<string, string>)["mlflow.traceName"]], ["OK", `${(SPANS / 1000).toFixed(3)}s`, "root"]);
    }
    assert.equal(retried, 0, "no request was refused as created meanwhile by the other replica");
  } finally {
    await Promise.all(up.map(stop));
  }
});
