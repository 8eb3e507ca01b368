import assert from "node:assert/strict";
import { test } from "node:test";
import { closestNames } from "./closest-names.js";

test("close names: another case, a part of the name, a typo or two; short names need an exact match", () => {
  const names = ["iris", "churn-model", "churn", "fraud-detection", "Default", "resnet50-imagenet"];
  assert.deepEqual(closestNames("irs", names), ["iris"]);
  assert.deepEqual(closestNames("ab", ["abc", "xb", "ab-test"]), [], "two letters: neither edits nor parts");
  assert.deepEqual(closestNames("irsi", names), ["iris"]);
  assert.deepEqual(closestNames("default", names), ["Default"]);
  assert.deepEqual(closestNames("churn-modle", names), ["churn-model", "churn"], "the typo before the part");
  assert.deepEqual(closestNames("fraud", names), ["fraud-detection"]);
  assert.deepEqual(closestNames("chrun", names), ["churn"]);
  assert.deepEqual(closestNames("imagenet", names), ["resnet50-imagenet"]);
  assert.deepEqual(closestNames("something-else", names), []);
  assert.deepEqual(closestNames("churn", names), ["churn", "churn-model"], "the exact one first");
});
