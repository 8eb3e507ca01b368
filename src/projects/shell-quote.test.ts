import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { tempDir } from "../testing/temp-dir.js";
import { fillTemplate, shellQuote, templateNames } from "./shell-quote.js";

const dir = tempDir("ciclo-quote-");
after(() => dir.remove());

/** What `sh` passes to a program for the given command line, one argument per entry. */
function argvOf(command: string): string[] {
  const out = execFileSync("/bin/sh", ["-c", `${command}`], { cwd: dir.path, encoding: "utf8" });
  return out.split("\0").slice(0, -1);
}

const HOSTILE = [
  "x; touch pwned-semicolon",
  "$(touch pwned-subst)",
  "`touch pwned-backtick`",
  "a' ; touch pwned-quote ; echo '",
  "a\" ; touch pwned-dquote ; echo \"",
  "| touch pwned-pipe",
  "&& touch pwned-and",
  "line1\ntouch pwned-newline",
  "$HOME ${PATH} *",
  "-rf",
  "'",
  "''",
  "\\'",
  "",
  " leading and trailing ",
  "ünïcødé ✓",
  "{braces} {{x}}",
];

describe("shellQuote", () => {
  test("every hostile value reaches the program as exactly one argument, unchanged, and runs nothing", () => {
    for (const value of HOSTILE) {
      const argv = argvOf(`printf '%s\\0' ${shellQuote(value)} end`);
      assert.deepEqual(argv, [value, "end"], `value ${JSON.stringify(value)}`);
    }
    for (const f of ["semicolon", "subst", "backtick", "quote", "dquote", "pipe", "and", "newline"]) {
      assert.equal(existsSync(join(dir.path, `pwned-${f}`)), false, `pwned-${f} was created`);
    }
  });

  test("safe words stay bare, others are single-quoted; NUL is refused", () => {
    assert.equal(shellQuote("0.01"), "0.01");
    assert.equal(shellQuote("data/train.csv"), "data/train.csv");
    assert.equal(shellQuote("a b"), "'a b'");
    assert.equal(shellQuote(""), "''");
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
    assert.throws(() => shellQuote("a\0b"), /NUL/);
  });
});

describe("fillTemplate", () => {
  test("placeholders become quoted values; {{ }} are literal braces", () => {
    const values = new Map([["lr", "0.1"], ["name", "a b; rm -rf /"]]);
    assert.deepEqual(fillTemplate("node t.js --lr {lr} --name { name } {{x}}", values), { command: "node t.js --lr 0.1 --name 'a b; rm -rf /' {x}", env: {} });
    assert.deepEqual(argvOf(`printf '%s\\0' ${fillTemplate("{name} {lr}", values).command}`), ["a b; rm -rf /", "0.1"]);
  });

  test("a value inside the command's own quotes is passed as a variable: nothing in it runs (shlex.quote's hole)", () => {
    for (const v of HOSTILE) {
      for (const template of ['printf \'%s\\0\' "v={name}"', "printf '%s\\0' 'v={name}'", 'printf \'%s\\0\' "$(printf %s "{name}")"', "printf '%s\\0' v={name}"]) {
        const { command, env } = fillTemplate(template, new Map([["name", v]]));
        const out = execFileSync("/bin/sh", ["-c", command], { cwd: dir.path, encoding: "utf8", env: { PATH: process.env.PATH, ...env } });
        assert.equal(out.split("\0")[0], template.includes("$(") ? v.replace(/\n+$/, "") : `v=${v}`, `${JSON.stringify(v)} in ${template}: ${command}`);
      }
    }
    assert.deepEqual(readdirSync(dir.path).filter((f) => f.startsWith("pwned")), [], "a value ran a command");
    assert.deepEqual(fillTemplate('run --name "{name}" --lr "{lr}"', new Map([["name", "$(id)"], ["lr", "0.1"]])), { command: 'run --name "${CICLO_PARAM_1}" --lr "0.1"', env: { CICLO_PARAM_1: "$(id)" } });
  });

  test("an unknown placeholder or a lone brace fails before anything runs", () => {
    assert.throws(() => fillTemplate("x {nope}", new Map()), /refers to \{nope\}/);
    assert.throws(() => fillTemplate("x {lr", new Map([["lr", "1"]])), /Unclosed/);
    assert.throws(() => fillTemplate("x }", new Map()), /Single '}'/);
  });

  test("templateNames lists placeholders, not escaped braces", () => {
    assert.deepEqual(templateNames("a {x} {{y}} { z }"), ["x", "z"]);
  });
});
