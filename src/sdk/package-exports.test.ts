/**
 * `import { startRun, logMetric } from "ciclo"` as a user gets it: the SDK is
 * compiled (JS + .d.ts) into a temp copy of the package, installed into a
 * temp app through node_modules, then an ESM script logs a run to a live
 * server and a TypeScript file type-checks against the declarations.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, test } from "node:test";
import { startLiveTrackingServer, type LiveTrackingServer } from "../testing/live-tracking-server.js";
import { tempDir } from "../testing/temp-dir.js";
import { TrackingClient } from "./tracking-client.js";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TSC = join(ROOT, "node_modules/typescript/bin/tsc");

let live: LiveTrackingServer;
const work = tempDir("ciclo-pkg-");
const pkg = join(work.path, "pkg");
const app = join(work.path, "app");

before(async () => {
  live = await startLiveTrackingServer();
  mkdirSync(join(app, "node_modules"), { recursive: true });
  mkdirSync(pkg);
  copyFileSync(join(ROOT, "package.json"), join(pkg, "package.json"));
  symlinkSync(join(ROOT, "node_modules"), join(pkg, "node_modules"));
  symlinkSync(pkg, join(app, "node_modules", "ciclo"));
  await run(process.execPath, [TSC, "-p", join(ROOT, "tsconfig.sdk-types.json"), "--emitDeclarationOnly", "false", "--outDir", join(pkg, "dist")]);
});
after(async () => {
  await live.close();
  work.remove();
});

test("an ESM script imports the fluent API from 'ciclo' and logs a run", async () => {
  writeFileSync(
    join(app, "train.mjs"),
    `import { setExperiment, startRun, logParam, logMetric, logText, endRun, downloadArtifacts, Ciclo, TrackingClient, MlflowError, RegistryClient } from "ciclo";
await setExperiment("from-package");
const run = await startRun({ runName: "pkg" });
logParam("lr", 0.1);
for (let step = 0; step < 3; step++) logMetric("loss", 1 / (step + 1), step);
await logText("from the package", "notes.txt");
const report = await endRun();
const notes = await downloadArtifacts(\`runs:/\${run.runId}/notes.txt\`, "downloaded");
let deep = "importable";
try { await import("ciclo/dist/server/app.js"); } catch (e) { deep = e.code; }
console.log(JSON.stringify({ runId: run.runId, errors: report.errors.length, deep, notes: (await import("node:fs")).readFileSync(notes, "utf8"),
  types: [typeof Ciclo, typeof TrackingClient, typeof MlflowError, typeof RegistryClient] }));
`,
  );
  const { stdout } = await run(process.execPath, ["train.mjs"], { cwd: app, env: { ...process.env, CICLO_TRACKING_URI: live.url } });
  const out = JSON.parse(stdout);
  assert.deepEqual([out.errors, out.deep, out.notes, out.types], [0, "ERR_PACKAGE_PATH_NOT_EXPORTED", "from the package", ["function", "function", "function", "function"]]);
  const client = new TrackingClient({ trackingUri: live.url, env: {} });
  const got = await client.getRun(out.runId);
  assert.deepEqual([got.info.runName, got.info.status, got.data.params], ["pkg", "FINISHED", [{ key: "lr", value: "0.1" }]]);
  assert.equal((await client.getAllMetricHistory(out.runId, "loss")).length, 3);
});

test("a TypeScript app type-checks against the package's declarations", async () => {
  writeFileSync(
    join(app, "train.ts"),
    `import { startRun, logMetric, TrackingClient, type Run, type FlushReport, endRun } from "ciclo";
const active = await startRun({ runName: "typed", nested: false, tags: { a: "1" } });
const id: string = active.runId;
logMetric("loss", 0.5, 1);
const report: FlushReport = await endRun("FINISHED");
const runs: Run[] = await new TrackingClient({ trackingUri: "http://127.0.0.1:5000" }).searchAllRuns({ experimentIds: ["0"] });
// @ts-expect-error a metric value must be a number
logMetric("loss", "high");
// @ts-expect-error an unknown status
await endRun("DONE");
export { id, report, runs };
`,
  );
  writeFileSync(
    join(app, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", strict: true, noEmit: true, skipLibCheck: true, types: ["node"], typeRoots: [join(ROOT, "node_modules/@types")] },
      files: ["train.ts"],
    }),
  );
  writeFileSync(join(app, "package.json"), JSON.stringify({ type: "module" }));
  const res = await run(process.execPath, [TSC, "-p", app]).catch((e: { stdout: string; code: number }) => e);
  assert.equal((res as { stdout: string }).stdout, "", (res as { stdout: string }).stdout);
});
