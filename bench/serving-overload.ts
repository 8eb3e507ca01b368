/**
 * The overload of issue 18 part 2: 512 keep-alive connections, each posting a
 * 5,000-row `dataframe_split` body (~150 KB) to one `ciclo models serve` of
 * the linear-regressor ONNX fixture for 10 s, with a 10 s client timeout.
 * Reports the server's RSS at idle and its peak (VmHWM), the answers by
 * status, 503s without Retry-After, client timeouts and connection errors.
 *
 * With `--python`, the same overload against the Python runtime: a scikit-learn
 * linear regression on the same three columns, saved with the real MLflow 2.10
 * client (the shared oracle, as the tests find it), served by one Python
 * worker process; memory is then the server's and its worker's, summed.
 *
 * Usage: npm run bench:serving-overload [-- --connections 512 --seconds 10 --rows 5000 --workers 1 --python]
 *        extra `ciclo models serve` flags after `--serve`, e.g. `-- --serve --max-inflight-mb 256`
 * Results: printed, and written to bench/results/serving-overload.json (serving-overload-python.json with --python).
 * @module
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { linearModel } from "../src/testing/model-fixtures.js";
import { findMlflowPython } from "../src/testing/mlflow-python.js";
import { dataframeSplitBody, driveOverload, pythonWorkerPids, saveAbcRegressor, startServeProcess, statusField } from "../src/testing/scoring-overload.js";

const argv = process.argv.slice(2);
const at = argv.indexOf("--serve");
const serveArgs = at >= 0 ? argv.slice(at + 1) : [];
const { values } = parseArgs({
  args: at >= 0 ? argv.slice(0, at) : argv,
  options: {
    connections: { type: "string", default: "512" },
    seconds: { type: "string", default: "10" },
    rows: { type: "string", default: "5000" },
    workers: { type: "string", default: "1" },
    "timeout-ms": { type: "string", default: "10000" },
    python: { type: "boolean", default: false },
  },
});

const work = mkdtempSync(join(tmpdir(), "ciclo-bench-overload-"));
const MB = 1024 * 1024;
try {
  let modelDir: string;
  let runtimeArgs: string[] = [];
  let runtimeEnv: Record<string, string> = {};
  if (values.python) {
    const mp = await findMlflowPython("2.10", work);
    if (!mp) throw new Error("--python needs the MLflow 2.10 oracle (see src/testing/mlflow-python.ts)");
    modelDir = join(work, "abc-regressor");
    await saveAbcRegressor(mp, modelDir);
    runtimeArgs = ["--python", mp.python];
    runtimeEnv = mp.env;
  } else modelDir = await linearModel(work);
  const body = dataframeSplitBody(Number(values.rows));
  const server = await startServeProcess(modelDir, ["--workers", values.workers!, "--model-name", "linear", ...runtimeArgs, ...serveArgs], runtimeEnv);
  try {
    // One scored request first, so the idle figure includes a warm model and request path.
    const warm = await fetch(`${server.url}/invocations`, { method: "POST", headers: { "content-type": "application/json" }, body });
    if (warm.status !== 200) throw new Error(`warm-up request answered ${warm.status}: ${await warm.text()}`);
    // The Python runtime's worker processes count too (their pids are read once: the overload must not replace them).
    const workers = values.python ? pythonWorkerPids(server) : [];
    const rss = (field: "VmRSS" | "VmHWM") => workers.reduce((sum, pid) => sum + statusField(pid, field), field === "VmRSS" ? server.rss() : server.peakRss());
    const idle = rss("VmRSS");
    process.stderr.write(
      `Overload: ${values.connections} connections × ${(body.length / 1024).toFixed(0)} KB bodies (${values.rows} rows) for ${values.seconds} s; server idle RSS ${(idle / MB).toFixed(0)} MB…\n`,
    );
    const r = await driveOverload({ url: server.url, body, connections: Number(values.connections), seconds: Number(values.seconds), timeoutMs: Number(values["timeout-ms"]) });
    const peak = rss("VmHWM");
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const metric = (name: string) => Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)`, "m").exec(metrics)?.[1] ?? NaN);
    const estimatedPeak = metric("ciclo_serving_inflight_peak_bytes");
    const result = {
      date: new Date().toISOString(),
      connections: Number(values.connections),
      rows: Number(values.rows),
      bodyBytes: body.length,
      workers: Number(values.workers),
      runtime: values.python ? "python" : "in-process",
      serveArgs,
      idleRssMb: Math.round(idle / MB),
      peakRssMb: Math.round(peak / MB),
      aboveIdleMb: Math.round((peak - idle) / MB),
      estimatedPeakInflightMb: Math.round(estimatedPeak / MB),
      // The server's own guard: its peak reading above the idle it measured at ready, and the 503s it caused.
      measuredPeakAboveIdleMb: Math.round(metric("ciclo_serving_memory_above_idle_peak_bytes") / MB),
      refusedMeasured: metric("ciclo_serving_admission_refused_measured_total"),
      ...r,
      okPerSec: Math.round((r.statuses[200] ?? 0) / r.seconds),
    };
    console.log(JSON.stringify(result, null, 2));
    const dir = fileURLToPath(new URL("./results", import.meta.url));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, values.python ? "serving-overload-python.json" : "serving-overload.json"), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await server.stop();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
