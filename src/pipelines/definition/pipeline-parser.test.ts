/**
 * Pipeline definitions: a valid block parses into steps in DAG order; every
 * mistake is refused with the line and column of the node at fault.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { evaluate, parseExpression, renderTemplate, type ExpressionContext } from "./expression.js";
import { parsePipelines } from "./pipeline-parser.js";
import { PipelineDefinitionError } from "./pipeline-spec.js";

const VALID = `name: demo
entry_points:
  main: { command: "node train.js" }
pipelines:
  churn:
    inputs:
      lr: { type: float, default: 0.1 }
      deploy: { type: bool, default: false }
      data: data
    steps:
      report:
        run: echo "\${{ steps.train.outputs.run_id }}"
        needs: [train]
      train:
        uses: train
        with: { params: { lr: "\${{ inputs.lr }}" } }
        retries: 2
      prep:
        run: echo prep
      ship:
        uses: register
        needs: [report, prep]
        if: inputs.deploy && success()
        with: { model: "runs:/\${{ steps.train.outputs.run_id }}/model", name: churn }
`;

/** VALID with its register step a notify step (one the server runs itself). */
const NOTIFYING = VALID.replace("uses: register", "uses: notify").replace('with: { model: "runs:/${{ steps.train.outputs.run_id }}/model", name: churn }', "with: { url: https://example.com/hook }");

/** Parses `text` expecting a PipelineDefinitionError; returns it. */
function refused(text: string): PipelineDefinitionError {
  try {
    parsePipelines(text, "ciclo.yaml");
  } catch (err) {
    assert.ok(err instanceof PipelineDefinitionError, `expected a PipelineDefinitionError, got ${String(err)}`);
    return err;
  }
  assert.fail("the definition was accepted");
}

/** Line and column (1-based) of the first occurrence of `needle` in `text`. */
function where(text: string, needle: string): [number, number] {
  const at = text.indexOf(needle);
  assert.ok(at >= 0, needle);
  const before = text.slice(0, at).split("\n");
  return [before.length, before[before.length - 1].length + 1];
}

describe("pipeline definitions", () => {
  test("a valid pipeline: steps in dependency order, typed inputs, defaults", () => {
    const p = parsePipelines(VALID, "ciclo.yaml").get("churn")!;
    assert.deepEqual(p.order, ["train", "report", "prep", "ship"]);
    assert.deepEqual(
      p.inputs.map((i) => [i.name, i.type, i.default]),
      [
        ["lr", "float", 0.1],
        ["deploy", "bool", false],
        ["data", "data", undefined],
      ],
    );
    const train = p.steps.find((s) => s.id === "train")!;
    assert.equal(train.retries, 2);
    assert.equal(train.cache, true);
    assert.equal(p.steps.find((s) => s.id === "ship")!.cache, false, "register has effects: never cached");
    assert.equal(p.experiment, "pipelines");
    assert.equal(train.runsOn, undefined, "steps run on the server's host by default");
  });

  test("runs-on: kubernetes with an image, per pipeline or per step; in-server steps stay in the server", () => {
    const text = NOTIFYING.replace("  churn:\n", "  churn:\n    runs-on: kubernetes\n    image: registry.example.com/runner:2\n").replace(
      "run: echo prep",
      "run: echo prep\n        runs-on: local",
    );
    const p = parsePipelines(text, "ciclo.yaml").get("churn")!;
    const step = (id: string) => p.steps.find((s) => s.id === id)!;
    assert.equal(step("train").runsOn, "kubernetes");
    assert.equal(step("train").image, "registry.example.com/runner:2");
    assert.equal(step("report").runsOn, "kubernetes");
    assert.equal(step("prep").runsOn, undefined, "a step's runs-on: local overrides the pipeline's");
    assert.equal(step("ship").runsOn, undefined, "notify runs in the server");
  });

  const cases: Array<[string, string, string, RegExp]> = [
    ["unknown step kind", VALID.replace("uses: train", "uses: trian"), "trian", /not a step kind/],
    ["unknown need", VALID.replace("needs: [train]", "needs: [trian]"), "trian", /needs 'trian', which is not a step/],
    ["a cycle", VALID.replace("run: echo prep", "run: echo prep\n        needs: [ship]"), "ship]\n      ship", /form a cycle/],
    ["an undeclared input", VALID.replace("inputs.lr", "inputs.rate"), "inputs.rate", /inputs.rate is not a declared input/],
    ["a step that is not a need", VALID.replace("needs: [train]\n", "needs: [prep]\n"), "steps.train", /not among its needs/],
    ["a bad expression", VALID.replace("inputs.deploy && success()", "inputs.deploy && && success()"), "&& success", /unexpected '&&'/],
    ["an unknown function", VALID.replace("success()", "sucess()"), "sucess", /unknown function 'sucess'/],
    ["an unknown with: key", VALID.replace("name: churn }", "name: churn, nmae: x }"), "nmae", /register takes no 'nmae'/],
    ["a missing required argument", VALID.replace(", name: churn }", " }"), "{ model", /register needs with.name/],
    ["a bad input default", VALID.replace("default: 0.1", "default: fast"), "fast", /input 'lr' is a float/],
    ["uses and run together", VALID.replace("run: echo prep", "run: echo prep\n        uses: train"), "run: echo prep", /both uses: and run:/],
    ["caching a side effect", VALID.replace("if: inputs.deploy", "cache: true\n        if: inputs.deploy"), "true\n        if", /never cached/],
    ["bad YAML", VALID.replace("retries: 2", "retries: [2"), "", /not valid YAML/],
    ["an unknown runs-on", VALID.replace("run: echo prep", "run: echo prep\n        runs-on: k8s"), "k8s", /runs-on: must be local or kubernetes/],
    ["kubernetes without an image", VALID.replace("run: echo prep", "run: echo prep\n        runs-on: kubernetes"), "kubernetes", /runs-on: kubernetes needs image:/],
    ["an in-server step on kubernetes", NOTIFYING.replace("if: inputs.deploy", "runs-on: kubernetes\n        image: r:1\n        if: inputs.deploy"), "kubernetes\n        image", /notify steps run in the server/],
    ["an image with a space", VALID.replace("  churn:\n", "  churn:\n    image: my image\n"), "my image", /image: must be an image reference/],
  ];
  for (const [what, text, needle, message] of cases) {
    test(`refused with line and column: ${what}`, () => {
      const err = refused(text);
      assert.match(err.message, message);
      assert.match(err.message, /^ciclo\.yaml:\d+:\d+: /, err.message);
      if (needle) {
        const [line, col] = where(text, needle);
        assert.equal(err.line, line, err.message);
        assert.equal(err.col, col, err.message);
      }
    });
  }
});

