import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { Command } from "commander";
import { commandPaths, REFERENCE_BEGIN, REFERENCE_END, renderCommandReference, withReference } from "./cli-reference.js";
import { buildProgram } from "./main.js";

const CLI_MD = new URL("../../docs/cli.md", import.meta.url);

test("docs/cli.md lists every command of the CLI, as commander defines them (npm run docs:cli rewrites the table)", async () => {
  const program = await buildProgram(["node", "ciclo"]);
  const page = readFileSync(CLI_MD, "utf8");
  const section = page.slice(page.indexOf(REFERENCE_BEGIN), page.indexOf(REFERENCE_END) + REFERENCE_END.length);
  // A row starts with the command's full name, then its arguments (`<x>`, `[x]`) or the end of the code span.
  const missing = commandPaths(program).filter((path) => ![`| \`${path}\``, `| \`${path} <`, `| \`${path} [`].some((start) => section.includes(start)));
  assert.deepEqual(missing, [], "commands missing from docs/cli.md: run `npm run docs:cli`");
});

test("the reference has a row per command and subcommand, and replaces only its own section", () => {
  const program = new Command("ciclo");
  const models = program.command("models").description("Models | registry");
  models.command("serve <model-uri>").description("Serve a model\nsecond line").option("-p, --port <port>", "port");
  program.command("gc [ids...]").description("Purge");
  const ref = renderCommandReference(program);
  assert.deepEqual(commandPaths(program), ["ciclo models", "ciclo models serve", "ciclo gc"]);
  assert.match(ref, /^\| `ciclo models` \| Models \\\| registry \|$/m);
  assert.match(ref, /^\| `ciclo models serve <model-uri>` \| Serve a model \|$/m);
  assert.match(ref, /^\| `ciclo gc \[ids\.\.\.\]` \| Purge \|$/m);
  const page = withReference("# CLI\n\nintro\n", ref);
  assert.ok(page.includes("## Every command") && page.endsWith(`${REFERENCE_END}\n`));
  const again = withReference(`${page}\n## After\n`, "NEW");
  assert.equal(again, page.replace(ref, "NEW") + "\n## After\n");
});
