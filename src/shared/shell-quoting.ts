/**
 * Reading a POSIX shell command template for the quoting in force at a
 * point: where a filled-in value lands inside the author's own quotes, quoting
 * it as a word of its own does not protect it (`"x '$(id)'"` runs `id`), so
 * the fillers (pipelines' `run:` expressions, MLproject `{param}`
 * placeholders) pass such values as environment variables instead.
 * @module
 */

/** A span of the template that is a placeholder, skipped when reading the quoting. */
export interface TemplateSpan {
  offset: number;
  end: number;
}

/**
 * The shell quoting in force at `upTo`: the innermost context, where `$( )`
 * and backticks open a new one inside double quotes (`"$(cmd "x")"`).
 * Backslash escapes and the placeholders in `spans` (in order) are skipped;
 * comments and heredocs are not read.
 */
export function quoteState(text: string, spans: readonly TemplateSpan[], upTo: number): "none" | "single" | "double" {
  type Frame = { state: "none" | "single" | "double"; close: ")" | "`" | ""; depth: number };
  const stack: Frame[] = [{ state: "none", close: "", depth: 0 }];
  let p = 0;
  for (let i = 0; i < upTo; ) {
    if (p < spans.length && i === spans[p]!.offset) {
      i = spans[p++]!.end;
      continue;
    }
    const f = stack[stack.length - 1]!;
    const c = text[i];
    if (f.state === "single") {
      if (c === "'") f.state = "none";
    } else if (c === "\\") {
      i += 2;
      continue;
    } else if (c === "$" && text[i + 1] === "(") {
      stack.push({ state: "none", close: ")", depth: 0 });
      i += 2;
      continue;
    } else if (c === "`" && f.close !== "`") {
      stack.push({ state: "none", close: "`", depth: 0 });
    } else if (f.state === "double") {
      if (c === '"') f.state = "none";
    } else if (c === "'") f.state = "single";
    else if (c === '"') f.state = "double";
    else if (f.close === "`" && c === "`") stack.pop();
    else if (f.close === ")" && c === "(") f.depth++;
    else if (f.close === ")" && c === ")") {
      if (f.depth > 0) f.depth--;
      else stack.pop();
    }
    i++;
  }
  return stack[stack.length - 1]!.state;
}

/** How a value held in environment variable `name` is written where the quoting is `state`, so it expands to itself. */
export function variableReference(name: string, state: "none" | "single" | "double"): string {
  return state === "double" ? `\${${name}}` : state === "single" ? `'"\${${name}}"'` : `"\${${name}}"`;
}
