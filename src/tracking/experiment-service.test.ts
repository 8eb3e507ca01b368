import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { resolve } from "node:path";
import { openStores } from "../store/open-stores.js";
import type { SqlTrackingStore } from "../store/sql/tracking/sql-tracking-store.js";
import { rejectsWith } from "../store/contract/tracking-store.contract.js";
import { ExperimentService } from "./experiment-service.js";

describe("ExperimentService: client-given artifact locations", () => {
  let store: SqlTrackingStore;
  let svc: ExperimentService;
  let n = 0;
  before(async () => {
    store = (await openStores("sqlite:///:memory:", { defaultArtifactRoot: "mlflow-artifacts:/" })).tracking;
    svc = new ExperimentService(store);
  });
  after(() => store.close());

  test("keeps supported roots and makes local paths absolute file: URIs", async () => {
    for (const loc of ["s3://bucket/prefix", "file:///srv/artifacts", "mlflow-artifacts:/team/x", "gs://b/p"]) {
      const id = await svc.create(`ok-${n++}`, loc, []);
      assert.equal((await svc.get(id)).artifactLocation, loc);
    }
    const id = await svc.create(`ok-${n++}`, "./rel/artifacts", []);
    // MLflow compat (resolve_uri_if_local): a relative path becomes an absolute path, not a file: URI.
    assert.equal((await svc.get(id)).artifactLocation, resolve("./rel/artifacts"));
  });

  test("refuses traversal, other schemes, queries and control characters, creating nothing", async () => {
    const before = (await store.searchExperiments({ viewType: "ALL", orderBy: [], maxResults: 1000 })).items.length;
    for (const loc of [
      "mlflow-artifacts:/../../etc",
      "file:///tmp/x/../../etc",
      "file:///tmp/%2e%2e/etc",
      "file:///tmp/%252e%252e/etc",
      "s3://bucket/a/../b",
      "http://169.254.169.254/latest/meta-data",
      "https://example.com/artifacts",
      "ftp://host/x",
      "file:///tmp/x?a=1",
      "file:///tmp/x#frag",
      "/tmp/a\\..\\b",
      "/tmp/a\u0001b",
      "runs:/abc/model",
      "file:///tmp/%zz",
    ]) {
      await rejectsWith(svc.create(`bad-${n++}`, loc, []), "INVALID_PARAMETER_VALUE");
    }
    assert.equal((await store.searchExperiments({ viewType: "ALL", orderBy: [], maxResults: 1000 })).items.length, before);
  });
});
