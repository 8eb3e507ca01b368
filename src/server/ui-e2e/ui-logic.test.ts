/**
 * The UI's pure logic, without a browser: chart smoothing and series joins,
 * git commit links (never a non-http link), and filter-grammar quoting.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { alignSeries, MAX_ALIGNED_CELLS, plottable, smooth } from "../../../ui/src/components/chart-data.js";
import { containsPattern, orderByClause, parseColumnId, quoteKey, quoteValue } from "../../../ui/src/filter-text.js";
import { commitUrl } from "../../../ui/src/pages/run/git-link.js";

describe("chart data", () => {
  test("smoothing is a debiased EMA: constant input stays constant, NaN passes through", () => {
    assert.deepEqual(smooth([5, 5, 5], 0.9).map((v) => Number(v.toFixed(12))), [5, 5, 5]);
    const s = smooth([0, 10, NaN, 10], 0.5);
    assert.equal(s[0], 0);
    assert.ok(Math.abs(s[1] - 20 / 3) < 1e-12, String(s[1]));
    assert.ok(Number.isNaN(s[2]));
    assert.deepEqual(smooth([1, 2], 0), [1, 2]);
  });

  test("plottable values: non-finite → gap; on a log axis non-positive → gap", () => {
    assert.deepEqual(plottable([1, NaN, Infinity, -2, 0], false), [1, null, null, -2, 0]);
    assert.deepEqual(plottable([1, -2, 0, 3], true), [1, null, null, 3]);
  });

  test("series with the same steps are used as they are; others are joined with gaps; huge joins are refused", () => {
    assert.deepEqual(alignSeries([[0, 1], [0, 1]], [[1, 2], [3, 4]]), [[0, 1], [1, 2], [3, 4]]);
    assert.deepEqual(alignSeries([[0, 2], [1, 2]], [[1, 2], [3, 4]]), [[0, 1, 2], [1, null, 2], [null, 3, 4]]);
    const n = Math.ceil(MAX_ALIGNED_CELLS / 2) + 1;
    const a = Array.from({ length: n }, (_, i) => 2 * i);
    const b = Array.from({ length: n }, (_, i) => 2 * i + 1);
    assert.equal(alignSeries([a, b], [a.map(() => 1), b.map(() => 1)]), undefined);
  });
});

describe("git commit links", () => {
  const sha = "0123456789abcdef0123456789abcdef01234567";
  test("scp-style, https and ssh remotes of known hosts", () => {
    assert.equal(commitUrl("git@github.com:acme/vision.git", sha), `https://github.com/acme/vision/commit/${sha}`);
    assert.equal(commitUrl("https://user:token@gitlab.com/acme/vision.git", sha), `https://gitlab.com/acme/vision/-/commit/${sha}`);
    assert.equal(commitUrl("ssh://git@bitbucket.org:22/acme/vision", sha), `https://bitbucket.org/acme/vision/commits/${sha}`);
  });
  test("no link for hostile or unknown input", () => {
    assert.equal(commitUrl("javascript:alert(1)//github.com/a/b", sha), undefined);
    assert.equal(commitUrl("file:///srv/repo", sha), undefined);
    assert.equal(commitUrl("https://github.com/a/b", "not-a-sha\"><script>"), undefined);
    assert.equal(commitUrl(undefined, sha), undefined);
  });
});

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
