/**
 * Registry input rules: MLflow's alias, tag, version and stage validation,
 * and how searches treat the MLflow 3.x prompt clause.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MlflowError } from "../shared/errors.js";
import { parseFilter } from "../shared/filter/filter-parser.js";
import { REGISTERED_MODEL_SEARCH_SPEC } from "./registry-search-specs.js";
import { splitPromptClause } from "./registry-search-filter.js";
import { canonicalStage, canonicalVersion, validateAlias, validateModelVersionTag, validateRegisteredModelTag } from "./registry-validation.js";

const invalid = (fn: () => unknown, message: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof MlflowError && e.errorCode === "INVALID_PARAMETER_VALUE" && message.test(e.message));

describe("registry validation", () => {
  test("aliases: \\w and dashes, at most 255 characters, 'latest' and v<digits> reserved", () => {
    for (const ok of ["champion", "Champion_2", "a-b", "v1a", "vv1", "é_ok", "x".repeat(255)]) validateAlias(ok);
    invalid(() => validateAlias(""), /cannot be empty/);
    invalid(() => validateAlias("a b"), /Invalid alias name: 'a b'/);
    invalid(() => validateAlias("a.b"), /Invalid alias name/);
    invalid(() => validateAlias("x".repeat(256)), /exceeded length limit of 255/);
    invalid(() => validateAlias("Latest"), /'latest' alias name \(case insensitive\) is reserved/);
    invalid(() => validateAlias("V007"), /Version alias name 'V007' is reserved/);
  });

  test("versions are integers, written canonically", () => {
    assert.equal(canonicalVersion("01"), "1");
    assert.equal(canonicalVersion(7), "7");
    assert.equal(canonicalVersion(" 3 "), "3");
    for (const bad of ["one", "1.5", "", "1e3", "0x10"]) invalid(() => canonicalVersion(bad), /Model version must be an integer/);
  });

  test("stages are case-insensitive MLflow stages", () => {
    assert.equal(canonicalStage("production"), "Production");
    assert.equal(canonicalStage("NONE"), "None");
    invalid(() => canonicalStage("Prod"), /Invalid Model Version stage: Prod. Value must be one of None, Staging, Production, Archived./);
  });

  test("tags: MLflow's key characters, 250-character keys, 5000-character values", () => {
    validateRegisteredModelTag({ key: "mlflow.prompt.is_prompt", value: "" });
    validateModelVersionTag({ key: "a/b c:d", value: "v".repeat(5000) });
    invalid(() => validateRegisteredModelTag({ key: "a/../b", value: "v" }), /would resolve to 'b'/);
    invalid(() => validateRegisteredModelTag({ key: "k!", value: "v" }), /Invalid tag name: 'k!'/);
    invalid(() => validateRegisteredModelTag({ key: "k".repeat(251), value: "v" }), /Registered model key .* exceeded length limit of 250/);
    invalid(() => validateModelVersionTag({ key: "k", value: "v".repeat(5001) }), /Model version value .* exceeded length limit of 5000/);
  });
});

describe("the prompt clause of registry searches", () => {
  const split = (filter: string) => splitPromptClause(parseFilter(filter, REGISTERED_MODEL_SEARCH_SPEC));

  test("the 3.x client's `!= 'true'` clause is dropped and prompts are excluded", () => {
    const r = split("name LIKE 'a%' AND tag.`mlflow.prompt.is_prompt` != 'true'");
    assert.equal(r.excludePrompts, true);
    assert.deepEqual(r.filter, { kind: "cmp", entity: "attribute", key: "name", op: "LIKE", value: "a%" });
    assert.deepEqual(split("tags.`mlflow.prompt.is_prompt` != 'true'"), { filter: undefined, excludePrompts: true });
  });

  test("asking for prompts keeps the clause and includes them", () => {
    for (const f of ["tags.`mlflow.prompt.is_prompt` = 'true'", "tags.`mlflow.prompt.is_prompt` != 'FALSE'"]) {
      const r = split(f);
      assert.equal(r.excludePrompts, false, f);
      assert.equal(r.filter?.kind, "cmp");
    }
  });

  test("filters without the clause exclude prompts and stay as they are", () => {
    const r = split("tags.team = 'cv'");
    assert.equal(r.excludePrompts, true);
    assert.deepEqual(r.filter, { kind: "cmp", entity: "tag", key: "team", op: "=", value: "cv" });
    assert.deepEqual(splitPromptClause(undefined), { filter: undefined, excludePrompts: true });
  });
});
