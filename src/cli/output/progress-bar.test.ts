import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { createProgressBar } from "./progress-bar.js";

function stream(tty: boolean): { s: NodeJS.WriteStream; out: () => string } {
  const p = new PassThrough();
  let text = "";
  p.on("data", (d: Buffer) => (text += d.toString()));
  Object.assign(p, { isTTY: tty, columns: 60 });
  return { s: p as unknown as NodeJS.WriteStream, out: () => text };
}

test("on a terminal: one redrawn line, cleared before log lines", () => {
  const { s, out } = stream(true);
  const bar = createProgressBar(s);
  bar.update(0, 4, "run 1/1 alpha");
  bar.update(1, 4, "run 1/1 alpha"); // within 50 ms of the last draw: skipped
  bar.update(4, 4, "run 1/1 alpha"); // complete: always drawn
  bar.log("✓ alpha");
  bar.stop();
  const text = out();
  assert.match(text, /^\r\x1b\[2K░{24}   0% 0\/4 run 1\/1 alpha\r\x1b\[2K█{24} 100% 4\/4 run 1\/1 alpha\r\x1b\[2K✓ alpha\n$/);
});

test("elsewhere (CI logs, pipes): only the plain lines", () => {
  const { s, out } = stream(false);
  const bar = createProgressBar(s);
  bar.update(1, 2, "x");
  bar.log("✓ done");
  bar.stop();
  assert.equal(out(), "✓ done\n");
});
