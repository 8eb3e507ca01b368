/**
 * Test and benchmark entry: a real ciclo server process (the same
 * `startServer`, signals and shutdown as `ciclo server`) that also knows a few
 * job types only tests and `bench/jobs.ts` enqueue:
 *
 * - `test.record`: appends `<job id>` to `<CICLO_TEST_RECORD_DIR>/<pid>.log`
 *   (outside the database, so a job run twice shows up twice);
 * - `test.hang-first`: on its first attempt writes `hang-<job id>` there and
 *   never returns (a test then kills the process); later attempts succeed;
 * - `bench.noop`: returns at once; `bench.write`: publishes one event (one row written).
 *
 * Run as `node --import tsx src/testing/jobs-child-server.ts server --port 0 ...`
 * with `ciclo server`'s flags (only those the tests use).
 * @module
 */
import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { resolveServerConfig } from "../server/config.js";
import { closeOnSignals, startServer } from "../server/main.js";
import type { CicloModule, JobHandler } from "../server/module.js";
import { serverModules } from "../modules.js";
import type { SqlConnection } from "../store/sql/sql-dialect.js";
import { publishEvents } from "../store/sql/jobs/event-queries.js";

const args = process.argv.slice(process.argv.indexOf("server") + 1);
// The last occurrence wins, as in `ciclo server` (a test appends `--port <n>` after the helper's `--port 0`).
const flag = (name: string) => {
  const at = args.lastIndexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const recordDir = process.env.CICLO_TEST_RECORD_DIR;
const config = resolveServerConfig({
  backendStoreUri: flag("--backend-store-uri"),
  artifactsDestination: flag("--artifacts-destination"),
  host: flag("--host") ?? "127.0.0.1",
  port: flag("--port") ?? "0",
  logLevel: process.env.CICLO_LOG_LEVEL ?? "info",
});
const log = pino({ level: config.logLevel, base: { service: "ciclo" } });
// Test and bench job types, contributed as the modules `test` and `bench` would.
const handlers: JobHandler[] = [
  {
    type: "test.record",
    async handle(_p: unknown, ctx) {
      if (!recordDir) throw new Error("CICLO_TEST_RECORD_DIR is not set");
      appendFileSync(join(recordDir, `${process.pid}.log`), `${ctx.jobId}\n`);
      return { pid: process.pid };
    },
  },
  {
    type: "test.hang-first",
    async handle(_p: unknown, ctx) {
      if (ctx.attempt === 1) {
        if (recordDir) writeFileSync(join(recordDir, `hang-${ctx.jobId}`), String(process.pid));
        await new Promise(() => {});
      }
      return { pid: process.pid, attempt: ctx.attempt };
    },
  },
  { type: "bench.noop", async handle() { return null; } },
  {
    // One small write of its own: publishes an event (one row, its own transaction).
    type: "bench.write",
    async handle(_p: unknown, ctx) {
      await db!.write((trx) => publishEvents(trx, Date.now(), [{ type: "bench.done", subject: ctx.jobId }]));
      return null;
    },
  },
];
const byPrefix = (prefix: string): CicloModule => ({
  id: prefix,
  init(ctx) {
    db = ctx.db;
    ctx.jobs(...handlers.filter((h) => h.type.startsWith(`${prefix}.`)));
  },
});
let db: SqlConnection | undefined;
const server = await startServer(config, { modules: [...serverModules(config), byPrefix("test"), byPrefix("bench")], logger: log });
closeOnSignals(server, log);
