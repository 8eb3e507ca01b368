/**
 * The RegistryStore contract: one suite, run against every backend (SQLite,
 * PostgreSQL) by the backends' own test files.
 * @module
 */
import assert from "node:assert/strict";
import { before, describe } from "node:test";
import { MODEL_VERSION_SEARCH_SPEC, REGISTERED_MODEL_SEARCH_SPEC } from "../../registry/registry-search-specs.js";
import type { ModelVersion } from "../../shared/registry-types.js";
import { parseFilter, parseOrderBy } from "../../shared/filter/filter-parser.js";
import type { CreateModelVersionInput, RegistryStore } from "../../registry/registry-store.js";
import { rejectsWith } from "./tracking-store.contract.js";
import { contractTests } from "../../testing/backend-tests.js";

export interface RegistryStoreFixture {
  store: RegistryStore;
  cleanup(): Promise<void>;
}

export function runRegistryStoreContract(name: string, make: () => Promise<RegistryStoreFixture | undefined>): void {
  describe(`RegistryStore contract: ${name}`, () => {
    let fx: RegistryStoreFixture | undefined;
    let s: RegistryStore;
    let n = 0;
    const uniq = (p: string) => `${p}-${n++}`;
    const version = (model: string, extra: Partial<CreateModelVersionInput> = {}) =>
      s.createModelVersion(
        {
          name: model,
          source: `mlflow-artifacts:/1/${"a".repeat(32)}/artifacts/model`,
          storageLocation: null,
          runId: null,
          runLink: null,
          description: null,
          modelId: null,
          tags: [],
          ...extra,
        },
        "alice",
      );
    const model = async (p = "m", tags: Array<{ key: string; value: string }> = []) =>
      (await s.createRegisteredModel({ name: uniq(p), description: null, tags }, "alice")).name;
    const nums = (vs: ModelVersion[]) => vs.map((v) => v.version);

    const it = contractTests(name, make, (f) => {
      fx = f;
      s = f.store;
    });

    describe("registered models", () => {
      it("creates and reads a model with tags; a second create of the name fails and changes nothing", async () => {
        const before = Date.now();
        const m = await s.createRegisteredModel({ name: uniq("create"), description: "first", tags: [{ key: "team", value: "cv" }] }, "alice");
        assert.ok(m.creationTimestamp >= before && m.creationTimestamp <= Date.now());
        assert.equal(m.lastUpdatedTimestamp, m.creationTimestamp);
        assert.deepEqual(m.tags, [{ key: "team", value: "cv" }]);
        assert.deepEqual(m.latestVersions, []);
        assert.deepEqual(m.aliases, []);
        await rejectsWith(
          s.createRegisteredModel({ name: m.name, description: "second", tags: [] }, "bob"),
          "RESOURCE_ALREADY_EXISTS",
          new RegExp(`^Registered Model \\(name=${m.name}\\) already exists\\.$`),
        );
        assert.deepEqual(await s.getRegisteredModel(m.name), m);
      });

      it("an unknown model is RESOURCE_DOES_NOT_EXIST with MLflow's message", async () => {
        await rejectsWith(s.getRegisteredModel("no-such-model"), "RESOURCE_DOES_NOT_EXIST", /^Registered Model with name=no-such-model not found$/);
        await rejectsWith(s.deleteRegisteredModel("no-such-model", null), "RESOURCE_DOES_NOT_EXIST");
      });

      it("numbers versions from a per-model counter and never reuses a deleted number", async () => {
        const m = await model();
        assert.deepEqual(nums([await version(m), await version(m), await version(m)]), ["1", "2", "3"]);
        await s.deleteModelVersion(m, "3", "alice");
        await s.deleteModelVersion(m, "2", "alice");
        assert.equal((await version(m)).version, "4");
        await rejectsWith(s.getModelVersion(m, "3"), "RESOURCE_DOES_NOT_EXIST", new RegExp(`^Model Version \\(name=${m}, version=3\\) not found$`));
      });

      it("concurrent creates get distinct, consecutive numbers", async () => {
        const m = await model();
        const created = await Promise.all(Array.from({ length: 12 }, () => version(m)));
        assert.deepEqual(nums(created).map(Number).sort((a, b) => a - b), Array.from({ length: 12 }, (_, i) => i + 1));
      });

      it("rename moves versions, tags and aliases; a taken name is refused and nothing changes", async () => {
        const m = await model("ren", [{ key: "k", value: "v" }]);
        await version(m);
        await s.setRegisteredModelAlias(m, "champion", "1", null);
        const renamed = await s.renameRegisteredModel(m, `${m}-new`, "bob");
        assert.equal(renamed.name, `${m}-new`);
        assert.deepEqual(renamed.tags, [{ key: "k", value: "v" }]);
        assert.deepEqual(renamed.aliases, [{ alias: "champion", version: "1" }]);
        assert.equal((await s.getModelVersion(`${m}-new`, "1")).name, `${m}-new`);
        await rejectsWith(s.getRegisteredModel(m), "RESOURCE_DOES_NOT_EXIST");
        const other = await model("other");
        await rejectsWith(s.renameRegisteredModel(other, `${m}-new`, null), "RESOURCE_ALREADY_EXISTS");
        assert.equal((await s.getRegisteredModel(other)).name, other);
        assert.deepEqual(await s.getRegisteredModel(`${m}-new`), renamed);
      });

      it("update sets and clears the description and bumps last_updated_timestamp", async () => {
        const m = await model();
        const created = await s.getRegisteredModel(m);
        const updated = await s.updateRegisteredModel(m, "a description", null);
        assert.equal(updated.description, "a description");
        assert.ok(updated.lastUpdatedTimestamp >= created.lastUpdatedTimestamp);
        assert.equal((await s.updateRegisteredModel(m, null, null)).description, null);
      });

      it("delete removes versions, tags and aliases; the name can be registered again from version 1", async () => {
        const m = await model("del", [{ key: "k", value: "v" }]);
        await version(m, { tags: [{ key: "vk", value: "vv" }] });
        await version(m);
        await s.setRegisteredModelAlias(m, "a", "2", null);
        await s.deleteRegisteredModel(m, "alice");
        await rejectsWith(s.getRegisteredModel(m), "RESOURCE_DOES_NOT_EXIST");
        await rejectsWith(s.getModelVersion(m, "1"), "RESOURCE_DOES_NOT_EXIST");
        const again = await s.createRegisteredModel({ name: m, description: null, tags: [] }, null);
        assert.deepEqual(again.tags, []);
        assert.deepEqual(again.aliases, []);
        assert.equal((await version(m)).version, "1");
        assert.deepEqual((await s.getModelVersion(m, "1")).tags, []);
      });

      it("tags upsert and delete; deleting an absent tag succeeds", async () => {
        const m = await model();
        await s.setRegisteredModelTag(m, { key: "b", value: "1" }, null);
        await s.setRegisteredModelTag(m, { key: "a", value: "x" }, null);
        await s.setRegisteredModelTag(m, { key: "b", value: "2" }, null);
        assert.deepEqual((await s.getRegisteredModel(m)).tags, [{ key: "a", value: "x" }, { key: "b", value: "2" }]);
        await s.deleteRegisteredModelTag(m, "a", null);
        await s.deleteRegisteredModelTag(m, "a", null);
        assert.deepEqual((await s.getRegisteredModel(m)).tags, [{ key: "b", value: "2" }]);
        await rejectsWith(s.setRegisteredModelTag("no-such-model", { key: "a", value: "b" }, null), "RESOURCE_DOES_NOT_EXIST");
      });
    });

    describe("model versions", () => {
      it("a created version is READY in stage None with its source, run and tags", async () => {
        const m = await model();
        const v = await version(m, {
          runId: "b".repeat(32),
          runLink: "http://x/run",
          description: "d",
          modelId: "m-0123",
          tags: [{ key: "t", value: "1" }],
        });
        assert.equal(v.status, "READY");
        assert.equal(v.currentStage, "None");
        assert.equal(v.runId, "b".repeat(32));
        assert.equal(v.modelId, "m-0123");
        assert.equal(v.userId, "alice");
        assert.deepEqual(v.tags, [{ key: "t", value: "1" }]);
        assert.deepEqual(await s.getModelVersion(m, "1"), v);
        // Creating a version bumps the model's last_updated_timestamp.
        assert.equal((await s.getRegisteredModel(m)).lastUpdatedTimestamp, v.creationTimestamp);
        await rejectsWith(version("no-such-model"), "RESOURCE_DOES_NOT_EXIST");
      });

      it("bad version strings are simply not found", async () => {
        const m = await model();
        await version(m);
        for (const bad of ["01x", "-1", "99999999999", "1.0", ""]) await rejectsWith(s.getModelVersion(m, bad), "RESOURCE_DOES_NOT_EXIST");
      });

      it("the download URI is the storage location when one was recorded, else the source", async () => {
        const m = await model();
        await version(m, { source: "runs:/abc/model", storageLocation: "s3://b/1/abc/artifacts/model" });
        await version(m, { source: "s3://b/1/abc/artifacts/other" });
        assert.equal(await s.getModelVersionDownloadUri(m, "1"), "s3://b/1/abc/artifacts/model");
        assert.equal(await s.getModelVersionDownloadUri(m, "2"), "s3://b/1/abc/artifacts/other");
        assert.equal((await s.getModelVersion(m, "1")).source, "runs:/abc/model");
      });

      it("transitions stages; archive_existing moves the others in the target stage to Archived", async () => {
        const m = await model();
        for (let i = 0; i < 4; i++) await version(m);
        await s.transitionModelVersionStage(m, "1", "Production", false, null);
        await s.transitionModelVersionStage(m, "2", "Production", false, null);
        await s.transitionModelVersionStage(m, "3", "Staging", false, null);
        const moved = await s.transitionModelVersionStage(m, "4", "Production", true, null);
        assert.equal(moved.currentStage, "Production");
        const stages = await Promise.all(["1", "2", "3"].map(async (v) => (await s.getModelVersion(m, v)).currentStage));
        assert.deepEqual(stages, ["Archived", "Archived", "Staging"]);
        const latest = (await s.getRegisteredModel(m)).latestVersions.map((v) => [v.version, v.currentStage]);
        assert.deepEqual(latest, [["2", "Archived"], ["3", "Staging"], ["4", "Production"]]);
        assert.deepEqual(nums(await s.getLatestVersions(m, ["Production"])), ["4"]);
        assert.deepEqual(nums(await s.getLatestVersions(m, ["Staging", "None"])), ["3"]);
        assert.deepEqual(nums(await s.getLatestVersions(m, [])), ["2", "3", "4"]);
      });

      it("version tags upsert and delete; update sets the description", async () => {
        const m = await model();
        await version(m);
        await s.setModelVersionTag(m, "1", { key: "k", value: "1" }, null);
        await s.setModelVersionTag(m, "1", { key: "k", value: "2" }, null);
        assert.deepEqual((await s.getModelVersion(m, "1")).tags, [{ key: "k", value: "2" }]);
        await s.deleteModelVersionTag(m, "1", "k", null);
        await s.deleteModelVersionTag(m, "1", "k", null);
        assert.deepEqual((await s.getModelVersion(m, "1")).tags, []);
        assert.equal((await s.updateModelVersion(m, "1", "better", null)).description, "better");
        await rejectsWith(s.setModelVersionTag(m, "9", { key: "k", value: "v" }, null), "RESOURCE_DOES_NOT_EXIST");
      });
    });

    describe("aliases", () => {
      it("set, move, resolve and delete; both entities list them", async () => {
        const m = await model();
        await version(m);
        await version(m);
        await s.setRegisteredModelAlias(m, "champion", "1", null);
        await s.setRegisteredModelAlias(m, "challenger", "1", null);
        assert.deepEqual((await s.getModelVersion(m, "1")).aliases, ["challenger", "champion"]);
        await s.setRegisteredModelAlias(m, "champion", "2", null);
        const byAlias = await s.getModelVersionByAlias(m, "champion");
        assert.equal(byAlias.version, "2");
        assert.deepEqual(byAlias.aliases, ["champion"]);
        assert.deepEqual((await s.getRegisteredModel(m)).aliases, [
          { alias: "challenger", version: "1" },
          { alias: "champion", version: "2" },
        ]);
        await s.deleteRegisteredModelAlias(m, "challenger", null);
        await s.deleteRegisteredModelAlias(m, "challenger", null);
        await rejectsWith(s.getModelVersionByAlias(m, "challenger"), "INVALID_PARAMETER_VALUE", /^Registered model alias challenger not found\.$/);
        await rejectsWith(s.setRegisteredModelAlias(m, "x", "7", null), "RESOURCE_DOES_NOT_EXIST");
      });

      it("deleting a version removes the aliases that pointed at it", async () => {
        const m = await model();
        await version(m);
        await s.setRegisteredModelAlias(m, "gone", "1", null);
        await s.deleteModelVersion(m, "1", null);
        assert.deepEqual((await s.getRegisteredModel(m)).aliases, []);
        await version(m);
        await rejectsWith(s.getModelVersionByAlias(m, "gone"), "INVALID_PARAMETER_VALUE");
      });
    });

    describe("search", () => {
      const prefix = `srch${Date.now() % 100000}`;
      const names = [`${prefix}-alpha`, `${prefix}-beta`, `${prefix}-Gamma`, `${prefix}-delta`];
      const searchModels = (filter?: string, orderBy?: string[], maxResults = 100, pageToken?: string, excludePrompts = true) =>
        s.searchRegisteredModels({
          filter: parseFilter(filter, REGISTERED_MODEL_SEARCH_SPEC),
          orderBy: parseOrderBy(orderBy, REGISTERED_MODEL_SEARCH_SPEC),
          maxResults,
          pageToken,
          excludePrompts,
        });
      const searchVersions = (filter?: string, orderBy?: string[], maxResults = 1000, pageToken?: string) =>
        s.searchModelVersions({
          filter: parseFilter(filter, MODEL_VERSION_SEARCH_SPEC),
          orderBy: parseOrderBy(orderBy, MODEL_VERSION_SEARCH_SPEC),
          maxResults,
          pageToken,
          excludePrompts: true,
        });
      before(async () => {
        if (!fx) return;
        for (const [i, nm] of names.entries()) {
          await s.createRegisteredModel({ name: nm, description: null, tags: [{ key: "team", value: i % 2 ? "nlp" : "cv" }] }, null);
          for (let v = 0; v <= i; v++) await version(nm, { runId: `${String(i)}${"r".repeat(31)}`, source: `s3://b/${nm}/${v}` });
        }
        await s.createRegisteredModel({ name: `${prefix}-prompt`, description: null, tags: [{ key: "mlflow.prompt.is_prompt", value: "true" }] }, null);
      });

      it("filters models by name LIKE (case-sensitive), ILIKE and tags, in name order by default", async () => {
        assert.deepEqual((await searchModels(`name LIKE '${prefix}-%a'`)).items.map((m) => m.name), [`${prefix}-Gamma`, `${prefix}-alpha`, `${prefix}-beta`, `${prefix}-delta`]);
        assert.deepEqual((await searchModels(`name LIKE '${prefix}-g%'`)).items.map((m) => m.name), []);
        assert.deepEqual((await searchModels(`name ILIKE '${prefix}-g%'`)).items.map((m) => m.name), [`${prefix}-Gamma`]);
        assert.deepEqual(
          (await searchModels(`name LIKE '${prefix}%' AND tags.team = 'nlp'`)).items.map((m) => m.name),
          [`${prefix}-beta`, `${prefix}-delta`],
        );
        assert.deepEqual((await searchModels(`name = '${prefix}-beta'`)).items[0].latestVersions.map((v) => v.version), ["2"]);
      });

      it("leaves prompts out unless asked, and pages with a token", async () => {
        assert.equal((await searchModels(`name LIKE '${prefix}%'`)).items.length, 4);
        const withPrompts = await searchModels(`name LIKE '${prefix}%'`, undefined, 100, undefined, false);
        assert.equal(withPrompts.items.length, 5);
        const seen: string[] = [];
        let token: string | undefined;
        do {
          const page = await searchModels(`name LIKE '${prefix}%'`, ["name DESC"], 3, token);
          seen.push(...page.items.map((m) => m.name));
          token = page.nextPageToken;
        } while (token);
        assert.deepEqual(seen, [...names].sort().reverse());
      });

      it("filters versions by name, version_number, run_id IN, source_path and tags", async () => {
        const beta = `${prefix}-beta`;
        assert.deepEqual(nums((await searchVersions(`name = '${beta}'`, ["version_number ASC"])).items), ["1", "2"]);
        assert.deepEqual(nums((await searchVersions(`name = '${prefix}-delta' AND version_number > 2`, ["version_number DESC"])).items), ["4", "3"]);
        const byRun = await searchVersions(`run_id IN ('0${"r".repeat(31)}', '2${"r".repeat(31)}')`, ["name ASC", "version_number ASC"]);
        assert.deepEqual(byRun.items.map((v) => `${v.name}/${v.version}`), [`${prefix}-Gamma/1`, `${prefix}-Gamma/2`, `${prefix}-Gamma/3`, `${prefix}-alpha/1`]);
        assert.deepEqual(nums((await searchVersions(`source_path = 's3://b/${beta}/1'`)).items), ["2"]);
        await s.setModelVersionTag(beta, "1", { key: "ok", value: "yes" }, null);
        assert.deepEqual((await searchVersions(`tags.ok = 'yes' AND name = '${beta}'`)).items.map((v) => v.version), ["1"]);
      });

      it("orders versions by last update (newest first) by default and pages through all of them", async () => {
        const all = (await searchVersions(`name LIKE '${prefix}%'`)).items;
        assert.equal(all.length, 10);
        for (let i = 1; i < all.length; i++) assert.ok(all[i - 1].lastUpdatedTimestamp >= all[i].lastUpdatedTimestamp);
        const seen: string[] = [];
        let token: string | undefined;
        do {
          const page = await searchVersions(`name LIKE '${prefix}%'`, undefined, 4, token);
          seen.push(...page.items.map((v) => `${v.name}/${v.version}`));
          token = page.nextPageToken;
        } while (token);
        assert.deepEqual(seen, all.map((v) => `${v.name}/${v.version}`));
      });
    });

    describe("audit history", () => {
      it("records each change with who, when, from and to, newest first, paged", async () => {
        const m = await model("audit");
        await version(m);
        await version(m);
        await s.setRegisteredModelAlias(m, "champion", "1", "bob");
        await s.setRegisteredModelAlias(m, "champion", "2", "carol");
        await s.transitionModelVersionStage(m, "2", "Production", false, "dave");
        await s.updateRegisteredModel(m, "desc", "erin");
        await s.setRegisteredModelTag(m, { key: "k", value: "v" }, "erin");
        await s.setRegisteredModelTag(m, { key: "k", value: "v" }, "erin"); // unchanged: no event
        await s.deleteModelVersion(m, "2", "frank");
        const events = (await s.getHistory(m, { maxResults: 100 })).items;
        const summary = events.map((e) => [e.actor, e.entity, e.action, e.version, e.key, e.from, e.to]);
        assert.deepEqual(summary, [
          ["frank", "model_version", "deleted", "2", "source", `mlflow-artifacts:/1/${"a".repeat(32)}/artifacts/model`, null],
          ["frank", "registered_model_alias", "deleted", "2", "champion", "2", null],
          ["erin", "registered_model_tag", "set", null, "k", null, "v"],
          ["erin", "registered_model", "updated", null, "description", null, "desc"],
          ["dave", "model_version", "transitioned", "2", "current_stage", "None", "Production"],
          ["carol", "registered_model_alias", "set", "2", "champion", "1", "2"],
          ["bob", "registered_model_alias", "set", "1", "champion", null, "1"],
          ["alice", "model_version", "created", "2", "source", null, `mlflow-artifacts:/1/${"a".repeat(32)}/artifacts/model`],
          ["alice", "model_version", "created", "1", "source", null, `mlflow-artifacts:/1/${"a".repeat(32)}/artifacts/model`],
          ["alice", "registered_model", "created", null, null, null, m],
        ]);
        for (let i = 1; i < events.length; i++) assert.ok(events[i - 1].timestamp >= events[i].timestamp);
        const first = await s.getHistory(m, { maxResults: 4 });
        const second = await s.getHistory(m, { maxResults: 100, pageToken: first.nextPageToken });
        assert.deepEqual([...first.items, ...second.items], events);
        assert.equal(second.nextPageToken, undefined);
      });

      it("follows renames and outlives the model", async () => {
        const m = await model("hist");
        await s.renameRegisteredModel(m, `${m}-b`, "bob");
        let events = (await s.getHistory(`${m}-b`, { maxResults: 10 })).items;
        assert.deepEqual(events.map((e) => [e.action, e.name, e.from, e.to]), [
          ["renamed", `${m}-b`, m, `${m}-b`],
          ["created", m, null, m],
        ]);
        await s.deleteRegisteredModel(`${m}-b`, "bob");
        events = (await s.getHistory(`${m}-b`, { maxResults: 10 })).items;
        assert.deepEqual(events.map((e) => e.action), ["deleted", "renamed", "created"]);
        await rejectsWith(s.getHistory("never-existed", { maxResults: 10 }), "RESOURCE_DOES_NOT_EXIST");
      });

      it("a failed change records nothing", async () => {
        const m = await model("fail");
        await rejectsWith(s.setRegisteredModelAlias(m, "x", "1", "bob"), "RESOURCE_DOES_NOT_EXIST");
        await rejectsWith(s.renameRegisteredModel(m, m, "bob").then(() => s.createRegisteredModel({ name: m, description: null, tags: [] }, "bob")), "RESOURCE_ALREADY_EXISTS");
        assert.deepEqual((await s.getHistory(m, { maxResults: 10 })).items.map((e) => e.action), ["created"]);
      });
    });
  });
}
