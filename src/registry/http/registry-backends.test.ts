/**
 * Registry input that engines treat differently, over HTTP on SQLite and
 * PostgreSQL: int32 version bounds, values at the column limits, non-ASCII
 * names. Each must give the same answer on both, never a 500.
 */
import assert from "node:assert/strict";
import { describe } from "node:test";
import { backendTests } from "../../testing/backend-tests.js";
import { createTestDatabase, postgresUnavailable } from "../../testing/postgres-fixture.js";
import { openTestApp, type TestApp, assertEmptyOk, assertError } from "../../testing/test-app.js";

function backendSuite(backend: string, open: () => Promise<TestApp | undefined>): void {
  describe(`registry input at the engines' limits (${backend})`, () => {
    const it = backendTests({
      open,
      close: (f) => f.close(),
      async ready(f) {
        const { runId } = await f.createRunInfo();
        await f.call("POST", "/registered-models/create", { name: "limits" });
        for (let i = 0; i < 3; i++) await f.call("POST", "/model-versions/create", { name: "limits", source: `runs:/${runId}/m` });
      },
    });
    const versions = async (f: TestApp, filter: string) => {
      const r = await f.call("GET", "/model-versions/search", { filter: `name = 'limits' AND ${filter}`, order_by: "version_number ASC" });
      assert.equal(r.status, 200, `${filter}: ${r.text}`);
      return (r.json.model_versions ?? []).map((v: { version: string }) => v.version);
    };

    it("version_number bounds beyond int32 select what they mean", async (f) => {
      assert.deepEqual(await versions(f, "version_number > 99999999999"), []);
      assert.deepEqual(await versions(f, "version_number < 99999999999"), ["1", "2", "3"]);
      assert.deepEqual(await versions(f, "version_number >= -99999999999"), ["1", "2", "3"]);
      assert.deepEqual(await versions(f, "version_number = 3000000000"), []);
      assert.deepEqual(await versions(f, "version_number != 3000000000"), ["1", "2", "3"]);
      assert.deepEqual(await versions(f, "version_number > 1.5"), ["2", "3"]);
      assertError(await f.call("GET", "/model-versions/get", { name: "limits", version: "99999999999" }), 404, "RESOURCE_DOES_NOT_EXIST");
      assertError(await f.call("POST", "/registered-models/alias", { name: "limits", alias: "a", version: "3000000000" }), 404, "RESOURCE_DOES_NOT_EXIST");
    });

    it("values at the column limits are stored; one more character is refused", async (f) => {
      const name = "n".repeat(256);
      assert.equal((await f.call("POST", "/registered-models/create", { name, description: "d".repeat(5000) })).status, 200);
      assertError(await f.call("POST", "/registered-models/create", { name: `${name}x` }), 400, "INVALID_PARAMETER_VALUE");
      assertEmptyOk(await f.call("POST", "/registered-models/set-tag", { name, key: "k".repeat(250), value: "v".repeat(5000) }));
      assertEmptyOk(await f.call("POST", "/registered-models/alias", { name: "limits", alias: "a".repeat(255), version: "1" }));
      const source = `mlflow-artifacts:/${"s".repeat(482)}`;
      assert.equal(source.length, 500);
      assert.equal((await f.call("POST", "/model-versions/create", { name, source })).status, 200);
      assertError(await f.call("POST", "/model-versions/create", { name, source: `${source}s` }), 400, "INVALID_PARAMETER_VALUE");
      const history = await f.call("GET", "/registered-models/history", { name }, { prefix: "/api/ciclo/v1" });
      assert.equal(history.status, 200, history.text);
    });

    it("crafted page tokens are refused with a 400, never passed to SQL", async (f) => {
      const token = (q: string, o: string, k: unknown[]) => Buffer.from(JSON.stringify({ q, o, k })).toString("base64url");
      const versionOrder = "attribute:last_updated_timestamp:d";
      const cases: Array<[string, Record<string, string | number>]> = [
        ["/model-versions/search", { page_token: token("model-versions", versionOrder, [1, "limits", 1e20]) }],
        ["/model-versions/search", { page_token: token("model-versions", versionOrder, ["not-a-time", "limits", 1]) }],
        ["/model-versions/search", { page_token: token("model-versions", versionOrder, [1, 5, 1]) }],
        ["/model-versions/search", { page_token: token("model-versions", versionOrder, [1.5, "limits", 1]) }],
        ["/registered-models/search", { page_token: token("registered-models", "", [42]) }],
        ["/registered-models/search", { order_by: "timestamp DESC", page_token: token("registered-models", "attribute:last_updated_timestamp:d", ["x", "y"]) }],
      ];
      for (const [path, query] of cases) assertError(await f.call("GET", path, query), 400, "INVALID_PARAMETER_VALUE", /Invalid page token/);
      for (const k of [[1e20], [-1], [1.5], ["9"]]) {
        const r = await f.call("GET", "/registered-models/history", { name: "limits", page_token: token("registry-history", "", k) }, { prefix: "/api/ciclo/v1" });
        assertError(r, 400, "INVALID_PARAMETER_VALUE", /Invalid page token/);
      }
    });

    it("non-ASCII names and tags round-trip and search alike", async (f) => {
      const name = "modèle-détection-欺诈-🚀";
      assert.equal((await f.call("POST", "/registered-models/create", { name, tags: [{ key: "équipe", value: "risque ✓" }] })).status, 200);
      const got = (await f.call("GET", "/registered-models/get", { name })).json.registered_model;
      assert.equal(got.name, name);
      assert.deepEqual(got.tags, [{ key: "équipe", value: "risque ✓" }]);
      const found = await f.call("GET", "/registered-models/search", { filter: "name LIKE 'modèle-%' AND tags.`équipe` = 'risque ✓'" });
      assert.deepEqual(found.json.registered_models.map((m: { name: string }) => m.name), [name]);
      const insensitive = await f.call("GET", "/registered-models/search", { filter: "name ILIKE 'MODÈLE-%'" });
      assert.equal(insensitive.status, 200, insensitive.text);
    });
  });
}

backendSuite("sqlite", () => openTestApp());
backendSuite("postgres", async () => {
  if (await postgresUnavailable()) return undefined;
  const db = await createTestDatabase();
  return openTestApp({ backend: db.uri, onClose: () => db.drop() });
});
