/**
 * `ciclo models …` and `ciclo gc` run as the real binary against a live server.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ArtifactClient } from "../../sdk/artifact-client.js";
import { RegistryClient } from "../../sdk/registry-client.js";
import { TrackingClient } from "../../sdk/tracking-client.js";
import { runCiclo } from "../../testing/child-server.js";
import { startLiveTrackingServer, type LiveTrackingServer } from "../../testing/live-tracking-server.js";

describe("ciclo models / gc (binary against a live server)", () => {
  let live: LiveTrackingServer;
  let tracking: TrackingClient;
  let artifacts: ArtifactClient;
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCiclo(args, { CICLO_TRACKING_URI: live.url, CICLO_HTTP_REQUEST_MAX_RETRIES: "0", NO_COLOR: "", FORCE_COLOR: "", ...env });
  const json = <T>(r: { stdout: string }) => JSON.parse(r.stdout) as T;
  let exp: string;
  const newRun = async (name: string) => {
    const r = await tracking.createRun({ experimentId: exp, runName: name });
    await artifacts.logText(r.info.runId, "flavors: {}\n", "model/MLmodel");
    await artifacts.logText(r.info.runId, "weights", "model/weights.bin");
    return r.info.runId;
  };

  before(async () => {
    live = await startLiveTrackingServer();
    tracking = new TrackingClient({ trackingUri: live.url, env: {} });
    artifacts = new ArtifactClient(tracking, { env: {} });
    exp = await tracking.createExperiment("cli-models");
  });
  after(async () => live.close());

  test("register, alias, transition, list, describe, download, history", async () => {
    const run1 = await newRun("v1");
    const run2 = await newRun("v2");
    const reg = await cli(["models", "register", `runs:/${run1}/model`, "fraud", "--tag", "validated=true"]);
    assert.equal(reg.code, 0, reg.stderr);
    assert.equal(reg.stdout, `Registered 'fraud' version 1 from runs:/${run1}/model (READY).\n`);
    const v2 = json<{ version: string; runId: string }>(await cli(["models", "register", `runs:/${run2}/model`, "fraud", "--json"]));
    assert.deepEqual([v2.version, v2.runId], ["2", run2]);

    assert.equal((await cli(["models", "alias", "fraud", "champion", "1"])).stdout, "'fraud@champion' now points at version 1.\n");
    assert.equal((await cli(["models", "alias", "fraud", "challenger", "2"])).code, 0);
    assert.equal((await cli(["models", "alias", "fraud", "challenger", "--delete"])).stdout, "Removed alias 'challenger' of 'fraud'.\n");
    assert.equal((await cli(["models", "transition", "fraud", "2", "Production"])).stdout, "'fraud' version 2 is now in Production.\n");
    const badStage = await cli(["models", "transition", "fraud", "2", "Live"]);
    assert.equal(badStage.code, 1);
    assert.match(badStage.stderr, /INVALID_PARAMETER_VALUE/);

    const list = await cli(["models", "list"]);
    assert.match(list.stdout, /^NAME\s+LATEST\s+ALIASES\s+UPDATED\s+DESCRIPTION\nfraud\s+2\s+champion→1\s+\d{4}-/);
    const desc = await cli(["models", "describe", "fraud"]);
    assert.match(desc.stdout, /^name:\s+fraud\n/);
    // A typo in the name: the registered models it probably meant; nothing close: where to see them all.
    const typo = await cli(["models", "describe", "fruad"]);
    assert.equal(typo.code, 3);
    assert.match(typo.stderr, /^ciclo models describe: Registered Model with name=fruad not found\. Did you mean 'fraud'\?\n$/);
    const far = await cli(["models", "describe", "churn"]);
    assert.equal(far.code, 3);
    assert.match(far.stderr, /not found\. 'ciclo models list' lists them\.\n$/);
    assert.match(desc.stdout, /Versions \(2\)\nVERSION\s+STAGE\s+STATUS\s+ALIASES\s+RUN ID\s+CREATED\s+SOURCE\n\s+2\s+Production\s+READY\s+/);
    assert.match(desc.stdout, new RegExp(`\\n\\s+1\\s+None\\s+READY\\s+champion\\s+${run1}\\s`));
    const version = json<{ tags: Array<{ key: string; value: string }>; aliases: string[] }>(await cli(["models", "describe", "fraud", "1", "--json"]));
    assert.deepEqual(version.tags, [{ key: "validated", value: "true" }]);
    assert.deepEqual(version.aliases, ["champion"]);
    // An alias names a version too; a version or alias the model lacks says what it has.
    const byAlias = json<{ version: string }>(await cli(["models", "describe", "fraud", "@champion", "--json"]));
    assert.equal(byAlias.version, "1");
    assert.match((await cli(["models", "describe", "fraud", "champion"])).stdout, /^name:\s+fraud\nversion:\s+1\n/);
    const noVersion = await cli(["models", "describe", "fraud", "9"]);
    assert.equal(noVersion.code, 3);
    assert.equal(noVersion.stderr, "ciclo models describe: The model 'fraud' has no version 9. Its versions are 1, 2; its aliases champion→1.\n");
    const noAlias = await cli(["models", "describe", "fraud", "@prod"]);
    assert.equal(noAlias.code, 3);
    assert.match(noAlias.stderr, /has no alias 'prod'\. Its versions are 1, 2; its aliases champion→1\.\n$/);
    const noModel = await cli(["models", "describe", "fruad", "1"]);
    assert.equal(noModel.code, 3);
    assert.match(noModel.stderr, /Registered Model with name=fruad not found\. Did you mean 'fraud'\?\n$/);

    const dest = join(live.dir, "serving");
    const dl = await cli(["models", "download", "fraud", "--alias", "champion", "-d", dest]);
    assert.equal(dl.code, 0, dl.stderr);
    assert.equal(dl.stdout, `${dest}\n`);
    assert.equal(readFileSync(join(dest, "MLmodel"), "utf8"), "flavors: {}\n");
    assert.equal(readFileSync(join(dest, "weights.bin"), "utf8"), "weights");
    const v2files = json<{ localPath: string; files: number }>(await cli(["models", "download", "fraud", "2", "-d", join(live.dir, "v2"), "--json"]));
    assert.deepEqual(v2files, { localPath: join(live.dir, "v2"), files: 2, bytes: 19, modelUri: "models:/fraud/2" });
    const latest = json<{ modelUri: string; files: number }>(await cli(["models", "download", "fraud", "-d", join(live.dir, "latest"), "--json"]));
    assert.deepEqual([latest.modelUri, latest.files], ["models:/fraud/latest", 2]);
    assert.equal((await cli(["models", "download", "models:/fraud/1", "--alias", "x"])).code, 2);
    assert.equal((await cli(["models", "download", "fraud", "1", "--alias", "x"])).code, 2);
    assert.equal((await cli(["models", "download", "models:/fraud/9", "-d", dest])).code, 3);

    const hist = await cli(["models", "history", "fraud"]);
    assert.equal(hist.code, 0, hist.stderr);
    const rows = hist.stdout.trimEnd().split("\n");
    assert.match(rows[0], /^TIME\s+ACTOR\s+VERSION\s+ENTITY\s+ACTION\s+KEY\s+CHANGE$/);
    assert.ok(rows.some((r) => /\s2\s+model version\s+transitioned\s+current_stage\s+None → Production$/.test(r)), hist.stdout);
    assert.ok(rows.some((r) => /registered model alias\s+deleted\s+challenger\s+\(was 2\)$/.test(r)), hist.stdout);
    const events = json<Array<{ entity: string; action: string }>>(await cli(["models", "history", "fraud", "--json"]));
    assert.ok(events.length >= 7);
    assert.equal((await cli(["models", "history", "nope"])).code, 3);
  });

  test("gc: --dry-run lists, gc purges with the artifacts, a registered run is kept, bad ages are usage errors", async () => {
    const keep = await newRun("kept-by-registry");
    await new RegistryClient(tracking.http).registerModel(`runs:/${keep}/model`, "gc-guard");
    const gone = await newRun("doomed");
    const active = await newRun("active");
    await tracking.deleteRun(gone);
    await tracking.deleteRun(keep);
    const runDir = (id: string) => join(live.dir, "artifacts", exp, id);
    assert.ok(existsSync(runDir(gone)));

    const dry = await cli(["gc", "--dry-run"]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`Would purge 1 run\\(s\\):\\nRUN ID\\s+EXPERIMENT\\s+NAME\\s+DELETED\\n${gone}\\s+${exp}\\s+doomed\\s+\\d{4}-`));
    assert.match(dry.stdout, new RegExp(`Kept 1 deleted item\\(s\\):\\nKIND\\s+ID\\s+REASON\\nrun\\s+${keep}\\s+is the source of model version 'gc-guard' version 1`));
    assert.match(dry.stdout, /Would purge 0 experiment\(s\), 1 run\(s\), 0 logged model\(s\) \(dry run: nothing was deleted\)\.\n$/);
    assert.ok(existsSync(runDir(gone)));

    const recent = json<{ runs: unknown[] }>(await cli(["gc", "--older-than", "1d", "--json"]));
    assert.deepEqual(recent.runs, []);

    const refused = await cli(["gc", "--run-ids", keep]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /model version 'gc-guard' version 1/);

    const purged = await cli(["gc", "--json"]);
    assert.equal(purged.code, 0, purged.stderr);
    const report = json<{ dryRun: boolean; runs: Array<{ runId: string }>; skipped: Array<{ id: string }>; artifactErrors: unknown[] }>(purged);
    assert.equal(report.dryRun, false);
    assert.deepEqual(report.runs.map((r) => r.runId), [gone]);
    assert.deepEqual(report.skipped.map((s) => s.id), [keep]);
    assert.equal(existsSync(runDir(gone)), false);
    assert.ok(existsSync(runDir(keep)) && existsSync(runDir(active)));
    assert.equal((await cli(["runs", "describe", gone])).code, 3);
    assert.equal((await tracking.getRun(active)).info.lifecycleStage, "active");

    const nothing = await cli(["gc"]);
    assert.equal(nothing.stdout.trimEnd().split("\n").pop(), "Nothing to purge.");
    for (const args of [["gc", "--older-than", "30"], ["gc", "--older-than", "soon"]]) {
      const r = await cli(args);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /--older-than expects an age like 30d/);
    }
    const unknown = await cli(["gc", "--run-ids", "0123456789abcdef0123456789abcdef"]);
    assert.equal(unknown.code, 3, unknown.stderr);
    const activeNamed = await cli(["gc", "--run-ids", active]);
    assert.equal(activeNamed.code, 1);
    assert.match(activeNamed.stderr, /not in the 'deleted' lifecycle stage/);
  });
});
