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

/** Characters that never need quoting (shlex.quote's safe set). */
const SAFE_WORD = /^[A-Za-z0-9@%+=:,./_-]+$/;

/** One shell word whose value, after `sh` parses it, is exactly `value`. */
export function shellQuote(value: string): string {
  if (value.includes("\0")) throw new Error("A shell argument cannot contain a NUL character.");
  if (value !== "" && SAFE_WORD.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * Fills a command template: `{name}` becomes the quoted value of `name`;
 * `{{` and `}}` are literal braces (Python `str.format`, which MLflow uses).
 * Every placeholder must name a value, so a typo fails before anything runs.
 */
export function fillTemplate(template: string, values: ReadonlyMap<string, string>): string {
  let out = "";
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c === "{" && template[i + 1] === "{") {
      out += "{";
      i++;
    } else if (c === "}" && template[i + 1] === "}") {
      out += "}";
      i++;
    } else if (c === "{") {
      const end = template.indexOf("}", i);
      if (end < 0) throw new Error(`Unclosed '{' at character ${i + 1} of the command: ${template}`);
      const name = template.slice(i + 1, end).trim();
      const value = values.get(name);
      if (value === undefined) {
        throw new Error(`The command refers to {${name}}, which is not a parameter of this entry point (write {{ and }} for literal braces).`);
      }
      out += shellQuote(value);
      i = end;
    } else if (c === "}") {
      throw new Error(`Single '}' at character ${i + 1} of the command (write }} for a literal brace): ${template}`);
    } else {
      out += c;
    }
  }
  return out;
}

/** The placeholder names a template uses (to check them when a project is loaded). */
export function templateNames(template: string): string[] {
  const names: string[] = [];
  const re = /\{\{|\}\}|\{([^{}]*)\}/g;
  for (const m of template.matchAll(re)) if (m[1] !== undefined) names.push(m[1].trim());
  return names;
}
