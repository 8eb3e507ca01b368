// `npm start [-- server options]`: builds what changed (build-if-stale.mjs), then runs `ciclo server` in the same
// process — one Node start, not three (a prestart hook would spawn npm and node again).
import { buildIfStale } from "./build-if-stale.mjs";

buildIfStale();
const { main } = await import("../dist/cli/main.js");
await main([process.argv[0], "ciclo", "server", ...process.argv.slice(2)]);
