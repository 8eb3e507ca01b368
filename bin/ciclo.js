#!/usr/bin/env -S node --max-semi-space-size=32
// The flag: V8's young generation may grow to 2 × 32 MB (the default max is 16 MB). A server's requests allocate
// short-lived objects fast; with the default, scavenges cost a 1,000-run search ~2 ms of its ~16 ms. It is a
// ceiling, not a reservation: idle memory is unchanged. `npm start` passes the same flag.
// Runs the built CLI (the bundle of dist/ when current, see cli-entry.js); in a source checkout without a build,
// runs the TypeScript through tsx.
import { builtCliEntry } from "./cli-entry.js";

const built = process.env.CICLO_FROM_SOURCE !== "1" ? builtCliEntry() : undefined;
if (built) {
  const { main } = await import(built.href);
  await main();
} else {
  const { register } = await import("tsx/esm/api");
  register();
  const { main } = await import(new URL("../src/cli/main.ts", import.meta.url).href);
  await main();
}
