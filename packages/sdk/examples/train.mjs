// A training script that logs to a ciclo (or MLflow) server with @ciclo/sdk.
//   CICLO_TRACKING_URI=http://127.0.0.1:5000 node node_modules/@ciclo/sdk/examples/train.mjs
// It fits y = 2x + 1 by gradient descent, logs parameters, a loss curve and a small artifact, and prints the
// run's id and final loss as JSON.
import { endRun, logMetric, logParams, logText, setExperiment, setTag, startRun } from "@ciclo/sdk";

const lr = Number(process.env.LR ?? 0.1);
const epochs = Number(process.env.EPOCHS ?? 50);
const xs = Array.from({ length: 32 }, (_, i) => i / 32);
const ys = xs.map((x) => 2 * x + 1);

await setExperiment(process.env.EXPERIMENT ?? "sdk-example");
const run = await startRun({ runName: "linear-fit" });
logParams({ lr, epochs, model: "linear" });
let w = 0;
let b = 0;
let loss = Infinity;
for (let epoch = 0; epoch < epochs; epoch++) {
  let gw = 0;
  let gb = 0;
  loss = 0;
  for (let i = 0; i < xs.length; i++) {
    const err = w * xs[i] + b - ys[i];
    loss += (err * err) / xs.length;
    gw += (2 * err * xs[i]) / xs.length;
    gb += (2 * err) / xs.length;
  }
  w -= lr * gw;
  b -= lr * gb;
  logMetric("loss", loss, epoch); // buffered: returns at once
}
setTag("stage", "example");
await logText(`w=${w}\nb=${b}\n`, "weights.txt");
const report = await endRun(); // flushes, marks the run FINISHED; never throws
if (report.errors.length) console.error(report.errors);
console.log(JSON.stringify({ runId: run.runId, loss, errors: report.errors.length }));
