import assert from "node:assert/strict";
import { test } from "node:test";
import { shortRunId } from "./short-run-id.js";

test("a short run id is the random tail, so runs made in the same minute still differ", () => {
  // Two ids of the UUIDv7 layout made 9 s apart: same first 8 digits, different tails.
  const a = "019af9c8d1e27a3b9c4d5e6f70812345";
  const b = "019af9c8f6a47f01a2b3c4d5e6f7a8b9";
  assert.equal(a.slice(0, 8), b.slice(0, 8));
  assert.equal(shortRunId(a), "…70812345");
  assert.notEqual(shortRunId(a), shortRunId(b));
  assert.equal(shortRunId("abc"), "abc");
});
