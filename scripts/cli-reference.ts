// Rewrites the command table of docs/cli.md from the CLI's definitions: `npm run docs:cli`.
import { readFileSync, writeFileSync } from "node:fs";
import { renderCommandReference, withReference } from "../src/cli/cli-reference.js";
import { buildProgram } from "../src/cli/main.js";

const page = new URL("../docs/cli.md", import.meta.url);
const program = await buildProgram(["node", "ciclo"]);
writeFileSync(page, withReference(readFileSync(page, "utf8"), renderCommandReference(program)));
console.log("docs/cli.md: command table written");
