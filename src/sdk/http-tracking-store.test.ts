/**
 * The TrackingStore contract against the SDK's REST-backed store: a live
 * ciclo server on a loopback port (SQLite behind), reached over real HTTP.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runTrackingStoreContract } from "../store/contract/tracking-store.contract.js";
import { startLiveTrackingServer } from "../testing/live-tracking-server.js";
import { filterToString, orderByToStrings } from "./filter-serializer.js";
import { parseFilter, parseOrderBy } from "../shared/filter/filter-parser.js";
import { RUN_SEARCH_SPEC } from "../tracking/search-specs.js";
import { HttpTrackingStore } from "./http-tracking-store.js";

runTrackingStoreContract("sdk http (live server, sqlite)", async () => {
  const live = await startLiveTrackingServer();
  const store = new HttpTrackingStore({ trackingUri: live.url, env: {}, retry: { maxAttempts: 1 } });
  return {
    store,
    artifactRoot: live.artifactRoot,
    async cleanup() {
      await store.close();
      await live.close();
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
