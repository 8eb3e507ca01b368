/**
 * The group statement's text is built once per shape (which lists are present): the same string comes back for
 * every group of that shape, with the parameters read from that group's own rows.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { groupStatement, type GroupRows } from "./log-batch-statement.js";
import { buildChunks, decodePoints } from "./metric-chunks.js";

const RUN_A = "a".repeat(32);
const RUN_B = "b".repeat(32);

function rows(run: string, steps: number[], tags: Array<[string, string, string]> = []): GroupRows {
  return {
    uuids: [run],
    params: [],
    tags,
    names: [],
    chunks: buildChunks(steps.map((s) => ({ step: s, timestamp: 1000 + s, value: s / 2 }))).map((chunk) => ({ run: 1, key: "loss", chunk })),
    series: [[run, "loss", Math.max(...steps), 1000, 0.5, 0, steps.length, 0, 0, 1000, 1, 1, 1000]],
    buckets: [],
  };
}

test("one text per shape, parameters from each group's rows", () => {
  const first = groupStatement(rows(RUN_A, [1, 2]));
  const second = groupStatement(rows(RUN_B, [3, 4, 5]));
  assert.equal(second.text, first.text);
  assert.equal(second.values.length, first.values.length);
  // $1 is the runs; the chunks' columns follow (run place, key, step and timestamp ranges, count, offset), then their bytes.
  assert.deepEqual(second.values[0], [RUN_B]);
  assert.deepEqual(second.values.slice(1, 9), [[1], ["loss"], [3], [5], [1003], [1005], [3], [1]]);
  const bytes = second.values[9] as Buffer;
  assert.ok(Buffer.isBuffer(bytes), "the chunks' bytes go as one binary parameter");
  assert.deepEqual(decodePoints(bytes).map((p) => p.step), [3, 4, 5]);
  assert.deepEqual(second.values[10], [RUN_B], "the series' run");

  const tagged = groupStatement(rows(RUN_A, [1], [[RUN_A, "t", "v"]]));
  assert.notEqual(tagged.text, first.text);
  assert.deepEqual(tagged.values.slice(1, 4), [[RUN_A], ["t"], ["v"]], "the tags' columns come before the chunks'");
});
