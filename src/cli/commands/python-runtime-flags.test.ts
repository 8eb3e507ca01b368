/**
 * The Python runtime's flags take their defaults from CICLO_PYTHON and CICLO_ENV_MANAGER, so that a managed
 * deployment (whose replicas are `ciclo models serve` processes started by the server) can choose its interpreter
 * with `--env CICLO_PYTHON=…`; a flag given on the command line wins.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Command } from "commander";
import { addRuntimeFlags, runtimeChoice, type RuntimeFlags } from "./python-runtime-flags.js";

function parse(args: string[], env: Record<string, string | undefined>): ReturnType<typeof runtimeChoice>["python"] {
  const saved = { CICLO_PYTHON: process.env.CICLO_PYTHON, CICLO_ENV_MANAGER: process.env.CICLO_ENV_MANAGER };
  for (const [k, v] of Object.entries(env)) (v === undefined ? delete process.env[k] : (process.env[k] = v));
  try {
    const cmd = addRuntimeFlags(new Command("serve").exitOverride()).action(() => undefined);
    cmd.parse(args, { from: "user" });
    return runtimeChoice(cmd.opts<RuntimeFlags>()).python;
  } finally {
    for (const [k, v] of Object.entries(saved)) (v === undefined ? delete process.env[k] : (process.env[k] = v));
  }
}

test("--python and --env-manager default to CICLO_PYTHON and CICLO_ENV_MANAGER; flags win", () => {
  assert.deepEqual([parse([], { CICLO_PYTHON: undefined, CICLO_ENV_MANAGER: undefined })].map((p) => [p.python, p.envManager]), [[undefined, "local"]]);
  const fromEnv = parse([], { CICLO_PYTHON: "/opt/py/bin/python3", CICLO_ENV_MANAGER: "virtualenv" });
  assert.deepEqual([fromEnv.python, fromEnv.envManager], ["/opt/py/bin/python3", "virtualenv"]);
  const flags = parse(["--python", "/usr/bin/python3", "--env-manager", "local"], { CICLO_PYTHON: "/opt/py/bin/python3", CICLO_ENV_MANAGER: "virtualenv" });
  assert.deepEqual([flags.python, flags.envManager], ["/usr/bin/python3", "local"]);
});

test("a CICLO_ENV_MANAGER that is not a manager is refused, naming the choices", () => {
  assert.throws(() => parse([], { CICLO_ENV_MANAGER: "pipenv" }), /pipenv.*Allowed choices are local, virtualenv, conda/s);
});
