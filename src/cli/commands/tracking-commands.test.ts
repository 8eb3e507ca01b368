/**
 * `ciclo experiments|runs|artifacts` run as the real binary (bin/ciclo.js,
 * TypeScript through tsx) against a live server: stdout, stderr, exit codes.
 */
import assert from "node:assert/strict";
import { createServer, type AddressInfo } from "node:net";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ArtifactClient } from "../../sdk/artifact-client.js";
import { TrackingClient } from "../../sdk/tracking-client.js";
import { runCiclo } from "../../testing/child-server.js";
import { startLiveTrackingServer, type LiveTrackingServer } from "../../testing/live-tracking-server.js";

describe("ciclo experiments / runs / artifacts (binary against a live server)", () => {
  let live: LiveTrackingServer;
  let tracking: TrackingClient;
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCiclo(args, { CICLO_TRACKING_URI: live.url, MLFLOW_TRACKING_URI: "", CICLO_HTTP_REQUEST_MAX_RETRIES: "0", NO_COLOR: "", FORCE_COLOR: "", ...env });
  const json = <T>(r: { stdout: string }) => JSON.parse(r.stdout) as T;
  let runA: string;
  let runB: string;

  before(async () => {
    live = await startLiveTrackingServer();
    tracking = new TrackingClient({ trackingUri: live.url, env: {} });
    const exp = await tracking.createExperiment("cli-runs");
    for (const [name, lr, acc] of [["baseline", "0.1", 0.91], ["tuned", "0.01", 0.93]] as const) {
      const r = await tracking.createRun({ experimentId: exp, runName: name, startTime: 1_700_000_000_000 });
      await tracking.logBatch(r.info.runId, {
        params: [{ key: "lr", value: lr }, { key: "epochs", value: "10" }],
        metrics: [{ key: "acc", value: acc, step: 1 }, { key: "loss", value: 0.25, step: 1 }, ...(name === "tuned" ? [{ key: "f1", value: NaN, step: 1 }] : [])],
        tags: { team: "risk", "mlflow.source.name": "train.py", "ciclo.source.argv": '["train.py"]' },
      });
      await tracking.setTerminated(r.info.runId, "FINISHED", 1_700_000_065_000);
      if (name === "baseline") runA = r.info.runId;
      else runB = r.info.runId;
    }
  });
  after(async () => live.close());

  test("experiments create / list / rename / delete / restore, tables and --json", async () => {
    const created = await cli(["experiments", "create", "cli-vision", "--tag", "team=cv", "--json"]);
    assert.equal(created.code, 0, created.stderr);
    const { experimentId } = json<{ experimentId: string }>(created);
    assert.match(experimentId, /^\d+$/);
    const dup = await cli(["experiments", "create", "cli-vision"]);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /^ciclo experiments create: .*already exists.*\(RESOURCE_ALREADY_EXISTS\)\n$/);

    const list = await cli(["experiments", "list"]);
    assert.equal(list.code, 0, list.stderr);
    const lines = list.stdout.trimEnd().split("\n");
    assert.match(lines[0], /^ID\s+NAME\s+STAGE\s+CREATED\s+ARTIFACT LOCATION$/);
    const row = lines.find((l) => l.includes("cli-vision"))!;
    assert.match(row, new RegExp(`^\\s*${experimentId}  cli-vision\\s+active\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d  mlflow-artifacts:/${experimentId}$`));
    assert.ok(!/\x1b\[/.test(list.stdout), "no colour codes when stdout is not a terminal");
    // Columns line up: every row starts its NAME column where the header's does.
    const nameAt = lines[0].indexOf("NAME");
    for (const l of lines.slice(1)) assert.notEqual(l[nameAt - 1], undefined);

    assert.equal((await cli(["experiments", "rename", "cli-vision", "cli-vision-2"])).code, 0);
    const del = await cli(["experiments", "delete", "cli-vision-2"]);
    assert.equal(del.stdout, `Deleted experiment ${experimentId} ('cli-vision-2').\n`);
    const deleted = json<Array<{ name: string; lifecycleStage: string }>>(await cli(["experiments", "list", "--view", "deleted", "--json"]));
    assert.deepEqual(deleted.map((e) => [e.name, e.lifecycleStage]), [["cli-vision-2", "deleted"]]);
    assert.equal((await cli(["experiments", "restore", experimentId])).code, 0);
    assert.equal((await tracking.getExperiment(experimentId)).lifecycleStage, "active");
  });

  test("runs list: a table with chosen metric and param columns, filters, --json", async () => {
    const r = await cli(["runs", "list", "-e", "cli-runs", "--metric", "acc", "--param", "lr", "--order-by", "metrics.acc DESC"]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    assert.match(lines[0], /^RUN ID\s+NAME\s+STATUS\s+STARTED\s+DURATION\s+lr\s+acc$/);
    assert.match(lines[1], new RegExp(`^${runB}  tuned\\s+FINISHED\\s+\\S+ \\S+\\s+1m 05s\\s+0\\.01\\s+0\\.93$`));
    assert.match(lines[2], new RegExp(`^${runA}  baseline\\s+FINISHED`));
    const filtered = json<Array<{ info: { runId: string } }>>(await cli(["runs", "list", "-e", "cli-runs", "--filter", "params.lr = '0.1'", "--json"]));
    assert.deepEqual(filtered.map((x) => x.info.runId), [runA]);
    const bad = await cli(["runs", "list", "-e", "cli-runs", "--filter", "params.lr =="]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /INVALID_PARAMETER_VALUE/);
  });

  test("runs describe: fields, params, latest metrics, tags (mlflow.* and ciclo.* system tags folded away), and --json", async () => {
    const r = await cli(["runs", "describe", runB]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^run id:\\s+${runB}\\nname:\\s+tuned\\n`));
    assert.match(r.stdout, /Params \(2\)\nKEY\s+VALUE\nepochs\s+10\nlr\s+0\.01\n/);
    assert.match(r.stdout, /Metrics \(3, latest values\)\nKEY\s+VALUE\s+STEP\s+TIME\nacc\s+0\.93\s+1 /);
    assert.match(r.stdout, /f1\s+NaN\s+1 /);
    assert.match(r.stdout, /Tags \(1; \d system tag\(s\) hidden, see --system-tags\)\nKEY\s+VALUE\nteam\s+risk\n/);
    assert.doesNotMatch(r.stdout, /ciclo\.source\.argv|mlflow\.source\.name/);
    for (const flag of ["--system-tags", "--all-tags"]) {
      const all = await cli(["runs", "describe", runB, flag]);
      assert.match(all.stdout, /mlflow\.source\.name\s+train\.py/);
      assert.match(all.stdout, /ciclo\.source\.argv\s+\["train\.py"\]/);
    }
    const j = json<{ info: { runId: string }; data: { metrics: Array<{ key: string; value: unknown }> } }>(await cli(["runs", "describe", runB, "--json"]));
    assert.equal(j.info.runId, runB);
    assert.equal(j.data.metrics.find((m) => m.key === "f1")?.value, "NaN");
  });

  test("runs compare: side by side, differences marked ≠, --only-diff, --json", async () => {
    const r = await cli(["runs", "compare", runA, runB]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    assert.match(lines[0], new RegExp(`KEY\\s+baseline \\(…${runA.slice(-8)}\\)\\s+tuned \\(…${runB.slice(-8)}\\)$`));
    const row = (key: string) => lines.find((l) => new RegExp(`\\s${key}\\s`).test(l))!;
    assert.match(row("epochs"), /^\s+param\s+epochs\s+10\s+10$/);
    assert.match(row("lr"), /^≠\s+param\s+lr\s+0\.1\s+0\.01$/);
    assert.match(row("acc"), /^≠\s+metric\s+acc\s+0\.91\s+0\.93$/);
    assert.match(row("loss"), /^\s+metric\s+loss\s+0\.25\s+0\.25$/);
    assert.match(row("f1"), /^≠\s+metric\s+f1\s+-\s+NaN$/);
    assert.match(r.stderr, /3 of 5 row\(s\) differ/);
    const only = await cli(["runs", "compare", runA, runB, "--only-diff"]);
    assert.ok(!/epochs/.test(only.stdout));
    const j = json<{ params: Array<{ key: string; values: unknown[]; differs: boolean }>; metrics: Array<{ key: string; values: unknown[] }> }>(
      await cli(["runs", "compare", `${runA},${runB}`, "--json"]),
    );
    assert.deepEqual(j.params.find((p) => p.key === "lr"), { key: "lr", values: ["0.1", "0.01"], differs: true });
    assert.deepEqual(j.metrics.find((m) => m.key === "f1")?.values, [null, "NaN"]);
    const colored = await cli(["runs", "compare", runA, runB], { FORCE_COLOR: "1" });
    assert.match(colored.stdout, /\x1b\[33m≠/);
    const noColor = await cli(["runs", "compare", runA, runB], { FORCE_COLOR: "1", NO_COLOR: "1" });
    assert.ok(!/\x1b\[/.test(noColor.stdout));
  });

  test("runs delete / restore, several ids", async () => {
    const exp = await tracking.createExperiment("cli-delete");
    const ids = [(await tracking.createRun({ experimentId: exp })).info.runId, (await tracking.createRun({ experimentId: exp })).info.runId];
    const del = await cli(["runs", "delete", ...ids]);
    assert.equal(del.stdout, ids.map((id) => `Deleted run ${id}.\n`).join(""));
    for (const id of ids) assert.equal((await tracking.getRun(id)).info.lifecycleStage, "deleted");
    assert.equal((await cli(["runs", "restore", ids.join(",")])).code, 0);
    for (const id of ids) assert.equal((await tracking.getRun(id)).info.lifecycleStage, "active");
  });

  test("artifacts log (file and folder), list, download: bytes arrive intact", async () => {
    const src = join(live.dir, "upload");
    mkdirSync(join(src, "model", "sub"), { recursive: true });
    const bin = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256));
    writeFileSync(join(src, "model", "weights.bin"), bin);
    writeFileSync(join(src, "model", "sub", "MLmodel"), "flavors: {}\n");
    writeFileSync(join(src, "notes.txt"), "hello");
    const up = await cli(["artifacts", "log", runA, join(src, "model"), "--artifact-path", "model"]);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, new RegExp(`^Uploaded 2 file\\(s\\), 68\\.4 KiB, to run ${runA} under 'model'\\.\\n$`));
    assert.equal((await cli(["artifacts", "log", runA, join(src, "notes.txt")])).code, 0);

    const list = await cli(["artifacts", "list", runA]);
    assert.deepEqual(list.stdout.trimEnd().split("\n"), ["PATH       SIZE", "model/", "notes.txt   5 B"]);
    const rec = json<Array<{ path: string; fileSize: number }>>(await cli(["artifacts", "list", runA, "-r", "--json"]));
    assert.deepEqual(rec.map((f) => [f.path, f.fileSize]), [["model/sub/MLmodel", 12], ["model/weights.bin", 70_000], ["notes.txt", 5]]);

    const dest = join(live.dir, "dl");
    const dl = await cli(["artifacts", "download", runA, "model", "-d", dest]);
    assert.equal(dl.code, 0, dl.stderr);
    assert.equal(dl.stdout, `${join(dest, "model")}\n`);
    assert.match(dl.stderr, /Downloaded 2 file\(s\), 68\.4 KiB\./);
    assert.deepEqual(readFileSync(join(dest, "model", "weights.bin")), bin);
    const viaUri = await cli(["artifacts", "download", `runs:/${runA}/notes.txt`, "-d", join(live.dir, "dl2"), "--json"]);
    assert.deepEqual(json<{ localPath: string; files: number; bytes: number }>(viaUri), { localPath: join(live.dir, "dl2", "notes.txt"), files: 1, bytes: 5 });
    const missing = await cli(["artifacts", "download", runA, "nope.txt", "-d", dest]);
    assert.equal(missing.code, 3, missing.stderr);
    const a = new ArtifactClient(tracking, { env: {} });
    assert.equal((await a.listArtifacts(runA, "model")).length, 2);
  });

  test("exit codes: 2 usage, 3 not found, 1 server unreachable; --tracking-uri and MLFLOW_TRACKING_URI are honoured", async () => {
    const usage = await Promise.all([
      cli(["runs", "list"]),
      cli(["runs", "compare", runA]),
      cli(["experiments", "list", "--bogus"]),
      cli(["experiments", "list", "--view", "sideways"]),
      cli(["experiments"]),
      cli(["runs", "lst"]),
    ]);
    for (const u of usage) assert.equal(u.code, 2, u.stderr);
    assert.match(usage[1].stderr, /needs at least two run ids[\s\S]*Run 'ciclo runs compare --help'/);
    assert.match(usage[2].stderr, /unknown option '--bogus'/);
    const notFound = await Promise.all([cli(["runs", "describe", "0123456789abcdef0123456789abcdef"]), cli(["experiments", "delete", "no-such-experiment"]), cli(["runs", "list", "-e", "nope"])]);
    for (const n of notFound) assert.equal(n.code, 3, n.stderr);
    assert.match(notFound[0].stderr, /^ciclo runs describe: Run with id=0123456789abcdef0123456789abcdef not found \(RESOURCE_DOES_NOT_EXIST\)\n$/);
    assert.equal(notFound[2].stderr, "ciclo runs list: No experiment with id or name 'nope'. 'ciclo experiments list' lists them.\n");
    // A typo in an experiment's name: the names it probably meant.
    const typo = await cli(["runs", "list", "-e", "cli-rnus"]);
    assert.equal(typo.code, 3);
    assert.equal(typo.stderr, "ciclo runs list: No experiment with id or name 'cli-rnus'. Did you mean 'cli-runs'?\n");
    // A tracking URI without its scheme, or with the API's path: what was probably meant.
    const bare = await cli(["experiments", "list", "--tracking-uri", live.url.replace(/^http:\/\//, "")]);
    assert.equal(bare.code, 1);
    assert.match(bare.stderr, new RegExp(`Did you mean '${live.url.replace(/\./g, "\\.")}'\\?`));
    const apiPath = await cli(["experiments", "list", "--tracking-uri", `${live.url}/api/2.0/mlflow`]);
    assert.equal(apiPath.code, 1);
    assert.match(apiPath.stderr, /without the API path\. Did you mean 'http:\/\/127\.0\.0\.1:\d+'\?/);
    const down = await cli(["experiments", "list", "--tracking-uri", "http://127.0.0.1:1"]);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /Could not reach the tracking server at http:\/\/127\.0\.0\.1:1/);
    // Nothing listening (a port just freed): the message says what to do.
    const closed = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const refused = await cli(["experiments", "list", "--tracking-uri", `http://127.0.0.1:${closed}`], { CICLO_HTTP_REQUEST_MAX_RETRIES: "0" });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /ECONNREFUSED \(TEMPORARILY_UNAVAILABLE\)\nIs a ciclo server running there\? Start one with 'ciclo server', or name yours with --tracking-uri or CICLO_TRACKING_URI\.\n$/);
    const viaFlag = await cli(["experiments", "list", "--json", "--tracking-uri", live.url], { CICLO_TRACKING_URI: "http://127.0.0.1:1" });
    assert.equal(viaFlag.code, 0, viaFlag.stderr);
    const viaMlflowEnv = await cli(["experiments", "list", "--json"], { CICLO_TRACKING_URI: "", MLFLOW_TRACKING_URI: live.url });
    assert.equal(viaMlflowEnv.code, 0, viaMlflowEnv.stderr);
    const help = await cli(["runs", "compare", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Examples:\n  \$ ciclo runs compare/);
  });
});