describe("expressions", () => {
  const ctx: ExpressionContext = {
    inputs: { lr: 0.1, name: "Churn", tags: ["a", "b"] },
    steps: { train: { outputs: { run_id: "abc", rmse: 0.4 }, status: "succeeded" } },
    pipeline: { run_id: "p1" },
    needStates: ["succeeded"],
  };
  const ev = (s: string) => evaluate(parseExpression(s), ctx);
  test("paths, comparisons, logic and built-ins", () => {
    assert.equal(ev("steps.train.outputs.run_id"), "abc");
    assert.equal(ev("steps.train.outputs.rmse < 0.5 && inputs.lr == '0.1'"), true);
    assert.equal(ev("inputs.name == 'churn'"), true, "strings compare case-insensitively");
    assert.equal(ev("!(inputs.lr > 1) || false"), true);
    assert.equal(ev("contains(inputs.tags, 'b') && startsWith(inputs.name, 'ch')"), true);
    assert.equal(ev("steps.train.outputs.missing"), null);
    assert.equal(ev("inputs['name']"), "Churn");
    assert.equal(ev("success()"), true);
    assert.equal(evaluate(parseExpression("success()"), { ...ctx, needStates: ["failed"] }), false);
    assert.equal(evaluate(parseExpression("failure()"), { ...ctx, needStates: ["succeeded", "failed"] }), true);
  });
  test("no access beyond plain data", () => {
    assert.equal(ev("inputs.constructor"), null);
    assert.equal(ev("inputs.__proto__"), null);
    assert.throws(() => parseExpression("process.exit(1)"), /unknown name 'process'/);
    assert.throws(() => parseExpression("inputs.lr; 1"), /unexpected character/);
  });
  test("templates keep a lone value's type and quote shell parts", () => {
    assert.equal(renderTemplate("${{ inputs.lr }}", ctx), 0.1);
    assert.equal(renderTemplate("runs:/${{ steps.train.outputs.run_id }}/model", ctx), "runs:/abc/model");
    const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
    assert.equal(renderTemplate("echo ${{ inputs.name }}", { ...ctx, inputs: { name: "a'; rm -rf /" } }, quote), "echo 'a'\\''; rm -rf /'");
  });
});
