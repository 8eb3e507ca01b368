/**
 * Durability: a server that stops while a step runs hands the step's job
 * back (its process is stopped); the next server on the same database runs
 * the step again and finishes the pipeline run. No step is lost, none is
 * left running.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { serverModules } from "../../modules.js";
import { resolveServerConfig } from "../../server/config.js";
import { startServer, type RunningServer } from "../../server/main.js";
import { tempDir } from "../../testing/temp-dir.js";
import { waitFor } from "../../testing/wait-for.js";
import { pipelinesModule } from "../http/pipelines-module.js";

describe("pipeline runs across a server restart", () => {
  const dir = tempDir("ciclo-pipes-restart-");
  let server: RunningServer | undefined;
  after(async () => {
    await server?.close();
    dir.remove();
  });

  const start = () => {
    const config = resolveServerConfig({
      backendStoreUri: `sqlite:///${join(dir.path, "ciclo.db")}`,
      artifactsDestination: join(dir.path, "artifacts"),
      host: "127.0.0.1",
      port: 0,
      logLevel: "silent",
      jobPollMs: 25,
      jobDrainMs: 200,
    });
    const modules = serverModules(config).map((m) => (m.id === "pipelines" ? pipelinesModule({ workDir: join(dir.path, "work"), cancelPollMs: 100 }) : m));
    return startServer(config, { modules });
  };
  const get = async (runId: string) => ((await (await fetch(`${server!.url}/api/ciclo/v1/pipelines/runs/${runId}`)).json()) as { pipeline_run: { status: string; steps: Array<{ name: string; status: string; attempt?: number }> } }).pipeline_run;

  test("a step interrupted by a shutdown runs again on the next server", async () => {
    const proj = join(dir.path, "proj");
    const counter = join(dir.path, "counter");
    mkdirSync(proj);
    writeFileSync(counter, "");
    // First time: record and hang; second time: record and finish.
    writeFileSync(
      join(proj, "ciclo.yaml"),
      `name: p\npipelines:\n  p:\n    steps:\n      long:\n        run: n=$(wc -l < ${counter}); echo x >> ${counter}; if [ "$n" -eq 0 ]; then exec sleep 60; fi; echo finished\n        cache: false\n`,
    );
    server = await start();
    const res = await fetch(`${server.url}/api/ciclo/v1/pipelines/runs`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ project: proj, pipeline: "p" }) });
    assert.equal(res.status, 200);
    const runId = ((await res.json()) as any).pipeline_run.run_id;
    await waitFor(() => readFileSync(counter, "utf8"), (t) => t === "x\n", { what: "the step to start" });
    await server.close();
    server = undefined;
    assert.equal(readFileSync(counter, "utf8"), "x\n");

    server = await start();
    const done = await waitFor(() => get(runId), (r) => r.status === "succeeded" || r.status === "failed", { what: "the run to finish on the second server", timeoutMs: 60_000 });
    assert.equal(done.status, "succeeded", JSON.stringify(done));
    assert.equal(readFileSync(counter, "utf8"), "x\nx\n", "the step ran again, once");
    assert.equal(done.steps[0].attempt, 1, "an interruption is not one of the step's attempts");
  });
});
