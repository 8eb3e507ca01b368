/**
 * `--env-manager virtualenv --pip-index-url <url>`: the model's
 * requirements are installed from the index named, here a PEP 503 index
 * served by the test on loopback (testing/pip-index.ts) holding a small
 * wheel in two versions; the environment then imports the version the
 * model's requirements.txt pins.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pipUnavailable, startPipIndex, type PipIndex } from "../../testing/pip-index.js";
import { tempDir } from "../../testing/temp-dir.js";
import { preparePythonEnvironment } from "./python-environment.js";

const PYTHON = "/usr/bin/python3";
const tmp = tempDir("ciclo-venv-index-");
let unavailable: string | undefined;
let index: PipIndex | undefined;

before(async () => {
  unavailable = !existsSync(PYTHON)
    ? `${PYTHON} does not exist`
    : (pipUnavailable(PYTHON) ?? (spawnSync(PYTHON, ["-c", "import ensurepip, venv"]).status === 0 ? undefined : `${PYTHON} cannot make virtualenvs (apt-get install python3-venv)`));
  if (unavailable) {
    if (process.env.CICLO_REQUIRE_ALL === "1") throw new Error(`${unavailable} (CICLO_REQUIRE_ALL=1 forbids skipping)`);
    console.log(`# SKIP virtualenv index test: ${unavailable}`);
    return;
  }
  index = await startPipIndex(tmp.path, ["1.0", "1.1"], PYTHON);
});
after(async () => {
  await index?.close();
  tmp.remove();
});

test("a virtualenv installs the model's requirements from --pip-index-url", async (t) => {
  if (unavailable) return t.skip(unavailable);
  const model = join(tmp.path, "model");
  mkdirSync(model, { recursive: true });
  writeFileSync(join(model, "requirements.txt"), "ciclo-tiny==1.0\n");
  const env = await preparePythonEnvironment(model, { envManager: "virtualenv", python: PYTHON, cacheDir: join(tmp.path, "envs"), pipIndexUrl: index!.url });
  assert.ok(index!.asked.includes("/files/ciclo_tiny-1.0-py3-none-any.whl"), `pip downloaded the pinned wheel from the index: ${index!.asked.join(" ")}`);
  const r = spawnSync(env.python, ["-c", "import ciclo_tiny; print(ciclo_tiny.VERSION)"], { encoding: "utf8", env: { PATH: process.env.PATH ?? "" } });
  assert.equal(r.stdout.trim(), "1.0", r.stderr);
});
