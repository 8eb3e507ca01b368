// `npm start [-- server options]`: builds what changed (build-if-stale.mjs), then runs `ciclo server` in the same
// process — one Node start, not three (a prestart hook would spawn npm and node again) — from the bundle of dist/
// (bin/cli-entry.js says which build is current).
import { builtCliEntry } from "../bin/cli-entry.js";
import { buildIfStale } from "./build-if-stale.mjs";

buildIfStale();
const { main } = await import(builtCliEntry().href);
await main([process.argv[0], "ciclo", "server", ...process.argv.slice(2)]);
