import assert from "node:assert/strict";
import { test } from "node:test";
import { buildProgram } from "./main.js";

test("the CLI loads only the command it runs: none for --version, all for --help", async () => {
  const names = async (...args: string[]) => (await buildProgram(["node", "ciclo", ...args])).commands.map((c) => c.name());
  assert.deepEqual(await names("--version"), []);
  assert.deepEqual(await names("-V"), []);
  assert.deepEqual(await names("server", "--port", "0"), ["server"]);
  assert.deepEqual(await names("--json", "models", "list"), ["models"]);
  const all = await names("--help");
  for (const n of ["server", "runs", "models", "reproduce", "monitor"]) assert.ok(all.includes(n), n);
});
