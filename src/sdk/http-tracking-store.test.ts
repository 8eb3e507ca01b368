/**
 * The TrackingStore contract against the SDK's REST-backed store: a live
 * ciclo server on a loopback port (SQLite behind), reached over real HTTP.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { resolveServerConfig } from "../server/config.js";
import { startServer } from "../server/main.js";
import { runTrackingStoreContract } from "../store/contract/tracking-store.contract.js";
import { tempDir } from "../testing/temp-dir.js";
import { filterToString, orderByToStrings } from "./filter-serializer.js";
import { parseFilter, parseOrderBy } from "../tracking/search/filter-parser.js";
import { RUN_SEARCH_SPEC } from "../tracking/search/search-specs.js";
import { HttpTrackingStore } from "./http-tracking-store.js";

runTrackingStoreContract("sdk http (live server, sqlite)", async () => {
  const dir = tempDir("ciclo-sdk-store-");
  const config = resolveServerConfig({
    backendStoreUri: `sqlite:///${join(dir.path, "ciclo.db")}`,
    artifactsDestination: join(dir.path, "artifacts"),
    host: "127.0.0.1",
    port: 0,
    logLevel: "silent",
  });
  const server = await startServer(config);
  const store = new HttpTrackingStore({ trackingUri: server.url, env: {}, retry: { maxAttempts: 1 } });
  return {
    store,
    artifactRoot: config.defaultArtifactRoot,
    async cleanup() {
      await store.close();
      await server.close();
      dir.remove();
    },
  };
});

test("filters and order_by survive the text round trip", () => {
  const filters = [
    "metrics.`val loss` <= 0.31 AND params.lr != 'it''s'",
    "params.lr = '0.001' OR (tags.model = 'cnn' AND metrics.acc > -1e-7)",
    "attributes.run_id NOT IN ('a', 'b') AND tags.`we``ird` IS NOT NULL",
    "datasets.context = 'train' OR (status = 'FINISHED' AND (run_name LIKE 'r_' OR start_time > 2500.5))",
  ];
  for (const f of filters) {
    const ast = parseFilter(f, RUN_SEARCH_SPEC);
    assert.deepEqual(parseFilter(filterToString(ast), RUN_SEARCH_SPEC), ast, f);
  }
  const order = parseOrderBy(["metrics.`val loss` DESC", "start_time", "experiment_id DESC"], RUN_SEARCH_SPEC);
  assert.deepEqual(parseOrderBy(orderByToStrings(order), RUN_SEARCH_SPEC), order);
  assert.equal(filterToString(undefined), "");
});
