/**
 * Durability: a server that stops while a step runs hands the step's job
 * back (its process is stopped); the next server on the same database runs
 * the step again and finishes the pipeline run. No step is lost, none is
 * left running.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startPipelineWorld, type PipelineWorld } from "../../testing/pipelines-fixture.js";
import { waitFor } from "../../testing/wait-for.js";

describe("pipeline runs across a server restart", () => {
  let w: PipelineWorld;
  before(async () => {
    w = await startPipelineWorld({}, { jobDrainMs: 200 });
  });
  after(async () => {
    await w?.close();
  });

  test("a step interrupted by a shutdown runs again on the next server", async () => {
    const counter = join(w.dir, "counter");
    writeFileSync(counter, "");
    // First time: record and hang; second time: record and finish.
    const proj = w.project("p", {
      "ciclo.yaml": `name: p\npipelines:\n  p:\n    steps:\n      long:\n        run: n=$(wc -l < ${counter}); echo x >> ${counter}; if [ "$n" -eq 0 ]; then exec sleep 60; fi; echo finished\n        cache: false\n`,
    });
    const runId = (await w.start(proj, "p")).run_id;
    await waitFor(() => readFileSync(counter, "utf8"), (t) => t === "x\n", { what: "the step to start" });
    await w.restart();
    const done = await w.until(runId, undefined, 60_000);
    assert.equal(done.status, "succeeded", JSON.stringify(done));
    assert.equal(readFileSync(counter, "utf8"), "x\nx\n", "the step ran again, once");
    assert.equal(done.steps[0].attempt, 1, "an interruption is not one of the step's attempts");
  });
});
