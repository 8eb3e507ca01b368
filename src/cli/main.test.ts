import assert from "node:assert/strict";
import { test } from "node:test";
import type { Command } from "commander";
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

test("every command's --help ends with examples; a group's are the first example of each of its commands", async () => {
  const program = await buildProgram(["node", "ciclo", "--help"]);
  const help = (cmd: Command) => {
    let text = "";
    cmd.configureOutput({ writeOut: (s) => void (text += s), writeErr: (s) => void (text += s) });
    cmd.outputHelp();
    return text;
  };
  const missing: string[] = [];
  const joined: string[] = [];
  const walk = (cmd: Command, path: string) => {
    for (const sub of cmd.commands) {
      if (sub.name() === "help") continue;
      const p = `${path} ${sub.name()}`;
      if (!/^Examples?\b.*:$/m.test(help(sub)) || !/^ *\$ ciclo /m.test(help(sub))) missing.push(p);
      // A template literal's `\` at a line's end joins the lines: the continued example showed as `--auth      --oidc…`.
      if (/^ *\$ .*\S {3,}--/m.test(help(sub))) joined.push(p);
      walk(sub, p);
    }
  };
  walk(program, "ciclo");
  assert.deepEqual(missing, []);
  assert.deepEqual(joined, [], "an example continued with `\\` shows its break");
  assert.match(help(program), /^ {2}\$ ciclo server --port 5000/m);
  const models = help(program.commands.find((c) => c.name() === "models")!);
  assert.match(models, /^Examples \(the first of each command; `ciclo models <command> --help` has more\):$/m);
  assert.match(models, /^ {2}\$ ciclo models serve -m models:\/fraud@champion/m);
  assert.match(models, /^ {2}\$ ciclo models evaluate .* …$/m, "a continued example is cut at its break");
  assert.doesNotMatch(models, /\\$/m);
  // Each line of a group's examples runs the command it stands for, even where that command's help opens with a
  // preparing step (`monitor create` first stores a reference profile).
  for (const group of program.commands.filter((c) => c.commands.length > 0)) {
    const shown = help(group).match(/^ {2}\$ ciclo .*$/gm) ?? [];
    const subs = group.commands.filter((c) => c.name() !== "help" && c.commands.length === 0);
    for (const sub of subs) {
      const path = `ciclo ${group.name()} ${sub.name()}`;
      assert.ok(shown.some((l) => (l + " ").includes(`${path} `)), `${path} has an example in '${group.name()} --help'`);
    }
  }
});
