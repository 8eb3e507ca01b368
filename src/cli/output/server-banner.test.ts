/**
 * `ciclo server` at a terminal prints where it runs, where its data is and how to point the mlflow client at it;
 * piped (as tools and these tests' other child servers run it), it prints only its JSON log. The terminal is a
 * real pseudo-terminal from util-linux's `script`.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { CICLO_BIN, REPO_ROOT, cicloEnv, startChildServer } from "../../testing/child-server.js";
import { tempDir } from "../../testing/temp-dir.js";
import { serverBanner } from "./server-banner.js";

test("the banner names the address, the stores, the mlflow variable and sign-in when required", () => {
  const open = serverBanner({ url: "http://127.0.0.1:5000", version: "1.2.3", backendStore: "sqlite:///data/ciclo.db", artifacts: "/data/artifacts", auth: false });
  assert.match(open, /ciclo 1\.2\.3 is running at http:\/\/127\.0\.0\.1:5000/);
  assert.match(open, /metadata: +sqlite:\/\/\/data\/ciclo\.db/);
  assert.match(open, /artifacts: +\/data\/artifacts/);
  assert.match(open, /export MLFLOW_TRACKING_URI=http:\/\/127\.0\.0\.1:5000/);
  assert.doesNotMatch(open, /sign-in/);
  const locked = serverBanner({ url: "http://[::1]:8080", version: "1.2.3", backendStore: "postgresql://ciclo:***@db/ciclo", auth: true });
  assert.match(locked, /sign-in: +required/);
  assert.doesNotMatch(locked, /artifacts:/);
});

test("at a terminal the server prints the banner with the address it listens on; piped, it does not", async (t) => {
  if (spawnSync("script", ["--version"]).status !== 0) return t.skip("util-linux's script (a pseudo-terminal) is not installed");
  const dir = tempDir("ciclo-banner-");
  t.after(() => dir.remove());
  const db = `sqlite:///${join(dir.path, "ciclo.db")}`;
  const cmd = [process.execPath, CICLO_BIN, "server", "--port", "0", "--host", "127.0.0.1", "--backend-store-uri", db, "--artifacts-destination", join(dir.path, "artifacts")]
    .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
    .join(" ");
  const tty = spawn("script", ["-qfec", cmd, "/dev/null"], { cwd: REPO_ROOT, env: cicloEnv(), stdio: ["pipe", "pipe", "pipe"] });
  t.after(() => void tty.kill("SIGTERM"));
  let out = "";
  const url = await new Promise<string>((resolve, reject) => {
    tty.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const m = /is running at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]);
    });
    tty.once("exit", (code) => reject(new Error(`the server exited (${code}) before its banner:\n${out}`)));
  });
  assert.match(out, new RegExp(`metadata: +${db.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}`));
  assert.match(out, new RegExp(`export MLFLOW_TRACKING_URI=${url.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}`));
  const health = await fetch(`${url}/health`);
  assert.equal(health.status, 200, "the banner's address is the server's");
  await health.text();

  const piped = await startChildServer(`sqlite:///${join(dir.path, "piped.db")}`, join(dir.path, "artifacts"));
  try {
    assert.ok(piped.logs.some((l) => l.msg === "ciclo server listening"));
    assert.doesNotMatch(piped.stderr(), /is running at/);
  } finally {
    piped.proc.kill("SIGTERM");
    await piped.exited;
  }
});
