#!/usr/bin/env node
// Runs the built CLI (dist/); in a source checkout without a build, runs the TypeScript through tsx.
import { existsSync } from "node:fs";

const built = new URL("../dist/cli/main.js", import.meta.url);
if (existsSync(built) && process.env.CICLO_FROM_SOURCE !== "1") {
  const { main } = await import(built.href);
  await main();
} else {
  const { register } = await import("tsx/esm/api");
  register();
  const { main } = await import(new URL("../src/cli/main.ts", import.meta.url).href);
  await main();
}
