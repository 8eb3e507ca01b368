/** The models search box: plain text becomes a name match, filters pass as written. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { modelFilter } from "./registry-api";

describe("models search box", () => {
  test("plain text matches names containing it (LIKE wildcards and quotes escaped); filters pass as written", () => {
    assert.equal(modelFilter("  "), undefined);
    assert.equal(modelFilter("fraud"), "name ILIKE '%fraud%'");
    assert.equal(modelFilter("50%_o'k"), "name ILIKE '%50\\%\\_o''k%'");
    assert.equal(modelFilter("tags.team = 'risk'"), "tags.team = 'risk'");
    assert.equal(modelFilter("name LIKE 'fr%'"), "name LIKE 'fr%'");
    assert.equal(modelFilter("tags.`mlflow.source` != 'x'"), "tags.`mlflow.source` != 'x'");
    assert.equal(modelFilter("models in prod"), "name ILIKE '%models in prod%'");
  });
});
