/**
 * How the group-commit queue forms groups while one is in flight: small writes gather until the queue holds
 * enough work to be worth a group of its own; a large write starts its group at once. The groups are observed
 * through a grouped write whose one-statement path (`solo`) records its inputs and waits to be released.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Kysely } from "kysely";
import { GroupCommitQueue, type GroupedWrite } from "./group-commit-queue.js";
import type { Database } from "./schema.js";
import type { SqlDialect } from "./sql-dialect.js";

/** A write of `weight` rows, named `id`. */
interface Input {
  id: string;
  weight: number;
}

function recorder() {
  const groups: string[][] = [];
  const release: Array<() => void> = [];
  const op: GroupedWrite<Input, string> = {
    name: "test.write",
    weight: (i) => i.weight,
    one: () => Promise.reject(new Error("not used")),
    many: () => Promise.reject(new Error("not used")),
    solo: (_db, inputs) => {
      groups.push(inputs.map((i) => i.id));
      return new Promise((done) => release.push(() => done(inputs.map((i) => ({ ok: true as const, value: i.id })))));
    },
  };
  return { op, groups, release };
}

/** Lets queued setImmediate callbacks and promise reactions run. */
const settle = () => new Promise((done) => setImmediate(done));

test("while a group is in flight, small writes gather until the queue holds the minimum; a large write goes at once", async () => {
  const { op, groups, release } = recorder();
  const queue = new GroupCommitQueue({} as Kysely<Database>, {} as SqlDialect, () => false, 4, true, 16);
  const answers: Array<Promise<string>> = [];
  const write = (id: string, weight = 1) => answers.push(queue.runGrouped(op, { id, weight }));

  write("first");
  await settle();
  assert.deepEqual(groups, [["first"]], "an idle queue starts a group for one write");
  for (let i = 0; i < 15; i++) write(`s${i}`);
  await settle();
  assert.equal(groups.length, 1, "15 rows queued while a group is in flight: they wait");
  write("s15");
  await settle();
  assert.deepEqual(groups[1], Array.from({ length: 16 }, (_, i) => `s${i}`), "the 16th row starts the second group");
  write("big", 1000);
  await settle();
  assert.deepEqual(groups[2], ["big"], "a large write starts its own group at once");
  write("late");
  await settle();
  assert.equal(groups.length, 3);
  // When the groups in flight finish, what waits goes, however little.
  for (const r of release.splice(0)) r();
  await settle();
  await settle();
  assert.deepEqual(groups[3], ["late"]);
  release[0]();
  assert.deepEqual(await Promise.all(answers), ["first", ...Array.from({ length: 16 }, (_, i) => `s${i}`), "big", "late"]);
});

test("without a minimum (SQLite's queue, and PostgreSQL's before), every queued write may start a group", async () => {
  const { op, groups, release } = recorder();
  const queue = new GroupCommitQueue({} as Kysely<Database>, {} as SqlDialect, () => false, 4, true);
  const answers = [queue.runGrouped(op, { id: "a", weight: 1 })];
  await settle();
  answers.push(queue.runGrouped(op, { id: "b", weight: 1 }));
  await settle();
  assert.deepEqual(groups, [["a"], ["b"]]);
  for (const r of release.splice(0)) r();
  assert.deepEqual(await Promise.all(answers), ["a", "b"]);
});
