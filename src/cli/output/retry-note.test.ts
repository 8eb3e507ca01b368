/**
 * A command whose server does not answer retries (as MLflow's client does) for a few seconds; at a terminal it says
 * so on stderr once, instead of looking hung. Piped, the output is only the final error. The terminal is a real
 * pseudo-terminal from util-linux's `script`.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { test } from "node:test";
import { CICLO_BIN, REPO_ROOT, cicloEnv, runCiclo } from "../../testing/child-server.js";
import { freePort } from "../../testing/free-port.js";

test("at a terminal a retrying command says so once; piped it prints only the error", async (t) => {
  if (spawnSync("script", ["--version"]).status !== 0) return t.skip("util-linux's script (a pseudo-terminal) is not installed");
  const uri = `http://127.0.0.1:${await freePort()}`;
  const env = cicloEnv({ CICLO_TRACKING_URI: uri, CICLO_HTTP_REQUEST_MAX_RETRIES: "2", NO_COLOR: "1" });
  const cmd = [process.execPath, CICLO_BIN, "experiments", "list"].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(" ");
  const tty = spawn("script", ["-qfec", cmd, "/dev/null"], { cwd: REPO_ROOT, env, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  tty.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  const code = await new Promise<number | null>((resolve) => tty.once("exit", resolve));
  assert.equal(code, 1, out);
  const notes = out.match(/did not answer/g) ?? [];
  assert.equal(notes.length, 1, out);
  assert.match(out, new RegExp(`ciclo: ${uri.replace(/[.:/]/g, "\\$&")} did not answer \\(ECONNREFUSED\\); retrying up to 2 more times — Ctrl-C to stop\\.`));
  assert.match(out, /Could not reach the tracking server .*3 attempts/);

  const piped = await runCiclo(["experiments", "list"], { CICLO_TRACKING_URI: uri, CICLO_HTTP_REQUEST_MAX_RETRIES: "1" });
  assert.equal(piped.code, 1, piped.stderr);
  assert.doesNotMatch(piped.stderr, /did not answer/);
  assert.match(piped.stderr, /Could not reach the tracking server .*2 attempts/);
});
