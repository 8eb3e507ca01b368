/**
 * The experiments part of the TrackingStore contract: create, get, rename,
 * delete/restore, tags, search with filters, order and pages.
 */
import assert from "node:assert/strict";
import { before, describe } from "node:test";
import { parseFilter, parseOrderBy } from "../../shared/filter/filter-parser.js";
import { EXPERIMENT_SEARCH_SPEC } from "../../tracking/search-specs.js";
import type { ViewType } from "../../shared/types.js";
import type { TrackingStore } from "../../tracking/tracking-store.js";
import type { ContractContext } from "./contract-context.js";
import { rejectsWith } from "./tracking-store.contract.js";

export function describeExperiments(ctx: ContractContext): void {
  const { uniq, newRun, names, it } = ctx;
  let s: TrackingStore;
  before(() => {
    if (ctx.available()) s = ctx.store();
  });
  describe("experiments", () => {
    it("has the default experiment 0 named Default", async () => {
      const e = await s.getExperiment("0");
      assert.equal(e.name, "Default");
      assert.equal(e.lifecycleStage, "active");
      assert.ok(e.artifactLocation.endsWith("0"));
      assert.equal((await s.getExperimentByName("Default")).experimentId, "0");
    });

    it("creates, reads and tags an experiment", async () => {
      const name = uniq("exp");
      const id = await s.createExperiment({ name, tags: [{ key: "team", value: "vision" }] });
      assert.match(id, /^\d+$/);
      const e = await s.getExperiment(id);
      assert.equal(e.name, name);
      assert.equal(e.artifactLocation, `${ctx.artifactRoot().replace(/\/$/, "")}/${id}`.replace("mlflow-artifacts:", "mlflow-artifacts:"));
      assert.deepEqual(e.tags, [{ key: "team", value: "vision" }]);
      assert.ok(e.creationTime > 0 && e.lastUpdateTime >= e.creationTime);
      await s.setExperimentTag(id, { key: "team", value: "nlp" });
      await s.setExperimentTag(id, { key: "owner", value: "bob" });
      assert.deepEqual((await s.getExperiment(id)).tags, [
        { key: "owner", value: "bob" },
        { key: "team", value: "nlp" },
      ]);
      await s.deleteExperimentTag(id, "owner");
      assert.deepEqual((await s.getExperiment(id)).tags, [{ key: "team", value: "nlp" }]);
      await rejectsWith(s.deleteExperimentTag(id, "owner"), "RESOURCE_DOES_NOT_EXIST", /No tag with name: owner/);
    });

    it("keeps an explicit artifact location", async () => {
      const id = await s.createExperiment({ name: uniq("loc"), artifactLocation: "s3://bucket/path", tags: [] });
      assert.equal((await s.getExperiment(id)).artifactLocation, "s3://bucket/path");
      const run = await newRun(id);
      assert.equal(run.info.artifactUri, `s3://bucket/path/${run.info.runId}/artifacts`);
    });

    it("refuses duplicate names, even of deleted experiments", async () => {
      const name = uniq("dup");
      const id = await s.createExperiment({ name, tags: [] });
      await rejectsWith(s.createExperiment({ name, tags: [] }), "RESOURCE_ALREADY_EXISTS", /already exists/);
      await s.deleteExperiment(id);
      await rejectsWith(s.createExperiment({ name, tags: [] }), "RESOURCE_ALREADY_EXISTS", /deleted state/);
    });

    it("reports unknown experiments", async () => {
      await rejectsWith(s.getExperiment("987654321"), "RESOURCE_DOES_NOT_EXIST", /No Experiment with id=987654321 exists/);
      await rejectsWith(s.getExperiment("abc"), "RESOURCE_DOES_NOT_EXIST");
      await rejectsWith(s.getExperimentByName(uniq("nope")), "RESOURCE_DOES_NOT_EXIST", /Could not find experiment with name/);
    });

    it("renames, refusing taken names and deleted experiments", async () => {
      const a = await s.createExperiment({ name: uniq("a"), tags: [] });
      const bName = uniq("b");
      await s.createExperiment({ name: bName, tags: [] });
      const newName = uniq("renamed");
      await s.renameExperiment(a, newName);
      assert.equal((await s.getExperiment(a)).name, newName);
      assert.equal((await s.getExperimentByName(newName)).experimentId, a);
      await rejectsWith(s.renameExperiment(a, bName), "RESOURCE_ALREADY_EXISTS");
      await s.deleteExperiment(a);
      await rejectsWith(s.renameExperiment(a, uniq("x")), "INVALID_STATE");
    });

    it("deletes and restores an experiment with the runs it deleted", async () => {
      const id = await s.createExperiment({ name: uniq("life"), tags: [] });
      const keep = await newRun(id, "keep");
      const before = await newRun(id, "deleted-before");
      await s.deleteRun(before.info.runId);
      await s.deleteExperiment(id);
      assert.equal((await s.getExperiment(id)).lifecycleStage, "deleted");
      assert.equal((await s.getRun(keep.info.runId)).info.lifecycleStage, "deleted");
      await rejectsWith(s.deleteExperiment(id), "RESOURCE_DOES_NOT_EXIST");
      await rejectsWith(newRun(id), "INVALID_PARAMETER_VALUE", /must be in the 'active' state/);
      await s.restoreExperiment(id);
      assert.equal((await s.getRun(keep.info.runId)).info.lifecycleStage, "active");
      assert.equal((await s.getRun(before.info.runId)).info.lifecycleStage, "deleted");
      await rejectsWith(s.restoreExperiment(id), "RESOURCE_DOES_NOT_EXIST");
      await rejectsWith(s.deleteExperiment("0"), "INVALID_PARAMETER_VALUE", /default experiment/);
    });

    it("searches experiments with filters, view types, order and pages", async () => {
      const prefix = uniq("srch");
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push(await s.createExperiment({ name: `${prefix}-${i}`, tags: [{ key: "kind", value: i % 2 ? "odd" : "even" }] }));
      }
      await s.deleteExperiment(ids[4]);
      const search = (filter: string | undefined, viewType: ViewType = "ACTIVE_ONLY", orderBy?: string[], maxResults = 100, pageToken?: string) =>
        s.searchExperiments({
          filter: parseFilter(filter, EXPERIMENT_SEARCH_SPEC),
          orderBy: parseOrderBy(orderBy, EXPERIMENT_SEARCH_SPEC),
          viewType,
          maxResults,
          pageToken,
        });
      const like = `name LIKE '${prefix}-%'`;
      assert.equal((await search(like)).items.length, 4);
      assert.equal((await search(like, "ALL")).items.length, 5);
      assert.deepEqual((await search(like, "DELETED_ONLY")).items.map((e) => e.experimentId), [ids[4]]);
      assert.equal((await search(`name LIKE '${prefix.toUpperCase()}-%'`)).items.length, 0, "LIKE is case-sensitive");
      assert.equal((await search(`name ILIKE '${prefix.toUpperCase()}-%'`)).items.length, 4);
      assert.deepEqual(
        (await search(`${like} AND tags.kind = 'odd'`, "ALL", ["name DESC"])).items.map((e) => e.name),
        [`${prefix}-3`, `${prefix}-1`],
      );
      assert.deepEqual(
        (await search(`${like} AND (tags.kind = 'odd' OR name = '${prefix}-0')`, "ACTIVE_ONLY", ["name"])).items.map((e) => e.name),
        [`${prefix}-0`, `${prefix}-1`, `${prefix}-3`],
      );
      // Default order: newest first, ties by id.
      const dflt = (await search(like)).items;
      for (let i = 1; i < dflt.length; i++) {
        const [a, b] = [dflt[i - 1], dflt[i]];
        assert.ok(a.creationTime > b.creationTime || (a.creationTime === b.creationTime && Number(a.experimentId) < Number(b.experimentId)));
      }
      const seen: string[] = [];
      let token: string | undefined;
      do {
        const page = await search(like, "ALL", ["name ASC"], 2, token);
        assert.ok(page.items.length <= 2);
        seen.push(...page.items.map((e) => e.name));
        token = page.nextPageToken;
      } while (token);
      assert.deepEqual(seen, [0, 1, 2, 3, 4].map((i) => `${prefix}-${i}`));
      await rejectsWith(search(like, "ALL", ["name ASC"], 2, "not-a-token"), "INVALID_PARAMETER_VALUE", /page token/i);
      const firstPage = await search(like, "ALL", undefined, 2);
      const tokenBody = JSON.parse(Buffer.from(firstPage.nextPageToken!, "base64url").toString()) as { k: unknown[] };
      for (const k of [["not-a-time", 1], [1e20, 1], [1, "x"]]) {
        const forged = Buffer.from(JSON.stringify({ ...tokenBody, k })).toString("base64url");
        await rejectsWith(search(like, "ALL", undefined, 2, forged), "INVALID_PARAMETER_VALUE", /page token/i);
      }
    });
  });
}
