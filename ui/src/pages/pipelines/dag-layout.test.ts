import assert from "node:assert/strict";
import { test } from "node:test";
import { layoutDag } from "./dag-layout";

test("a step sits one column right of its deepest need; every edge points right", () => {
  const l = layoutDag([
    { id: "train", needs: [] },
    { id: "data", needs: [] },
    { id: "evaluate", needs: ["train", "data"] },
    { id: "build", needs: ["evaluate"] },
    { id: "deploy", needs: ["build", "train"] },
  ]);
  const col = Object.fromEntries(l.nodes.map((n) => [n.id, n.column]));
  assert.deepEqual(col, { train: 0, data: 0, evaluate: 1, build: 2, deploy: 3 });
  assert.equal(l.nodes.find((n) => n.id === "data")!.row, 1);
  assert.equal(l.edges.length, 5);
  for (const e of l.edges) assert.ok(e.to.x > e.from.x, `${e.from.id} → ${e.to.id}`);
  assert.ok(l.width > l.nodes.find((n) => n.id === "deploy")!.x);
});

test("unknown needs and cycles are drawn, not looped on", () => {
  const l = layoutDag([
    { id: "a", needs: ["b"] },
    { id: "b", needs: ["a"] },
    { id: "c", needs: ["ghost"] },
  ]);
  assert.equal(l.nodes.length, 3);
  assert.equal(l.nodes.find((n) => n.id === "c")!.column, 0);
});
