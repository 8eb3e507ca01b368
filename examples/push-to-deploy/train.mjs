// Trains the example's model: a least-squares line y = a·x + b fitted to the training CSV, with the
// configuration's shrinkage pulling the slope towards 0 (too much of it makes a worse model), saved as a
// ciclo js_function model folder (MLmodel + code/) that ciclo serves, evaluates and builds images of.
// Usage: node train.mjs --config config/train.json --train data/train.csv --out <folder>
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({ options: { config: { type: "string" }, train: { type: "string" }, out: { type: "string" } } });
if (!args.config || !args.train || !args.out) throw new Error("usage: node train.mjs --config FILE --train CSV --out FOLDER");
const config = JSON.parse(readFileSync(args.config, "utf8"));
const feature = config.feature ?? "x";
const target = config.target ?? "y";
const shrinkage = Number(config.shrinkage ?? 0);

const [header, ...rows] = readFileSync(args.train, "utf8").trim().split("\n").map((l) => l.split(","));
const xi = header.indexOf(feature);
const yi = header.indexOf(target);
if (xi < 0 || yi < 0) throw new Error(`${args.train} needs the columns ${feature} and ${target}`);
const xs = rows.map((r) => Number(r[xi]));
const ys = rows.map((r) => Number(r[yi]));
const mean = (v) => v.reduce((s, x) => s + x, 0) / v.length;
const mx = mean(xs);
const my = mean(ys);
const sxy = xs.reduce((s, x, i) => s + (x - mx) * (ys[i] - my), 0);
const sxx = xs.reduce((s, x) => s + (x - mx) ** 2, 0);
const a = (sxy / sxx) * (1 - shrinkage);
const b = my - a * mx;
console.log(`fitted ${target} = ${a.toFixed(4)}·${feature} + ${b.toFixed(4)} on ${rows.length} rows (shrinkage ${shrinkage})`);

mkdirSync(join(args.out, "code"), { recursive: true });
writeFileSync(
  join(args.out, "code", "model.mjs"),
  `export function load(context) {
  return { a: Number(context.modelConfig.a), b: Number(context.modelConfig.b) };
}
export function predict(input, params, state) {
  const x = input.columns.find((c) => c.name === ${JSON.stringify(feature)}).values;
  return Array.from(x, (v) => state.a * v + state.b);
}
`,
);
writeFileSync(join(args.out, "code", "package.json"), `${JSON.stringify({ name: "demand-model", private: true, type: "module", dependencies: {} }, null, 2)}\n`);
writeFileSync(
  join(args.out, "MLmodel"),
  `flavors:
  js_function:
    code: code
    entry: code/model.mjs
    dependencies: code/package.json
    model_config:
      a: ${a}
      b: ${b}
signature:
  inputs: '[{"type": "double", "name": "${feature}", "required": true}]'
  outputs: '[{"type": "double", "name": "${target}", "required": true}]'
`,
);
