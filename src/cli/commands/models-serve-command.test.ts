/**
 * `ciclo models serve` flags as MLflow has them: `-h` is the host (help only on
 * `--help`), bad numbers are usage errors (exit 2), a folder without MLmodel fails (exit 1).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runCiclo } from "../../testing/child-server.js";

test("--help is help; -h is the host", async () => {
  const r = await runCiclo(["models", "serve", "--help"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /-h, --host <host>/);
  assert.match(r.stdout, /-m, --model-uri <uri>/);
  assert.match(r.stdout, /--max-batch-size/);
  assert.match(r.stdout, /--log-requests <file\|tracking>/);
});

test("bad flags exit 2; a folder that is not a model exits 1 with the reason", async () => {
  const bad = await runCiclo(["models", "serve", "-m", ".", "-h", "127.0.0.1", "-p", "eighty"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--port must be an integer/);
  const notModel = await runCiclo(["models", "serve", "-m", "docs", "-p", "0"]);
  assert.equal(notModel.code, 1);
  assert.match(notModel.stderr, /no MLmodel file/);
});
