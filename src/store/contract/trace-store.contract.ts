/**
 * The TraceStore contract (MLflow 3 traces): one suite, run against every
 * backend (SQLite, PostgreSQL) by the backends' own test files. It uses the
 * tracking store of the same database for experiments and gc.
 * @module
 */
import assert from "node:assert/strict";
import { describe } from "node:test";
import { parseFilter } from "../../shared/filter/filter-parser.js";
import type { TrackingStore } from "../../tracking/tracking-store.js";
import type { Assessment, TraceInfo, TraceStore } from "../../tracking/traces/index.js";
import { parseTraceOrderBy, TRACE_SEARCH_SPEC } from "../../tracking/traces/trace-search-spec.js";
import { contractTests } from "../../testing/backend-tests.js";
import { rejectsWith } from "../../testing/mlflow-error-assert.js";

export interface TraceStoreFixture {
  tracking: TrackingStore;
  traces: TraceStore;
  cleanup(): Promise<void>;
}

export function runTraceStoreContract(name: string, make: () => Promise<TraceStoreFixture | undefined>): void {
  describe(`TraceStore contract: ${name}`, () => {
    let s: TraceStore;
    let t: TrackingStore;
    let n = 0;
    const newExperiment = () => t.createExperiment({ name: `traces-${Date.now()}-${n++}`, tags: [] });
    const trace = (experimentId: string, id: string, extra: Partial<TraceInfo> = {}): TraceInfo => ({
      traceId: id,
      experimentId,
      clientRequestId: null,
      requestTime: 1_000,
      executionDuration: 10,
      state: "OK",
      requestPreview: null,
      responsePreview: null,
      metadata: {},
      tags: {},
      assessments: [],
      ...extra,
    });
    const search = (experimentIds: string[], filter?: string, orderBy?: string[], maxResults = 50, pageToken?: string) =>
      s.searchTraces({ experimentIds, filter: parseFilter(filter, TRACE_SEARCH_SPEC), orderBy: parseTraceOrderBy(orderBy), maxResults, pageToken });
    const ids = async (p: Promise<{ items: TraceInfo[] }>) => (await p).items.map((x) => x.traceId);
    const assessment = (traceId: string, id: string, extra: Partial<Assessment> = {}): Assessment => ({
      assessmentId: id,
      traceId,
      name: "relevance",
      kind: "feedback",
      value: 0.5,
      error: null,
      sourceType: "LLM_JUDGE",
      sourceId: "judge-1",
      createTime: 1_000,
      lastUpdateTime: 1_000,
      runId: null,
      spanId: null,
      rationale: null,
      overrides: null,
      valid: true,
      metadata: {},
      ...extra,
    });

    const it = contractTests(name, make, (f) => {
      s = f.traces;
      t = f.tracking;
    });

    it("stores a trace with its tags and metadata and reads it back", async () => {
      const exp = await newExperiment();
      const info = trace(exp, `tr-a-${n}`, {
        clientRequestId: "req-1",
        state: "ERROR",
        requestPreview: '{"x": 1}',
        responsePreview: "2",
        metadata: { "mlflow.sourceRun": "r1", "mlflow.trace.sizeBytes": "123" },
        tags: { "mlflow.traceName": "predict", "mlflow.artifactLocation": "mlflow-artifacts:/1/traces/x/artifacts" },
      });
      assert.deepEqual(await s.startTrace(info), info);
      assert.deepEqual(await s.getTraceInfo(info.traceId), info);
      assert.equal(await s.experimentOf(info.traceId), exp);
      // A retried start answers what is stored; the same id in another experiment is refused, and changes nothing.
      assert.deepEqual(await s.startTrace({ ...info, state: "OK", tags: {} }), info);
      await rejectsWith(s.startTrace({ ...info, experimentId: await newExperiment() }), "RESOURCE_ALREADY_EXISTS", /already exists in experiment/);
      assert.deepEqual(await s.getTraceInfo(info.traceId), info);
      await rejectsWith(s.getTraceInfo("tr-missing"), "RESOURCE_DOES_NOT_EXIST", /Trace with ID 'tr-missing' not found/);
      assert.equal(await s.experimentOf("tr-missing"), undefined);
    });

    it("searches by attributes, tags, metadata, name and run_id; orders and pages", async () => {
      const exp = await newExperiment();
      const other = await newExperiment();
      const p = `tr-s${n}`;
      await s.startTrace(trace(exp, `${p}-1`, { requestTime: 100, executionDuration: 5, tags: { "mlflow.traceName": "chat", topic: "math" }, metadata: { "mlflow.sourceRun": "run1" } }));
      await s.startTrace(trace(exp, `${p}-2`, { requestTime: 200, executionDuration: 50, state: "ERROR", tags: { "mlflow.traceName": "chat" } }));
      await s.startTrace(trace(exp, `${p}-3`, { requestTime: 300, executionDuration: 500, tags: { "mlflow.traceName": "embed", topic: "art" }, metadata: { "mlflow.sourceRun": "run2" } }));
      await s.startTrace(trace(other, `${p}-9`, { requestTime: 400 }));
      assert.deepEqual(await ids(search([exp])), [`${p}-3`, `${p}-2`, `${p}-1`], "newest first by default");
      assert.deepEqual(await ids(search([exp, other], undefined, ["timestamp_ms ASC"])), [`${p}-1`, `${p}-2`, `${p}-3`, `${p}-9`]);
      assert.deepEqual(await ids(search([exp], "trace.status = 'ERROR'")), [`${p}-2`]);
      assert.deepEqual(await ids(search([exp], "status IN ('OK')")), [`${p}-3`, `${p}-1`]);
      assert.deepEqual(await ids(search([exp], "execution_time_ms > 10 AND timestamp_ms < 300")), [`${p}-2`]);
      assert.deepEqual(await ids(search([exp], "attributes.timestamp >= 200")), [`${p}-3`, `${p}-2`]);
      assert.deepEqual(await ids(search([exp], "tags.topic = 'math'")), [`${p}-1`]);
      assert.deepEqual(await ids(search([exp], "tags.topic != 'math'")), [`${p}-3`]);
      assert.deepEqual(await ids(search([exp], "name = 'chat'", ["timestamp ASC"])), [`${p}-1`, `${p}-2`]);
      assert.deepEqual(await ids(search([exp], "request_metadata.`mlflow.sourceRun` = 'run2'")), [`${p}-3`]);
      assert.deepEqual(await ids(search([exp], "metadata.mlflow.sourceRun = 'run1'")), [`${p}-1`]);
      assert.deepEqual(await ids(search([exp], "run_id = 'run1'")), [`${p}-1`]);
      assert.deepEqual(await ids(search([exp], `request_id = '${p}-2'`)), [`${p}-2`]);
      assert.deepEqual(await ids(search([exp], undefined, ["execution_time_ms DESC"])), [`${p}-3`, `${p}-2`, `${p}-1`]);
      assert.deepEqual(await ids(search([exp], undefined, ["name ASC", "timestamp_ms DESC"])), [`${p}-2`, `${p}-1`, `${p}-3`]);
      const first = await search([exp], undefined, ["timestamp_ms ASC"], 2);
      assert.deepEqual(first.items.map((x) => x.traceId), [`${p}-1`, `${p}-2`]);
      assert.ok(first.nextPageToken);
      const second = await search([exp], undefined, ["timestamp_ms ASC"], 2, first.nextPageToken);
      assert.deepEqual(second.items.map((x) => x.traceId), [`${p}-3`]);
      assert.equal(second.nextPageToken, undefined);
      await rejectsWith(search([exp], "tags.topic = 'art'", ["timestamp_ms ASC"], 2, first.nextPageToken), "INVALID_PARAMETER_VALUE", /token/i);
      assert.deepEqual(await ids(search(["123456789"])), []);
    });

    it("ends a trace (MLflow 2's EndTrace): execution time, state, metadata and tags merged", async () => {
      const exp = await newExperiment();
      const id = `tr-e${n}`;
      await s.startTrace(trace(exp, id, { state: "IN_PROGRESS", executionDuration: null, metadata: { a: "1" }, tags: { t: "x" } }));
      const ended = await s.endTrace(id, { executionDuration: 250, state: "ERROR", metadata: { a: "2", b: "3" }, tags: { u: "y" } });
      assert.deepEqual([ended.executionDuration, ended.state, ended.metadata, ended.tags], [250, "ERROR", { a: "2", b: "3" }, { t: "x", u: "y" }]);
      assert.deepEqual(await s.getTraceInfo(id), ended);
      await rejectsWith(s.endTrace("tr-none", { executionDuration: 1, state: "OK", metadata: {}, tags: {} }), "RESOURCE_DOES_NOT_EXIST", /tr-none/);
    });

    it("sets, overwrites and deletes tags", async () => {
      const exp = await newExperiment();
      const id = `tr-t${n}`;
      await s.startTrace(trace(exp, id));
      await s.setTraceTag(id, "k", "v1");
      await s.setTraceTag(id, "k", "v2");
      assert.deepEqual((await s.getTraceInfo(id)).tags, { k: "v2" });
      await s.deleteTraceTag(id, "k");
      assert.deepEqual((await s.getTraceInfo(id)).tags, {});
      await rejectsWith(s.deleteTraceTag(id, "k"), "RESOURCE_DOES_NOT_EXIST", new RegExp(`No trace tag with key 'k' for trace with ID '${id}'`));
    });

    it("deletes by ids (only the experiment's) and by time, oldest first", async () => {
      const exp = await newExperiment();
      const other = await newExperiment();
      const p = `tr-d${n}`;
      for (const [i, time] of [[1, 100], [2, 200], [3, 300], [4, 400]] as const) {
        await s.startTrace(trace(exp, `${p}-${i}`, { requestTime: time, tags: { a: "b" }, metadata: { c: "d" } }));
      }
      await s.startTrace(trace(other, `${p}-x`, { requestTime: 50 }));
      assert.equal(await s.deleteTraces({ experimentId: exp, traceIds: [`${p}-2`, `${p}-x`] }), 1);
      assert.deepEqual(await ids(search([exp, other], undefined, ["timestamp_ms ASC"])), [`${p}-x`, `${p}-1`, `${p}-3`, `${p}-4`]);
      assert.equal(await s.deleteTraces({ experimentId: exp, maxTimestampMillis: 350, maxTraces: 1 }), 1);
      assert.deepEqual(await ids(search([exp])), [`${p}-4`, `${p}-3`]);
      assert.equal(await s.deleteTraces({ experimentId: exp, maxTimestampMillis: 350 }), 1);
      assert.deepEqual(await ids(search([exp])), [`${p}-4`]);
      await rejectsWith(s.getTraceInfo(`${p}-1`), "RESOURCE_DOES_NOT_EXIST", /not found/);
    });

    it("stores assessments with their trace, oldest first; overrides, updates and deletes them", async () => {
      const exp = await newExperiment();
      const id = `tr-as${n}`;
      const a1 = assessment(id, `a-1-${n}`, {
        value: { score: [1, 2.5, "x"], ok: true },
        error: { errorCode: "E", errorMessage: "judge timed out", stackTrace: null },
        rationale: "why ünïcode",
        metadata: { "mlflow.assessment.sourceRunId": "r1" },
        runId: "r1",
        spanId: "span-1",
      });
      // Assessments logged while the trace was active arrive with StartTraceV3.
      const started = await s.startTrace(trace(exp, id, { assessments: [a1] }));
      assert.deepEqual(started.assessments, [a1]);
      const a2 = assessment(id, `a-2-${n}`, { kind: "expectation", value: ["a", "b"], sourceType: "HUMAN", createTime: 2_000, lastUpdateTime: 2_000 });
      assert.deepEqual(await s.createAssessment(a2), a2);
      assert.deepEqual(await s.getAssessment(id, a2.assessmentId), a2);
      // An override marks the overridden one invalid; deleting the override makes it valid again.
      const a3 = assessment(id, `a-3-${n}`, { value: 0.9, sourceType: "HUMAN", overrides: a1.assessmentId, createTime: 3_000, lastUpdateTime: 3_000 });
      await s.createAssessment(a3);
      assert.deepEqual((await s.getTraceInfo(id)).assessments.map((a) => [a.assessmentId, a.valid]), [[a1.assessmentId, false], [a2.assessmentId, true], [a3.assessmentId, true]]);
      await s.deleteAssessment(id, a3.assessmentId);
      assert.equal((await s.getAssessment(id, a1.assessmentId)).valid, true);
      await s.deleteAssessment(id, a3.assessmentId); // again: nothing to do
      // Update: read, change and write in one transaction; a throwing change writes nothing.
      const updated = await s.updateAssessment(id, a2.assessmentId, (x) => ({ ...x, name: "expected", value: { k: null }, lastUpdateTime: 5_000 }));
      assert.deepEqual(await s.getAssessment(id, a2.assessmentId), updated);
      assert.deepEqual(updated.value, { k: null });
      await assert.rejects(s.updateAssessment(id, a2.assessmentId, () => { throw new Error("no"); }), /no/);
      assert.deepEqual(await s.getAssessment(id, a2.assessmentId), updated);
      // Missing things are named; a taken id or a missing overridden one changes nothing.
      await rejectsWith(s.getAssessment("tr-none", "a-x"), "RESOURCE_DOES_NOT_EXIST", /Trace with ID 'tr-none' not found/);
      await rejectsWith(s.getAssessment(id, "a-x"), "RESOURCE_DOES_NOT_EXIST", new RegExp(`Assessment with ID 'a-x' not found for trace '${id}'`));
      await rejectsWith(s.createAssessment(assessment("tr-none", "a-y")), "RESOURCE_DOES_NOT_EXIST", /Trace with ID 'tr-none' not found/);
      await rejectsWith(s.createAssessment(assessment(id, a2.assessmentId)), "RESOURCE_ALREADY_EXISTS", /already exists/);
      await rejectsWith(s.createAssessment(assessment(id, `a-4-${n}`, { overrides: "a-nope" })), "RESOURCE_DOES_NOT_EXIST", /a-nope/);
      await rejectsWith(s.updateAssessment(id, "a-x", (x) => x), "RESOURCE_DOES_NOT_EXIST", /a-x/);
      assert.equal((await s.getTraceInfo(id)).assessments.length, 2);
      // Deleting the trace deletes its assessments.
      await s.deleteTraces({ experimentId: exp, traceIds: [id] });
      await rejectsWith(s.getAssessment(id, a1.assessmentId), "RESOURCE_DOES_NOT_EXIST", /Trace with ID/);
    });

    it("an override inside a trace's start marks the one it replaces invalid; one naming none refuses the start", async () => {
      const exp = await newExperiment();
      const id = `tr-so${n}`;
      const judged = assessment(id, `a-j-${n}`);
      const fixed = assessment(id, `a-f-${n}`, { sourceType: "HUMAN", overrides: judged.assessmentId, createTime: 2_000, lastUpdateTime: 2_000 });
      const started = await s.startTrace(trace(exp, id, { assessments: [fixed, judged] }));
      assert.deepEqual(started.assessments.map((a) => [a.assessmentId, a.valid]), [[judged.assessmentId, false], [fixed.assessmentId, true]]);
      const lone = `tr-sn${n}`;
      await rejectsWith(s.startTrace(trace(exp, lone, { assessments: [assessment(lone, `a-l-${n}`, { overrides: judged.assessmentId })] })), "RESOURCE_DOES_NOT_EXIST", /not found/);
      await rejectsWith(s.getTraceInfo(lone), "RESOURCE_DOES_NOT_EXIST", /not found/);
    });

    it("saves OTLP span summaries: new traces with their tags, existing ones' timing, state and previews", async () => {
      const exp = await newExperiment();
      const fresh = `tr-ot${n}`;
      const old = `tr-oo${n}`;
      await s.startTrace(trace(exp, old, { state: "IN_PROGRESS", executionDuration: null, tags: { keep: "me" } }));
      const { assessments: _a, ...base } = trace(exp, fresh, { requestTime: 500, executionDuration: 20, state: "ERROR", requestPreview: "in", responsePreview: "out", tags: { "mlflow.traceName": "agent", "mlflow.artifactLocation": "x:/loc" } });
      const { assessments: _b, ...oldInfo } = trace(exp, old, { requestTime: 900, executionDuration: 300, state: "OK", tags: { "mlflow.traceName": "root" } });
      await s.saveSpanSummaries([{ info: base, isNew: true }, { info: oldInfo, isNew: false }]);
      const a = await s.getTraceInfo(fresh);
      assert.deepEqual([a.requestTime, a.executionDuration, a.state, a.requestPreview, a.responsePreview, a.tags], [500, 20, "ERROR", "in", "out", base.tags]);
      const b = await s.getTraceInfo(old);
      assert.deepEqual([b.requestTime, b.executionDuration, b.state, b.tags], [900, 300, "OK", { keep: "me", "mlflow.traceName": "root" }]);
      // One transaction: a new trace that exists by now refuses the whole call, retryably, and changes nothing.
      await rejectsWith(s.saveSpanSummaries([{ info: { ...oldInfo, state: "ERROR" }, isNew: false }, { info: base, isNew: true }]), "TEMPORARILY_UNAVAILABLE", /retry/);
      assert.equal((await s.getTraceInfo(old)).state, "OK");
    });

    it("holds traces: a holder of an overlapping set runs after the first's writes are committed, and sees them", async () => {
      const exp = await newExperiment();
      const [x, y] = [`tr-hx${n}`, `tr-hy${n}`];
      const order: string[] = [];
      let entered!: () => void;
      const inside = new Promise<void>((r) => (entered = r));
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const { assessments: _a, ...info } = trace(exp, x, { state: "ERROR" });
      const first = s.withTracesLocked([x], async (held) => {
        order.push("first");
        entered();
        await gate;
        await held.saveSpanSummaries([{ info, isNew: true }]);
        order.push("first saved");
        return "first done";
      });
      const second = s.withTracesLocked([y, x], async (held) => {
        order.push("second");
        return (await held.getTraceInfo(x)).state;
      });
      await inside;
      // A round trip to the database while the first holds x: an unheld second would have begun by now.
      await rejectsWith(s.getTraceInfo(y), "RESOURCE_DOES_NOT_EXIST", /not found/);
      release();
      assert.deepEqual(await Promise.all([first, second]), ["first done", "ERROR"]);
      assert.deepEqual(order, ["first", "first saved", "second"]);
      // More holders of other traces than a pool has connections, all waiting: the store still answers other
      // reads meanwhile (holders take a few connections at most), and each holder gets its turn.
      let open!: () => void;
      const held = new Promise<void>((r) => (open = r));
      const others = Array.from({ length: 24 }, (_, i) => `tr-hm${n}-${i}`);
      const holders = Promise.all(others.map((id) => s.withTracesLocked([id], async (h) => (await held, h.getTraceInfo(id).then(() => "found", () => "missing")))));
      let guard: NodeJS.Timeout | undefined;
      try {
        // The guard turns a read stuck behind the holders into a failure instead of a hang; it times nothing.
        const stuck = new Promise<never>((_, reject) => (guard = setTimeout(() => reject(new Error("a read waited behind 24 holders for 30 s")), 30_000)));
        assert.equal((await Promise.race([s.getTraceInfo(x), stuck])).state, "ERROR");
      } finally {
        clearTimeout(guard);
        open();
      }
      assert.deepEqual(new Set(await holders), new Set(["missing"]));
      // A holder that throws lets the next one in.
      await assert.rejects(s.withTracesLocked([x], () => Promise.reject(new Error("boom"))), /boom/);
      assert.equal(await s.withTracesLocked([x], async (held) => (await held.getTraceInfo(x)).state), "ERROR");
    });

    it("links traces to runs: run_id finds them beside the mlflow.sourceRun metadata", async () => {
      const exp = await newExperiment();
      const p = `tr-l${n}`;
      await s.startTrace(trace(exp, `${p}-1`, { requestTime: 100, metadata: { "mlflow.sourceRun": "runA" } }));
      await s.startTrace(trace(exp, `${p}-2`, { requestTime: 200 }));
      await s.startTrace(trace(exp, `${p}-3`, { requestTime: 300 }));
      await s.linkTracesToRun([`${p}-2`, `${p}-2`], "runA", 1);
      await s.linkTracesToRun([`${p}-2`], "runA", 2); // again: no change
      await s.linkTracesToRun([`${p}-3`], "runB", 3);
      assert.deepEqual(await ids(search([exp], "run_id = 'runA'")), [`${p}-2`, `${p}-1`]);
      assert.deepEqual(await ids(search([exp], "attribute.run_id IN ('runB')")), [`${p}-3`]);
      assert.deepEqual(await ids(search([exp], "run_id = 'runA' AND timestamp_ms > 150")), [`${p}-2`]);
      assert.deepEqual(await ids(search([exp], "run_id IS NULL")), []);
      assert.deepEqual(await ids(search([exp], "run_id IS NOT NULL", ["timestamp_ms ASC"])), [`${p}-1`, `${p}-2`, `${p}-3`]);
      await rejectsWith(s.linkTracesToRun([`${p}-1`, "tr-nope"], "runC", 4), "RESOURCE_DOES_NOT_EXIST", /tr-nope/);
      assert.deepEqual(await ids(search([exp], "run_id = 'runC'")), [], "a refused link links nothing");
      await s.deleteTraces({ experimentId: exp, traceIds: [`${p}-2`] });
      assert.deepEqual(await ids(search([exp], "run_id = 'runA'")), [`${p}-1`]);
    });

    it("purging an experiment purges its traces and names their artifact locations", async () => {
      const exp = await newExperiment();
      const id = `tr-g${n}`;
      await s.startTrace(
        trace(exp, id, { tags: { "mlflow.artifactLocation": `mlflow-artifacts:/${exp}/traces/${id}/artifacts` }, metadata: { m: "1" }, assessments: [assessment(id, `a-g-${n}`)] }),
      );
      await s.linkTracesToRun([id], "runG", 1);
      await t.deleteExperiment(exp);
      const [purged] = await t.hardDeleteExperiments([exp]);
      assert.deepEqual(purged.traces, [{ traceId: id, artifactUri: `mlflow-artifacts:/${exp}/traces/${id}/artifacts` }]);
      await rejectsWith(s.getTraceInfo(id), "RESOURCE_DOES_NOT_EXIST", /not found/);
    });
  });
}
