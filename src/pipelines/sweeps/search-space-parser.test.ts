import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseSweepYaml as parseLocated, SweepSpecError } from "./sweep-spec-error.js";
import { parseSearchSpace } from "./search-space-parser.js";
import { parseSweepBlock } from "./sweep-spec.js";

const SPACE = `lr: { loguniform: [1.0e-4, 0.1] }
epochs: { quniform: [5, 50, 5] }
depth: { randint: [2, 12] }
noise: { normal: [0, 1] }
batch: { qloguniform: [16, 512, 16] }
opt: { choice: [adam, sgd, 3, true] }
seed: 7
model:
  choice:
    svm: { C: { loguniform: [0.01, 10] }, kernel: { choice: [rbf, linear] } }
    forest: { trees: { quniform: [50, 500, 50] } }
    linear: {}
`;

describe("search space parser", () => {
  test("every distribution, constants and a nested choice", () => {
    const space = parseSearchSpace(SPACE, "space.yaml");
    assert.deepEqual(space.map((p) => [p.name, p.dist.kind]), [
      ["lr", "loguniform"], ["epochs", "quniform"], ["depth", "randint"], ["noise", "normal"], ["batch", "qloguniform"], ["opt", "choice"], ["seed", "const"], ["model", "choice"],
    ]);
    assert.deepEqual(space[0].dist, { kind: "loguniform", low: 1e-4, high: 0.1 });
    assert.deepEqual(space[5].dist, { kind: "choice", options: [{ value: "adam" }, { value: "sgd" }, { value: 3 }, { value: true }] });
    const model = space[7].dist;
    assert.equal(model.kind, "choice");
    if (model.kind !== "choice") return;
    assert.deepEqual(model.options.map((o) => [o.value, o.space?.map((p) => p.name)]), [["svm", ["C", "kernel"]], ["forest", ["trees"]], ["linear", undefined]]);
  });

  test("JSON is read the same way", () => {
    const space = parseSearchSpace(`{"lr": {"loguniform": [0.001, 0.1]}, "opt": {"choice": ["a", "b"]}}`, "space.json");
    assert.deepEqual(space.map((p) => p.dist.kind), ["loguniform", "choice"]);
  });

  const cases: Array<[string, string, RegExp]> = [
    ["loguniform low 0", "x: { uniform: [0, 1] }\ny:\n  loguniform: [0, 1]\n", /^s\.yaml:3:15: y: loguniform needs low > 0 \(got 0\)/],
    ["low ≥ high", "x: { uniform: [2, 1] }\n", /^s\.yaml:1:15: x: uniform needs low < high/],
    ["wrong arity", "x: { quniform: [1, 10] }\n", /^s\.yaml:1:16: x: quniform takes 3 numbers, got 2/],
    ["a string argument", "x: { uniform: [0, one] }\n", /^s\.yaml:1:19: x: uniform arguments must be finite numbers/],
    ["unknown distribution", "x: { gaussian: [0, 1] }\n", /^s\.yaml:1:6: x: expected one of uniform, .*; got 'gaussian'/],
    ["a bare list", "x: [1, 2]\n", /^s\.yaml:1:4: x: a list is not a distribution; did you mean \{ choice: \[\.\.\.\] \}\?/],
    ["duplicate across nesting", "C: 1\nm:\n  choice:\n    svm: { C: { uniform: [0, 1] } }\n", /^s\.yaml:4:12: parameter 'C' is already defined at s\.yaml:1:1/],
    ["bad name", "'a b': 1\n", /^s\.yaml:1:1: parameter name 'a b' must match/],
    ["randint of floats", "d: { randint: [1.5, 4] }\n", /randint needs integers/],
    ["q bigger than range", "d: { quniform: [0, 1, 2] }\n", /step 2 is larger than high − low/],
    ["choice twice", "o: { choice: [a, b, a] }\n", /^s\.yaml:1:21: o: option 'a' appears twice/],
    ["YAML syntax", "x: { uniform: [0, 1]\n", /^s\.yaml:\d+:\d+: not valid YAML/],
    ["duplicate key", "x: 1\nx: 2\n", /^s\.yaml:2:1: not valid YAML: Map keys must be unique/],
    ["empty", "", /^s\.yaml: the search space is empty/],
    ["no value", "x:\n", /^s\.yaml:1:1: x: no value/],
  ];
  for (const [name, text, message] of cases) {
    test(`error: ${name}`, () => {
      assert.throws(() => parseSearchSpace(text, "s.yaml"), (err: unknown) => err instanceof SweepSpecError && message.test(err.message));
    });
  }

  test("deep nesting is refused (hostile files stay cheap)", () => {
    let space: object = { v: 1 };
    for (let i = 0; i < 12; i++) space = { [`p${i}`]: { choice: { o: space } } };
    assert.throws(() => parseSearchSpace(JSON.stringify(space), "s.json"), /nest deeper than 8 levels/);
  });

  test("the sweep: block of ciclo.yaml, with positions for its own errors", () => {
    const doc = parseLocated("sweep:\n  metric: val_loss\n  mode: max\n  trials: 30\n  timeout: 1h30m\n  early_stop: { rule: asha, reduction_factor: 3 }\n  params: { data: train.csv }\n  space:\n    lr: { uniform: [0, 1] }\n", "ciclo.yaml");
    const root = doc.root as unknown as { items: Array<{ value: never }> };
    const block = parseSweepBlock(doc, root.items[0].value);
    assert.deepEqual({ ...block, space: block.space?.length }, {
      metric: "val_loss", direction: "max", trials: 30, timeoutMs: 5_400_000, earlyStop: { rule: "asha", reductionFactor: 3 }, params: { data: "train.csv" }, space: 1,
    });
    const bad = parseLocated("sweep:\n  mode: up\n", "ciclo.yaml");
    assert.throws(() => parseSweepBlock(bad, (bad.root as unknown as { items: Array<{ value: never }> }).items[0].value), /^Error|ciclo\.yaml:2:9: sweep\.mode must be min or max/);
    const odd = parseLocated("sweep:\n  early_stop: { rule: median, reduction_factor: 3 }\n", "ciclo.yaml");
    assert.throws(() => parseSweepBlock(odd, (odd.root as unknown as { items: Array<{ value: never }> }).items[0].value), /ciclo\.yaml:2:31: sweep\.early_stop: 'reduction_factor' is not a median setting/);
  });
});
