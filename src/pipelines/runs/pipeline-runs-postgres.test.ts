/**
 * The pipelines engine on PostgreSQL: its store's conditional updates,
 * log sequence and cache lookup on the other backend. Two independent steps
 * run at once, a third reads their outputs, a rerun is a cache hit, and an
 * approval gate waits and continues. Skips with the reason printed when
 * PostgreSQL is unreachable (fails under CICLO_REQUIRE_ALL=1).
 */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startPipelineWorld, type PipelineWorld } from "../../testing/pipelines-fixture.js";
import { createTestDatabase, postgresUnavailable, type PgDatabase } from "../../testing/postgres-fixture.js";

const unavailable = await postgresUnavailable();

describe("pipeline runs on PostgreSQL", { skip: unavailable }, () => {
  let db: PgDatabase;
  let w: PipelineWorld;
  let proj: string;
  before(async () => {
    db = await createTestDatabase();
    w = await startPipelineWorld({}, db.uri);
    proj = w.project("pg", {
      "ciclo.yaml": `name: pg
pipelines:
  both:
    inputs: { marks: string }
    steps:
      a:
        run: touch \${{ inputs.marks }}/a; for i in $(seq 1 400); do [ -e \${{ inputs.marks }}/b ] && break; sleep 0.05; done; [ -e \${{ inputs.marks }}/b ] && echo "x=1" >> "$CICLO_STEP_OUTPUTS"
      b:
        run: touch \${{ inputs.marks }}/b; for i in $(seq 1 400); do [ -e \${{ inputs.marks }}/a ] && break; sleep 0.05; done; [ -e \${{ inputs.marks }}/a ] && echo "y=2" >> "$CICLO_STEP_OUTPUTS"
      gate:
        uses: approve
        needs: [a, b]
      c:
        needs: [gate, a, b]
        run: echo "sum=$(( \${{ steps.a.outputs.x }} + \${{ steps.b.outputs.y }} ))" >> "$CICLO_STEP_OUTPUTS"
`,
    });
  });
  after(async () => {
    await w?.close();
    await db?.drop();
  });

  test("parallel steps, an approval, outputs, logs and a cache hit", async () => {
    const marks = join(w.dir, "marks");
    mkdirSync(marks);
    const first = await w.start(proj, "both", { marks });
    await w.until(first.run_id, ["waiting"]);
    const ok = await w.api("POST", `/pipelines/runs/${first.run_id}/approvals/gate`, { approved: true, by: "carol" });
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    const done = await w.until(first.run_id);
    assert.equal(done.status, "succeeded", JSON.stringify(done));
    assert.equal(done.steps.find((s: any) => s.step_id === "c").outputs.sum, "3");
    const logs = (await w.api("GET", `/pipelines/runs/${first.run_id}/logs`)).json.lines;
    const seqs = logs.map((l: any) => l.seq);
    assert.deepEqual(seqs, [...seqs].sort((x: number, y: number) => x - y), "log lines in sequence order");
    assert.ok(logs.some((l: any) => /carol/.test(l.line)));

    const second = await w.start(proj, "both", { marks });
    await w.until(second.run_id, ["waiting"]);
    const view = (await w.api("GET", `/pipelines/runs/${second.run_id}`)).json.pipeline_run;
    assert.deepEqual(view.steps.map((s: any) => s.status), ["cached", "cached", "waiting", "pending"]);
    await w.api("POST", `/pipelines/runs/${second.run_id}/approvals/gate`, { approved: true, by: "carol" });
    const again = await w.until(second.run_id);
    assert.equal(again.steps.find((s: any) => s.step_id === "c").status, "cached");
  });
});
