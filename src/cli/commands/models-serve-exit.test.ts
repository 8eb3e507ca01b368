/**
 * `ciclo models serve -m models:/…` downloads the model to a temporary
 * folder; every way the command ends removes it: the port in use
 * (EADDRINUSE), a model that fails to load, SIGTERM and SIGINT once serving,
 * SIGINT while the model is still loading, and a failing startup (an address
 * it cannot listen on). Each run gets its own TMPDIR, so "no ciclo-model-*
 * folder left" is about this process alone. Also: the default port is 8080,
 * not the tracking server's 5000.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo, type Server } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, test } from "node:test";
import { ArtifactClient } from "../../sdk/artifact-client.js";
import { SCORING_DEFAULTS } from "../../serving/online/scoring-options.js";
import { runCiclo, spawnCiclo } from "../../testing/child-server.js";
import { startLiveTrackingServer, type LiveTrackingServer } from "../../testing/live-tracking-server.js";
import { linearModel } from "../../testing/model-fixtures.js";
import { tempDir } from "../../testing/temp-dir.js";

const tmp = tempDir("ciclo-serve-exit-");
let tracking: LiveTrackingServer;

before(async () => {
  tracking = await startLiveTrackingServer();
  const client = new ArtifactClient({ trackingUri: tracking.url });
  for (const [name, broken] of [["fraud", false], ["broken", true]] as const) {
    const dir = await linearModel(tmp.path, name);
    if (broken) writeFileSync(join(dir, "model.onnx"), "not an onnx model");
    const run = await client.tracking.createRun({ experimentId: "0" });
    await client.logArtifacts(run.info.runId, dir, "model");
    await client.registry.registerModel(`runs:/${run.info.runId}/model`, name);
  }
});
after(async () => {
  await tracking.close();
  tmp.remove();
});

/** A fresh TMPDIR for one child, and the model folders left in it. */
function scratchTmp(): { env: NodeJS.ProcessEnv; leftovers(): string[] } {
  const dir = mkdtempSync(join(tmp.path, "tmpdir-"));
  return { env: { TMPDIR: dir }, leftovers: () => readdirSync(dir).filter((f) => f.startsWith("ciclo-model-")) };
}

/** Starts the command; resolves log lines by `msg` as they come, and the exit. */
function serve(args: string[], env: NodeJS.ProcessEnv) {
  const proc = spawnCiclo(["models", "serve", "--tracking-uri", tracking.url, ...args], env);
  let stderr = "";
  proc.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const seen = new Map<string, () => void>();
  const logs = new Set<string>();
  createInterface({ input: proc.stdout! }).on("line", (l) => {
    try {
      const msg = (JSON.parse(l) as { msg: string }).msg;
      logs.add(msg);
      seen.get(msg)?.();
    } catch {
      /* not a log line */
    }
  });
  const exited = new Promise<number | null>((r) => proc.once("exit", (c) => r(c)));
  return {
    proc,
    exited,
    stderr: () => stderr,
    waitFor: (msg: string) =>
      new Promise<void>((resolve, reject) => {
        if (logs.has(msg)) return resolve();
        seen.set(msg, resolve);
        void exited.then((c) => reject(new Error(`exited (${c}) before '${msg}': ${stderr}`)));
      }),
  };
}

describe("ciclo models serve removes its downloaded model on every exit path", () => {
  test("the default port is 8080, not the tracking server's 5000", () => {
    assert.equal(SCORING_DEFAULTS.port, 8080);
  });

  test("port in use (EADDRINUSE): exit 1, a message that says what to do, no folder left", async () => {
    const busy: Server = createServer();
    await new Promise<void>((r) => busy.listen(0, "127.0.0.1", r));
    try {
      const port = (busy.address() as AddressInfo).port;
      const t = scratchTmp();
      const r = await runCiclo(["models", "serve", "-m", "models:/fraud/1", "--tracking-uri", tracking.url, "-p", String(port)], t.env);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`Port ${port} on 127\\.0\\.0\\.1 is already in use.*-p 0`));
      assert.deepEqual(t.leftovers(), []);
    } finally {
      busy.close();
    }
  });

  test("a model that fails to load: exit 1 with the reason, no folder left", async () => {
    const t = scratchTmp();
    const r = await runCiclo(["models", "serve", "-m", "models:/broken/1", "--tracking-uri", tracking.url, "-p", "0"], t.env);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /failed to load the model/);
    assert.deepEqual(t.leftovers(), []);
  });

  test("an address it cannot listen on (startup fails): exit 1, no folder left", async () => {
    const t = scratchTmp();
    const r = await runCiclo(["models", "serve", "-m", "models:/fraud/1", "--tracking-uri", tracking.url, "-h", "192.0.2.1", "-p", "0"], t.env);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /Cannot listen on 192\.0\.2\.1:0 \(EADDRNOTAVAIL\)/);
    assert.deepEqual(t.leftovers(), []);
  });

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    test(`${signal} while serving: drains, exits 0, no folder left`, async () => {
      const t = scratchTmp();
      const s = serve(["-m", "models:/fraud/1", "-p", "0", "--workers", "1"], t.env);
      await s.waitFor("ciclo scoring server ready");
      assert.equal(t.leftovers().length, 1, "the model was downloaded to TMPDIR");
      s.proc.kill(signal);
      assert.equal(await s.exited, 0, s.stderr());
      assert.deepEqual(t.leftovers(), []);
    });
  }

  test("SIGINT while the model is still loading: no folder left", async () => {
    const t = scratchTmp();
    const s = serve(["-m", "models:/fraud/1", "-p", "0", "--workers", "1"], t.env);
    await s.waitFor("ciclo scoring server listening"); // listening, model not yet loaded
    s.proc.kill("SIGINT");
    const code = await s.exited;
    assert.ok(code === 0 || code === 1, `exit ${code}: ${s.stderr()}`);
    assert.deepEqual(t.leftovers(), []);
  });
});
