/**
 * The group statement's text is built once per shape (which lists are present, and the option): the same string
 * comes back for every group of that shape, with the parameters read from that group's own rows.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { groupStatement, type GroupRows } from "./log-batch-statement.js";

const RUN_A = "a".repeat(32);
const RUN_B = "b".repeat(32);

function rows(run: string, steps: number[], tags: Array<[string, string, string]> = []): GroupRows {
  return {
    uuids: [run],
    params: [],
    tags,
    names: [],
    points: steps.map((s) => [1, "loss", s, 1000 + s, s / 2, 0] as [number, string, number, number, number, number]),
    series: [[run, "loss", Math.max(...steps), 1000, 0.5, 0, steps.length, 0, 0, 1000, 1, 1, 1000]],
    buckets: [],
  };
}

test("one text per shape, parameters from each group's rows", () => {
  const first = groupStatement(rows(RUN_A, [1, 2]), { pointsAreNew: true });
  const second = groupStatement(rows(RUN_B, [3, 4, 5]), { pointsAreNew: true });
  assert.equal(second.text, first.text);
  assert.equal(second.values.length, first.values.length);
  // $1 is the runs; the points' columns follow (run place, key, step, timestamp, value, is_nan).
  assert.deepEqual(second.values[0], [RUN_B]);
  assert.deepEqual(second.values.slice(1, 7), [[1, 1, 1], ["loss", "loss", "loss"], [3, 4, 5], [1003, 1004, 1005], [1.5, 2, 2.5], [0, 0, 0]]);
  assert.deepEqual(second.values[7], [RUN_B], "the series' run");

  const careful = groupStatement(rows(RUN_A, [1]));
  assert.notEqual(careful.text, first.text, "the careful statement (ON CONFLICT DO NOTHING) is another shape");
  const tagged = groupStatement(rows(RUN_A, [1], [[RUN_A, "t", "v"]]), { pointsAreNew: true });
  assert.notEqual(tagged.text, first.text);
  assert.deepEqual(tagged.values.slice(1, 4), [[RUN_A], ["t"], ["v"]], "the tags' columns come before the points'");
});
