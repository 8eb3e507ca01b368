/**
 * Pipeline runs end to end on a real server (loopback port, SQLite, the job
 * runner): steps are real shell processes. Covers the DAG with parallel
 * independent steps, output passing, if: skipping, the cache (hit, miss on
 * an input change, --no-cache), retries, failure then resume, cancel,
 * timeout, the approval gate, a notify webhook, the monitoring job payload,
 * definition errors, and the runs as MLflow sees them.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import { pipelineRunTook } from "../../shared/wire/pipeline-progress.js";
import { startPipelineWorld, type PipelineWorld } from "../../testing/pipelines-fixture.js";
import { waitFor } from "../../testing/wait-for.js";

const yaml = (pipelines: string) => `name: demo\nentry_points:\n  main: { command: "echo main" }\npipelines:\n${pipelines}`;

describe("pipeline runs", () => {
  let w: PipelineWorld;
  let proj: string;
  let marks: string;
  before(async () => {
    w = await startPipelineWorld();
    marks = join(w.dir, "marks");
    proj = w.project("demo", {
      "ciclo.yaml": yaml(`
  dag:
    inputs:
      flag: { type: bool, default: false }
      marks: { type: string }
    steps:
      a:
        run: |
          touch "$MARKS/a-started"
          for i in $(seq 1 400); do [ -e "$MARKS/b-started" ] && break; sleep 0.05; done
          [ -e "$MARKS/b-started" ] || { echo "b never ran beside a" >&2; exit 1; }
          echo "value=42" >> "$CICLO_STEP_OUTPUTS"
        env: { MARKS: "\${{ inputs.marks }}" }
        cache: false
      b:
        run: |
          touch "$MARKS/b-started"
          for i in $(seq 1 400); do [ -e "$MARKS/a-started" ] && break; sleep 0.05; done
          [ -e "$MARKS/a-started" ] || { echo "a never ran beside b" >&2; exit 1; }
          echo "word=hello world" >> "$CICLO_STEP_OUTPUTS"
        env: { MARKS: "\${{ inputs.marks }}" }
        cache: false
      c:
        needs: [a, b]
        run: echo "sum=$(( \${{ steps.a.outputs.value }} + 1 ))" \${{ steps.b.outputs.word }} && echo "sum=$(( \${{ steps.a.outputs.value }} + 1 ))" >> "$CICLO_STEP_OUTPUTS"
        cache: false
      d:
        needs: [c]
        if: inputs.flag
        run: echo never
  cached:
    inputs:
      n: { type: int, default: 1 }
      counter: string
    steps:
      work:
        run: echo "\${{ inputs.n }}" >> \${{ inputs.counter }}
  quoted:
    inputs: { name: string, dir: string }
    steps:
      greet:
        run: cd \${{ inputs.dir }} && echo "hello \${{ inputs.name }}" && echo 'bye \${{ inputs.name }}' && echo "len=$(printf %s "\${{ inputs.name }}" | wc -c)"
        cache: false
  flaky:
    inputs: { counter: string }
    steps:
      try:
        run: echo x >> \${{ inputs.counter }}; [ $(wc -l < \${{ inputs.counter }}) -ge 2 ]
        retries: 2
        retry_delay_seconds: 0
        cache: false
  resumable:
    inputs: { counter: string, ok: string }
    steps:
      first:
        run: echo first >> \${{ inputs.counter }}
        cache: false
      second:
        needs: [first]
        run: test -e \${{ inputs.ok }}
        cache: false
      third:
        needs: [second]
        run: echo third >> \${{ inputs.counter }}
        cache: false
  slow:
    steps:
      sleep:
        run: echo sleeping; exec sleep 60
        cache: false
  timed:
    steps:
      sleep:
        run: exec sleep 30
        timeout_seconds: 1
        cache: false
  gated:
    steps:
      build:
        run: echo built
        cache: false
      approve:
        uses: approve
        needs: [build]
        with: { approvers: [alice], message: "ship \${{ steps.build.outputs.run_id }}?" }
      ship:
        needs: [approve]
        run: echo "approved by \${{ steps.approve.outputs.by }}"
        cache: false
  notified:
    inputs: { url: string }
    steps:
      tell:
        uses: notify
        with: { url: "\${{ inputs.url }}", message: "done" }
  retrain:
    inputs:
      window_start: { type: int, default: 0 }
      model_name: { type: string, default: none }
    steps:
      echo:
        run: echo "retraining \${{ inputs.model_name }} from \${{ inputs.window_start }}"
        cache: false
`),
    });
    mkdirSync(marks, { recursive: true });
  });
  after(async () => {
    await w?.close();
  });

  test("steps run in DAG order, independent ones in parallel; outputs pass on; a false if: skips", async () => {
    const started = await w.start(proj, "dag", { marks });
    assert.equal(started.trigger.kind, "manual");
    const run = await w.until(started.run_id);
    const by = Object.fromEntries(run.steps.map((s: any) => [s.step_id, s]));
    assert.equal(run.status, "succeeded", JSON.stringify(run));
    assert.equal(by.a.status, "succeeded");
    assert.equal(by.b.status, "succeeded", "a and b waited for each other: they ran at the same time");
    assert.equal(by.a.outputs.value, "42");
    assert.equal(by.c.outputs.sum, "43", "c read a's output through ${{ steps.a.outputs.value }}");
    assert.equal(by.d.status, "skipped");
    assert.match(by.d.error, /if: inputs.flag was false/);
    assert.ok(by.c.started_at >= Math.max(by.a.finished_at, by.b.finished_at), "c started after its needs finished");
    const logs = await w.api("GET", `/pipelines/runs/${run.run_id}/logs?step=c`);
    assert.ok(logs.json.lines.some((l: any) => l.stream === "stdout" && l.line === "sum=43 hello world"), JSON.stringify(logs.json.lines));
    const files = await w.mlflow("GET", `/artifacts/list?run_id=${by.c.child_run_id}`);
    assert.deepEqual(files.json.files.map((f: any) => f.path), ["pipeline-step.log"], "the step's log is an artifact of its run");
    const text = await (await fetch(`${w.url}/get-artifact?run_id=${by.c.child_run_id}&path=pipeline-step.log`)).text();
    assert.match(text, /#1 stdout sum=43 hello world/);
  });

  test("an input holding shell syntax is text in run:, inside the author's quotes too (no script injection)", async () => {
    const box = join(w.dir, "injection-box");
    mkdirSync(box, { recursive: true });
    const name = `$(touch pwned1)\`touch pwned2\`"; touch pwned3; echo "'; touch pwned4; echo '`;
    const run = await w.until((await w.start(proj, "quoted", { name, dir: box })).run_id);
    assert.equal(run.status, "succeeded", JSON.stringify(run));
    assert.deepEqual(readdirSync(box), [], "the input ran commands");
    const lines = (await w.api("GET", `/pipelines/runs/${run.run_id}/logs?step=greet`)).json.lines.filter((l: any) => l.stream === "stdout").map((l: any) => l.line);
    assert.deepEqual(lines, [`hello ${name}`, `bye ${name}`, `len=${Buffer.byteLength(name)}`]);
  });

  test("a pipeline run and its step runs are MLflow runs: searchable, parent-linked, tagged", async () => {
    const started = await w.start(proj, "dag", { marks: join(w.dir, "marks2") }).catch(() => undefined);
    // (marks2 does not exist: a and b fail; the run is still searchable.)
    if (started) await w.until(started.run_id);
    const [first] = (await w.api("GET", "/pipelines/runs?pipeline=dag&status=succeeded")).json.pipeline_runs;
    const s = await w.mlflow("POST", "/runs/search", { experiment_ids: [first.experiment_id], filter: `tags.\`ciclo.pipeline.run_id\` = '${first.run_id}'`, max_results: 100 });
    assert.equal(s.status, 200);
    const children = s.json.runs;
    assert.deepEqual(children.map((r: any) => r.info.run_name).sort(), ["a", "b", "c"], "one child run per step that ran");
    for (const c of children) {
      const tags = Object.fromEntries(c.data.tags.map((t: any) => [t.key, t.value]));
      assert.equal(tags["mlflow.parentRunId"], first.run_id);
      assert.equal(c.info.status, "FINISHED");
    }
    const parent = await w.mlflow("GET", `/runs/get?run_id=${first.run_id}`);
    const tags = Object.fromEntries(parent.json.run.data.tags.map((t: any) => [t.key, t.value]));
    assert.equal(tags["ciclo.pipeline.name"], "dag");
    assert.equal(tags["ciclo.pipeline.trigger"], "manual");
    assert.equal(tags["ciclo.pipeline.status"], "succeeded");
    assert.equal(parent.json.run.info.status, "FINISHED");
    assert.deepEqual(parent.json.run.data.params.map((p: any) => p.key).sort(), ["flag", "marks"], "inputs are the run's params");
  });

  test("the cache: a rerun is a hit, a changed input a miss, --no-cache runs again", async () => {
    const counter = join(w.dir, "cache-counter");
    const one = await w.until((await w.start(proj, "cached", { counter })).run_id);
    assert.equal(one.steps[0].status, "succeeded");
    const two = await w.until((await w.start(proj, "cached", { counter })).run_id);
    assert.equal(two.steps[0].status, "cached", JSON.stringify(two.steps[0]));
    assert.equal(two.steps[0].cached_from, one.steps[0].child_run_id);
    assert.equal(readFileSync(counter, "utf8"), "1\n", "the cached step did not run");
    const three = await w.until((await w.start(proj, "cached", { counter, n: 2 })).run_id);
    assert.equal(three.steps[0].status, "succeeded", "another input value is another key");
    const four = await w.until((await w.start(proj, "cached", { counter }, { no_cache: true })).run_id);
    assert.equal(four.steps[0].status, "succeeded");
    assert.equal(readFileSync(counter, "utf8"), "1\n2\n1\n");
    writeFileSync(join(proj, "new-file.txt"), "code changed");
    const five = await w.until((await w.start(proj, "cached", { counter })).run_id);
    assert.equal(five.steps[0].status, "succeeded", "a change in the code tree is a miss");
  });

  test("a failing step is retried and then succeeds", async () => {
    const counter = join(w.dir, "flaky-counter");
    const run = await w.until((await w.start(proj, "flaky", { counter })).run_id);
    assert.equal(run.status, "succeeded");
    assert.equal(run.steps[0].attempt, 2);
    assert.equal(readFileSync(counter, "utf8"), "x\nx\n");
    const logs = (await w.api("GET", `/pipelines/runs/${run.run_id}/logs`)).json.lines;
    assert.ok(logs.some((l: any) => /retrying in 0 s/.test(l.line)), JSON.stringify(logs));
  });

  test("a failed run resumes from the failed step; succeeded steps are not run again", async () => {
    const counter = join(w.dir, "resume-counter");
    const ok = join(w.dir, "resume-ok");
    const failed = await w.until((await w.start(proj, "resumable", { counter, ok })).run_id);
    assert.equal(failed.status, "failed");
    assert.deepEqual(failed.steps.map((s: any) => s.status), ["succeeded", "failed", "skipped"]);
    assert.match(failed.error, /step 'second' failed: exit code 1/);
    const mlflowRun = await w.mlflow("GET", `/runs/get?run_id=${failed.run_id}`);
    assert.equal(mlflowRun.json.run.info.status, "FAILED");
    assert.equal(failed.resumed_at, undefined, "not resumed yet");
    // As if it had failed an hour ago and sat failed since: its first stretch keeps its length.
    const HOUR = 3_600_000;
    const db = new Database(join(w.dir, "ciclo.db"));
    try {
      db.prepare("UPDATE pipeline_runs SET created_at = created_at - ?, updated_at = updated_at - ?, finished_at = finished_at - ? WHERE run_id = ?").run(HOUR, HOUR, HOUR, failed.run_id);
    } finally {
      db.close();
    }
    const firstStretch = failed.finished_at - failed.created_at;
    writeFileSync(ok, "");
    const resumed = await w.api("POST", `/pipelines/runs/${failed.run_id}/resume`, {});
    assert.equal(resumed.status, 200, JSON.stringify(resumed.json));
    const done = await w.until(failed.run_id);
    assert.equal(done.status, "succeeded");
    assert.equal(readFileSync(counter, "utf8"), "first\nthird\n", "first ran once");
    // "Took" is the time spent running, not the hour it sat failed; the time since its first start is there too.
    assert.equal(done.earlier_run_ms, firstStretch);
    assert.ok(done.resumed_at >= failed.finished_at, "resumed after it failed");
    const took = pipelineRunTook(done)!;
    assert.equal(took.resumed, true);
    assert.equal(took.runningMs, firstStretch + (done.finished_at - done.resumed_at));
    assert.ok(took.runningMs < HOUR / 2, `ran ${took.runningMs} ms`);
    assert.ok(took.sinceFirstStartMs >= HOUR, `${took.sinceFirstStartMs} ms since the first start`);
    assert.equal((await w.mlflow("GET", `/runs/get?run_id=${failed.run_id}`)).json.run.info.status, "FINISHED");
    const again = await w.api("POST", `/pipelines/runs/${failed.run_id}/resume`, {});
    assert.equal(again.status, 409);
    assert.equal(again.json.error_code, "RESOURCE_CONFLICT");
  });

  test("cancel stops a running step's process", async () => {
    const started = await w.start(proj, "slow");
    await waitFor(
      async () => (await w.api("GET", `/pipelines/runs/${started.run_id}/logs`)).json.lines,
      (lines: any[]) => lines.some((l) => l.line === "sleeping"),
      { what: "the step to start" },
    );
    const t0 = Date.now();
    const c = await w.api("POST", `/pipelines/runs/${started.run_id}/cancel`);
    assert.equal(c.status, 200);
    assert.equal(c.json.pipeline_run.status, "cancelled");
    const done = await waitFor(
      async () => (await w.api("GET", `/pipelines/runs/${started.run_id}`)).json.pipeline_run,
      (r) => r.steps[0].status === "cancelled",
      { what: "the step to stop" },
    );
    assert.ok(Date.now() - t0 < 30_000, "the 60 s sleep was killed");
    assert.equal(done.status, "cancelled");
    assert.equal((await w.mlflow("GET", `/runs/get?run_id=${started.run_id}`)).json.run.info.status, "KILLED");
  });

  test("a step past its timeout is stopped and fails", async () => {
    const run = await w.until((await w.start(proj, "timed")).run_id);
    assert.equal(run.status, "failed");
    assert.match(run.steps[0].error, /timed out after 1 s/);
  });

  test("an approve step waits; only a listed approver may answer; approval continues the pipeline", async () => {
    const started = await w.start(proj, "gated");
    const waiting = await w.until(started.run_id, ["waiting"]);
    assert.deepEqual(waiting.steps.map((s: any) => s.status), ["succeeded", "waiting", "pending"]);
    const inbox = (await w.api("GET", "/pipelines/approvals?state=pending")).json.approvals;
    // The message's expression is evaluated: the build step's run id, not the template.
    const built = waiting.steps[0].child_run_id;
    assert.ok(inbox.some((a: any) => a.run_id === started.run_id && a.step_id === "approve" && a.message === `ship ${built}?`), JSON.stringify(inbox));
    const bob = await w.api("POST", `/pipelines/runs/${started.run_id}/approvals/approve`, { approved: true, by: "bob" });
    assert.equal(bob.status, 403);
    assert.equal(bob.json.error_code, "PERMISSION_DENIED");
    assert.match(bob.json.message, /only by alice/);
    assert.equal((await w.api("GET", `/pipelines/runs/${started.run_id}`)).json.pipeline_run.steps[2].status, "pending", "a refused answer changes nothing");
    const alice = await w.api("POST", `/pipelines/runs/${started.run_id}/approvals/approve`, { approved: true, by: "alice", comment: "looks good" });
    assert.equal(alice.status, 200, JSON.stringify(alice.json));
    assert.equal(alice.json.approval.answered_by, "alice");
    assert.equal(alice.json.approval.comment, "looks good");
    assert.ok(alice.json.approval.answered_at > 0);
    const done = await w.until(started.run_id);
    assert.equal(done.status, "succeeded");
    const logs = (await w.api("GET", `/pipelines/runs/${started.run_id}/logs?step=ship`)).json.lines;
    assert.ok(logs.some((l: any) => l.line === "approved by alice"));
    const twice = await w.api("POST", `/pipelines/runs/${started.run_id}/approvals/approve`, { approved: false, by: "alice" });
    assert.equal(twice.status, 409);
    assert.equal(twice.json.error_code, "RESOURCE_CONFLICT");
  });

  test("a rejected approval fails the run and runs nothing after it", async () => {
    const started = await w.start(proj, "gated");
    await w.until(started.run_id, ["waiting"]);
    await w.api("POST", `/pipelines/runs/${started.run_id}/approvals/approve`, { approved: false, by: "alice", comment: "not now" });
    const done = await w.until(started.run_id);
    assert.equal(done.status, "failed");
    assert.deepEqual(done.steps.map((s: any) => s.status), ["succeeded", "failed", "skipped"]);
    assert.match(done.error, /rejected by alice: not now/);
  });

  test("cancelling a run that waits for an approval takes the approval out of the inbox", async () => {
    const started = await w.start(proj, "gated");
    await w.until(started.run_id, ["waiting"]);
    const c = await w.api("POST", `/pipelines/runs/${started.run_id}/cancel`);
    assert.equal(c.json.pipeline_run.status, "cancelled");
    assert.deepEqual(c.json.pipeline_run.steps.map((s: any) => s.status), ["succeeded", "cancelled", "cancelled"]);
    const inbox = (await w.api("GET", "/pipelines/approvals?state=pending")).json.approvals;
    assert.ok(!inbox.some((a: any) => a.run_id === started.run_id));
    const late = await w.api("POST", `/pipelines/runs/${started.run_id}/approvals/approve`, { approved: true, by: "alice" });
    assert.equal(late.status, 409);
  });

  test("a train step runs an entry point with its params, logged on the step's run", async () => {
    const fit = w.project("fit", {
      "ciclo.yaml": `name: fit
entry_points:
  fit:
    parameters: { n: int, label: { type: string, default: base } }
    command: echo "fitting {n} {label}" && echo "n2=$(( {n} * 2 ))" >> "$CICLO_STEP_OUTPUTS"
pipelines:
  trained:
    inputs: { n: { type: int, default: 4 } }
    steps:
      fit:
        uses: train
        with: { entry_point: fit, params: { n: "\${{ inputs.n }}" } }
`,
    });
    const run = await w.until((await w.start(fit, "trained")).run_id);
    assert.equal(run.status, "succeeded", JSON.stringify(run));
    const step = run.steps[0];
    assert.equal(step.outputs.n2, "8");
    assert.equal(step.outputs.run_id, step.child_run_id);
    const child = await w.mlflow("GET", `/runs/get?run_id=${step.child_run_id}`);
    assert.deepEqual(Object.fromEntries(child.json.run.data.params.map((p: any) => [p.key, p.value])), { n: "4", label: "base" });
    const lines = (await w.api("GET", `/pipelines/runs/${run.run_id}/logs`)).json.lines.map((l: any) => l.line);
    assert.ok(lines.includes("fitting 4 base"));
  });

  test("a notify step posts JSON to its webhook", async () => {
    const got: any[] = [];
    const hook = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        got.push(JSON.parse(body));
        res.end("ok");
      });
    });
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`;
      const run = await w.until((await w.start(proj, "notified", { url })).run_id);
      assert.equal(run.status, "succeeded", JSON.stringify(run));
      assert.equal(got.length, 1);
      assert.equal(got[0].pipeline, "notified");
      assert.equal(got[0].run_id, run.run_id);
      assert.equal(got[0].message, "done");
    } finally {
      hook.close();
    }
  });

  test("monitoring's retraining job starts a run with the flagged window as inputs and the trigger recorded", async () => {
    const reg = await w.api("POST", "/pipelines/projects", { name: "demo", source: proj });
    assert.equal(reg.status, 200, JSON.stringify(reg.json));
    assert.ok(reg.json.pipelines.includes("retrain"));
    const defs = (await w.api("GET", "/pipelines/projects/demo/pipelines")).json.pipelines;
    const dag = defs.find((d: any) => d.name === "dag");
    assert.deepEqual(dag.steps.map((s: any) => [s.step_id, s.needs]), [["a", []], ["b", []], ["c", ["a", "b"]], ["d", ["c"]]]);
    assert.deepEqual(dag.inputs.find((i: any) => i.name === "flag"), { name: "flag", type: "bool", default: false });
    const badProject = w.project("bad-reg", { "ciclo.yaml": yaml("  p:\n    steps: {}\n") });
    const refused = await w.api("POST", "/pipelines/projects", { name: "bad", source: badProject });
    assert.equal(refused.status, 400);
    assert.match(refused.json.message, /needs at least one step/);
    assert.deepEqual((await w.api("GET", "/pipelines/projects")).json.projects.map((p: any) => p.name), ["demo"]);
    const { jobId } = await enqueueRetrain(w);
    const job = await waitFor(
      async () => (await w.api("GET", `/jobs/${jobId}`)).json.job,
      (j) => j.state === "succeeded" || j.state === "failed",
      { what: "the pipelines.run job" },
    );
    assert.equal(job.state, "succeeded", JSON.stringify(job));
    const run = await w.until(job.result.runId);
    assert.equal(run.trigger.kind, "monitor");
    assert.equal(run.trigger.detail.monitor, "churn-drift");
    assert.equal(run.inputs.window_start, 1700000000);
    assert.equal(run.inputs.model_name, "churn");
    const logs = (await w.api("GET", `/pipelines/runs/${run.run_id}/logs`)).json.lines;
    assert.ok(logs.some((l: any) => l.line === "retraining churn from 1700000000"));
  });

  test("a project from a git URI at a commit, in a subfolder; a link out of the repository is refused", async () => {
    const repo = join(w.dir, "repo");
    const git = (...args: string[]) => execFileSync("git", args, { cwd: repo, encoding: "utf8", env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" } }).trim();
    mkdirSync(join(repo, "ml"), { recursive: true });
    execFileSync("git", ["init", "--quiet", repo]);
    writeFileSync(join(repo, "ml", "ciclo.yaml"), yaml(`  hello:\n    steps:\n      say:\n        run: echo "version one"\n`));
    symlinkSync("/etc", join(repo, "out"));
    git("add", ".");
    git("commit", "--quiet", "-m", "one");
    const sha = git("rev-parse", "HEAD");
    writeFileSync(join(repo, "ml", "ciclo.yaml"), yaml(`  hello:\n    steps:\n      say:\n        run: echo "version two"\n`));
    git("commit", "--quiet", "-am", "two");
    const run = await w.until((await w.start(`file://${repo}#${sha}:ml`, "hello")).run_id);
    assert.equal(run.status, "succeeded", JSON.stringify(run));
    const lines = (await w.api("GET", `/pipelines/runs/${run.run_id}/logs`)).json.lines.map((l: any) => l.line);
    assert.ok(lines.includes("version one"), "the commit named, not the branch head");
    const out = await w.api("POST", "/pipelines/runs", { project: `file://${repo}#:out`, pipeline: "hello" });
    assert.equal(out.status, 400);
    assert.match(out.json.message, /leaves the repository/);
    const branch = git("rev-parse", "--abbrev-ref", "HEAD");
    const head = await w.until((await w.start(`file://${repo}#${branch}:ml`, "hello")).run_id);
    const headLines = (await w.api("GET", `/pipelines/runs/${head.run_id}/logs`)).json.lines.map((l: any) => l.line);
    assert.ok(headLines.includes("version two"), "a branch name: its head");
  });

  test("definition errors and bad inputs are refused with the line and column, creating nothing", async () => {
    const bad = w.project("bad", { "ciclo.yaml": yaml(`  p:\n    steps:\n      a: { uses: trian }\n`) });
    const before = (await w.mlflow("POST", "/runs/search", { experiment_ids: ["0"], max_results: 1000 })).json.runs?.length ?? 0;
    const r = await w.api("POST", "/pipelines/runs", { project: bad, pipeline: "p" });
    assert.equal(r.status, 400);
    assert.equal(r.json.error_code, "INVALID_PARAMETER_VALUE");
    assert.match(r.json.message, /ciclo\.yaml:7:18: step 'a': uses: 'trian' is not a step kind/);
    const unknownInput = await w.api("POST", "/pipelines/runs", { project: proj, pipeline: "cached", inputs: { counter: "x", nn: 1 } });
    assert.equal(unknownInput.status, 400);
    assert.match(unknownInput.json.message, /has no input 'nn'/);
    const typed = await w.api("POST", "/pipelines/runs", { project: proj, pipeline: "cached", inputs: { counter: "x", n: "many" } });
    assert.match(typed.json.message, /input 'n' is a int/);
    const missing = await w.api("POST", "/pipelines/runs", { project: proj, pipeline: "nope" });
    assert.equal(missing.status, 404);
    const relative = await w.api("POST", "/pipelines/runs", { project: "../etc", pipeline: "p" });
    assert.equal(relative.status, 400);
    const after = (await w.mlflow("POST", "/runs/search", { experiment_ids: ["0"], max_results: 1000 })).json.runs?.length ?? 0;
    assert.equal(after, before);
    assert.equal((await w.api("GET", "/pipelines/runs?pipeline=p")).json.pipeline_runs.length, 0);
    assert.equal(existsSync(join(bad, "mlruns")), false);
  });
});

async function enqueueRetrain(w: PipelineWorld): Promise<{ jobId: string }> {
  // The monitoring module's payload, as alerting.ts enqueues it (type pipelines.run).
  const { job } = await w.server.services.jobs!.service.enqueue({
    type: "pipelines.run",
    payload: {
      pipeline: "retrain",
      params: {},
      trigger: { kind: "monitor", monitor: "churn-drift", monitor_id: "m1", rule: "drift", alert_id: "a1", flagged: ["x"] },
      input: { window_start: 1700000000, window_end: 1700003600, model_name: "churn", model_version: "3", endpoint: null, deployment: null, segments: [], window_profile: null, reference_profile: null },
    },
  });
  return { jobId: job.jobId };
}
