/**
 * The request logger made on first use: nothing is built for a request that
 * logs nothing, and a line a request does log carries its bindings as pino's
 * own child would write them.
 */
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import { pino } from "pino";
import { lazyChildLogger } from "./request-logger.js";

function capture(): { logger: pino.Logger; lines: () => Array<Record<string, unknown>> } {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      out.push(chunk.toString("utf8"));
      done();
    },
  });
  return { logger: pino({ level: "info", base: { service: "t" } }, stream), lines: () => out.join("").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

test("no child logger is made until the request logs", () => {
  const { logger } = capture();
  let children = 0;
  const counting = Object.assign(Object.create(logger) as pino.Logger, {
    child: (...args: Parameters<pino.Logger["child"]>) => {
      children++;
      return logger.child(...args);
    },
  });
  const log = lazyChildLogger(counting, { reqId: "req-1" }, {});
  assert.equal(log.level, "info");
  assert.equal(children, 0);
  log.info("first");
  log.warn("second");
  assert.equal(children, 1);
});

test("a logged line carries the request's bindings, the message and the object", () => {
  const { logger, lines } = capture();
  const log = lazyChildLogger(logger, { reqId: "req-7" }, {});
  log.error({ url: "/x" }, "request failed");
  log.debug("below the level: not written");
  const written = lines();
  assert.equal(written.length, 1);
  assert.equal(written[0].reqId, "req-7");
  assert.equal(written[0].service, "t");
  assert.equal(written[0].url, "/x");
  assert.equal(written[0].msg, "request failed");
  assert.equal(written[0].level, 50);
});

test("a level given for the child applies to it", () => {
  const { logger, lines } = capture();
  const log = lazyChildLogger(logger, { reqId: "req-9" }, { level: "warn" });
  assert.equal(log.level, "warn");
  log.info("dropped");
  log.warn("kept");
  assert.deepEqual(lines().map((l) => l.msg), ["kept"]);
});
