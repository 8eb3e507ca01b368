/**
 * POSIX shell quoting for values substituted into a project's command.
 *
 * A parameter value is user input (`-P data="x; rm -rf ~"`), and reproduce
 * replays values read back from a tracking server, so every value goes into
 * the command as one single-quoted word: inside single quotes `sh` expands
 * nothing (no `$()`, backticks, globs, `;`), and the only character to handle
 * is the single quote itself, written as `'\''` (close, escaped quote, reopen).
 * MLflow compat: MLflow quotes with Python's `shlex.quote`, which leaves
 * "safe" words bare the same way.
 * @module
 */

import { quoteState, variableReference } from "../shared/shell-quoting.js";

/** Characters that never need quoting (shlex.quote's safe set). */
const SAFE_WORD = /^[A-Za-z0-9@%+=:,./_-]+$/;

/** One shell word whose value, after `sh` parses it, is exactly `value`. */
export function shellQuote(value: string): string {
  if (value.includes("\0")) throw new Error("A shell argument cannot contain a NUL character.");
  if (value !== "" && SAFE_WORD.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** A command with its placeholders filled, and the variables it expands (values that stood inside quotes). */
export interface FilledCommand {
  command: string;
  env: Record<string, string>;
}

/**
 * Fills a command template: `{name}` becomes the quoted value of `name`;
 * `{{` and `}}` are literal braces (Python `str.format`, which MLflow uses).
 * Every placeholder must name a value, so a typo fails before anything runs.
 * A value that is not a plain word and stands inside the author's own quotes
 * (`--name "{name}"`) is not pasted in: a quoted word there would not protect
 * it (MLflow's `shlex.quote` has this hole), so it reaches the command as the
 * environment variable `CICLO_PARAM_<n>`, expanded in place.
 */
export function fillTemplate(template: string, values: ReadonlyMap<string, string>): FilledCommand {
  const spans: Array<{ offset: number; end: number; name: string }> = [];
  const literal: Array<{ at: number; text: string }> = [];
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if ((c === "{" || c === "}") && template[i + 1] === c) {
      literal.push({ at: i, text: c });
      i++;
    } else if (c === "{") {
      const end = template.indexOf("}", i);
      if (end < 0) throw new Error(`Unclosed '{' at character ${i + 1} of the command: ${template}`);
      const name = template.slice(i + 1, end).trim();
      if (!values.has(name)) {
        throw new Error(`The command refers to {${name}}, which is not a parameter of this entry point (write {{ and }} for literal braces).`);
      }
      spans.push({ offset: i, end: end + 1, name });
      i = end;
    } else if (c === "}") {
      throw new Error(`Single '}' at character ${i + 1} of the command (write }} for a literal brace): ${template}`);
    }
  }
  const env: Record<string, string> = {};
  const cuts = [...spans.map((s) => ({ at: s.offset, end: s.end, span: s })), ...literal.map((l) => ({ at: l.at, end: l.at + 2, text: l.text }))].sort((a, b) => a.at - b.at);
  let out = "";
  let at = 0;
  for (const cut of cuts) {
    out += template.slice(at, cut.at);
    if ("text" in cut) out += cut.text;
    else {
      const value = values.get(cut.span.name)!;
      const state = quoteState(template, spans, cut.at);
      if (state === "none" || SAFE_WORD.test(value)) out += state === "none" ? shellQuote(value) : value;
      else {
        const name = `CICLO_PARAM_${Object.keys(env).length + 1}`;
        env[name] = value;
        out += variableReference(name, state);
      }
    }
    at = cut.end;
  }
  return { command: out + template.slice(at), env };
}

/** The placeholder names a template uses (to check them when a project is loaded). */
export function templateNames(template: string): string[] {
  const names: string[] = [];
  const re = /\{\{|\}\}|\{([^{}]*)\}/g;
  for (const m of template.matchAll(re)) if (m[1] !== undefined) names.push(m[1].trim());
  return names;
}
