/** Filter-grammar quoting as the server's tokenizer reads it. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { containsPattern, orderByClause, parseColumnId, quoteKey, quoteValue } from "./filter-text";

describe("filter text", () => {
  test("values, keys and LIKE patterns are quoted as the server's tokenizer reads them", () => {
    assert.equal(quoteValue("it's"), "'it''s'");
    assert.equal(quoteKey("loss"), "loss");
    assert.equal(quoteKey("val/top 1"), "`val/top 1`");
    assert.equal(containsPattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    assert.equal(orderByClause("metrics.val/top1", true), "metrics.`val/top1` DESC");
    assert.deepEqual(parseColumnId("params.a.b"), { kind: "params", key: "a.b" });
    assert.equal(parseColumnId("nope.x"), undefined);
  });
});
