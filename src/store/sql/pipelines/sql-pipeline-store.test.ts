/**
 * The pipeline store's resume on both backends: a resumed run keeps the time it spent running before
 * (each stretch from its start to its end, summed) and when it was started again, so its "took" leaves out the
 * time it sat failed; a run that is not in one of the given states is left alone.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { PipelineSpec } from "../../../pipelines/definition/pipeline-spec.js";
import { openStores } from "../../open-stores.js";
import { migrationSequence } from "../../migrations/migrator.js";
import { createTestDatabase, postgresUnavailable } from "../../../testing/postgres-fixture.js";
import { tempDir } from "../../../testing/temp-dir.js";
import { pipelineResumeMigration } from "./pipeline-resume-migration.js";
import { pipelinesMigration } from "./pipelines-migration.js";
import { SqlPipelineStore } from "./sql-pipeline-store.js";

const migrations = migrationSequence([{ id: "pipelines", migrations: [pipelinesMigration, pipelineResumeMigration] }]);

async function open(backend: "sqlite" | "postgres") {
  if (backend === "sqlite") {
    const dir = tempDir();
    const stores = await openStores(`sqlite:///${dir.path}/ciclo.db`, { defaultArtifactRoot: "mlflow-artifacts:/", migrations });
    return { stores, cleanup: async () => (await stores.tracking.close(), dir.remove()) };
  }
  if (await postgresUnavailable()) return undefined;
  const db = await createTestDatabase();
  const stores = await openStores(db.uri, { defaultArtifactRoot: "s3://bucket/root", migrations });
  return { stores, cleanup: async () => (await stores.tracking.close(), await db.drop()) };
}

for (const backend of ["sqlite", "postgres"] as const) {
  describe(`pipeline store, ${backend}`, () => {
    test("resume: the earlier stretches' running time is kept, the time it sat failed is not", async (t) => {
      const opened = await open(backend);
      if (!opened) return t.skip("postgres unavailable");
      let now = 1_000_000;
      const store = new SqlPipelineStore(opened.stores.connection, () => now);
      try {
        const base = { pipeline: "train", project: "p", projectDir: "/p", experimentId: "0", spec: { steps: [], order: ["train"] } as unknown as PipelineSpec, inputs: {}, trigger: { kind: "manual" as const }, noCache: false };
        await store.createRun({ ...base, runId: "r1", status: "running" });
        now += 5_000; // ran 5 s, failed
        assert.equal(await store.setRunStatus("r1", "failed", "boom"), true);
        now += 3_600_000; // sat failed an hour
        assert.equal(await store.resumeRun("r1", ["running"]), false, "not resumed from a state it is not in");
        assert.equal(await store.resumeRun("r1", ["failed", "cancelled"]), true);
        let run = (await store.getRun("r1"))!;
        assert.deepEqual([run.status, run.error, run.finishedAt, run.resumedAt, run.earlierRunMs], ["running", null, null, now, 5_000]);
        now += 2_000; // ran 2 s more, failed again; resumed a minute later
        await store.setRunStatus("r1", "failed", "again");
        now += 60_000;
        assert.equal(await store.resumeRun("r1", ["failed"]), true);
        run = (await store.getRun("r1"))!;
        assert.deepEqual([run.resumedAt, run.earlierRunMs], [now, 7_000]);
        assert.equal(typeof run.earlierRunMs, "number");
      } finally {
        await opened.cleanup();
      }
    });
  });
}
