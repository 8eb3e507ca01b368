/**
 * Shell injection through `${{ }}` in a `run:` command: a value that holds
 * shell syntax must reach the command as text wherever the expression stands
 * — bare, inside the author's double quotes, inside single quotes, inside a
 * command substitution. Each rendered command runs in a real `/bin/sh`; the
 * attack would create a file.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { after, describe, test } from "node:test";
import { tempDir } from "../../testing/temp-dir.js";
import { renderRunCommand } from "./run-command.js";

const dir = tempDir("ciclo-run-command-");
after(() => dir.remove());

const PAYLOADS = [
  "$(touch pwned1)",
  "`touch pwned2`",
  "x\"; touch pwned3; echo \"",
  "x'; touch pwned4; echo '",
  "x' \"$(touch pwned5)\" '",
  "a\\\"; touch pwned6 #",
  "${IFS}$(touch${IFS}pwned7)",
  "plain-word_1.0",
  "two words\nand a line",
  "",
];

function sh(shell: string, env: Record<string, string>): string {
  return execFileSync("/bin/sh", ["-c", shell], { cwd: dir.path, env: { PATH: process.env.PATH, ...env }, encoding: "utf8" });
}

describe("run: commands with expressions", () => {
  for (const [name, template, expected] of [
    ["bare", "printf '%s' ${{ inputs.v }}", (v: string) => v],
    ["inside double quotes", 'printf \'%s\' "ref=${{ inputs.v }}!"', (v: string) => `ref=${v}!`],
    ["inside single quotes", "printf '%s' 'ref=${{ inputs.v }}!'", (v: string) => `ref=${v}!`],
    ["twice, in both quotes", "printf '%s|%s' \"${{ inputs.v }}\" '${{ inputs.v }}'", (v: string) => `${v}|${v}`],
    ["in a command substitution inside double quotes", 'printf \'%s\' "$(printf \'%s\' "${{ inputs.v }}")"', (v: string) => v.replace(/\n+$/, "")],
    ["bare in a command substitution inside double quotes", 'printf \'%s\' "$(printf \'%s\' ${{ inputs.v }})"', (v: string) => v.replace(/\n+$/, "")],
    ["in backticks", "printf '%s' \"`printf '%s' \"${{ inputs.v }}\"`\"", (v: string) => v.replace(/\n+$/, "")],
    ["after a comment holding a quote (misread quoting: wrong text at worst, nothing runs)", "# don't\nprintf '%s' \"${{ inputs.v }}\" >/dev/null; printf ok", () => "ok"],
  ] as const) {
    test(`${name}: every value is text, nothing runs`, () => {
      for (const v of PAYLOADS) {
        const { shell, env } = renderRunCommand(template, { inputs: { v }, steps: {}, pipeline: {} });
        assert.equal(sh(shell, env), expected(v), `${JSON.stringify(v)} → ${shell}`);
      }
      assert.deepEqual(readdirSync(dir.path), [], "a payload ran a command");
    });
  }

  test("plain words stay inline (the log shows the command as written; arithmetic on numbers works)", () => {
    const r = renderRunCommand('echo "sum=$(( ${{ inputs.n }} + 1 ))" ${{ inputs.w }}', { inputs: { n: 41, w: "models:/m/3" }, steps: {}, pipeline: {} });
    assert.equal(r.shell, 'echo "sum=$(( 41 + 1 ))" models:/m/3');
    assert.deepEqual(r.env, {});
    assert.equal(sh(r.shell, r.env), "sum=42 models:/m/3\n");
  });

  test("a value that is not a plain word becomes a variable the command expands, written for its quoting", () => {
    const r = renderRunCommand("echo \"hi ${{ inputs.v }}\" ${{ inputs.v }} 'x${{ inputs.w }}'", { inputs: { v: "$(id)", w: "a b" }, steps: {}, pipeline: {} });
    assert.equal(r.shell, "echo \"hi ${CICLO_EXPR_1}\" \"${CICLO_EXPR_2}\" 'x'\"${CICLO_EXPR_3}\"''");
    assert.deepEqual(r.env, { CICLO_EXPR_1: "$(id)", CICLO_EXPR_2: "$(id)", CICLO_EXPR_3: "a b" });
    assert.equal(sh(r.shell, r.env), "hi $(id) $(id) xa b\n");
    assert.ok(!existsSync(`${dir.path}/pwned1`));
  });
});
