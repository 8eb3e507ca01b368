/**
 * Trace filters on a tag, a metadata value or a run read an index, not every
 * trace carrying the key: the query plans of the conditions searches compile,
 * on SQLite and PostgreSQL (after ANALYZE, over 4,000 traces, each value of a
 * tag, a metadata key or a linked run shared by four of them).
 */
import assert from "node:assert/strict";
import { describe } from "node:test";
import { sql } from "kysely";
import { parseFilter } from "../../../shared/filter/filter-parser.js";
import { TRACE_SEARCH_SPEC } from "../../../tracking/traces/trace-search-spec.js";
import { backendTests } from "../../../testing/backend-tests.js";
import { openTestStores, type TestStores } from "../../../testing/store-backends.js";
import { SqlTraceStore } from "./sql-trace-store.js";
import { traceFilterCondition } from "./trace-search.js";

const N = 4000;

for (const backend of ["sqlite", "postgres"] as const) {
  describe(`trace filter plans: ${backend}`, () => {
    let exp = "";
    const it = backendTests<TestStores>({
      open: () => openTestStores(backend),
      close: (b) => b.cleanup(),
      unavailable: `${backend} unavailable`,
      async ready(b) {
        exp = await b.stores.tracking.createExperiment({ name: "plans", tags: [] });
        const traces = new SqlTraceStore(b.stores.connection);
        await Promise.all(
          Array.from({ length: N }, (_, i) =>
            traces.startTrace({
              traceId: `tr-p${i}`,
              experimentId: exp,
              clientRequestId: null,
              requestTime: i,
              executionDuration: 1,
              state: "OK",
              requestPreview: null,
              responsePreview: null,
              metadata: { "mlflow.sourceRun": `run${i % 1000}` },
              tags: { topic: `t${i % 1000}`, "mlflow.traceName": "chat" },
              assessments: [],
            }),
          ),
        );
        for (let r = 0; r < 500; r++) await traces.linkTracesToRun([0, 1, 2, 3].map((k) => `tr-p${r + 500 * k}`), `lrun${r}`, 1);
        await sql`analyze`.execute(b.stores.connection.db);
      },
    });

    const plan = async (b: TestStores, filter: string): Promise<string> => {
      const cond = traceFilterCondition(parseFilter(filter, TRACE_SEARCH_SPEC)!, backend === "postgres");
      const explain = backend === "sqlite" ? sql`explain query plan` : sql`explain`;
      const rows = await sql<Record<string, unknown>>`${explain} select t.request_id from trace_info t where t.experiment_id = ${Number(exp)} and ${cond}`.execute(b.stores.connection.db);
      return rows.rows.map((r) => String(r.detail ?? r["QUERY PLAN"])).join("\n");
    };

    it("a tag equality reads the (key, value) index", async (b) => {
      const p = await plan(b, "tags.topic = 't7'");
      assert.match(p, backend === "sqlite" ? /trace_tags_key_value/ : /trace_tags_key_value_prefix/, p);
    });

    it("a metadata equality reads the (key, value) index", async (b) => {
      const p = await plan(b, "request_metadata.`mlflow.sourceRun` = 'run7'");
      assert.match(p, backend === "sqlite" ? /trace_request_metadata_key_value/ : /trace_request_metadata_key_value_prefix/, p);
    });

    it("run_id reads the metadata index and the links' primary key", async (b) => {
      const p = await plan(b, "run_id = 'lrun7'");
      assert.match(p, backend === "sqlite" ? /trace_request_metadata_key_value/ : /trace_request_metadata_key_value_prefix/, p);
      assert.match(p, backend === "sqlite" ? /SEARCH l USING PRIMARY KEY \(run_id=\?\)/ : /(Bitmap )?Index (Only )?Scan (using|on) trace_run_links_pk/, p);
    });
  });
}
