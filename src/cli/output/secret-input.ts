/**
 * Reading a password or a secret's value without echoing it: from a file
 * (`--from-file`), from stdin when it is a pipe (`echo -n … | ciclo …`), or
 * typed at a terminal with echo off. Never from the command line, where it
 * would land in the shell's history and `ps`.
 * @module
 */
import { readFileSync } from "node:fs";
import { UsageError } from "./cli-errors.js";

/** All of stdin (a pipe), without one trailing newline (what `echo` adds). */
async function readPipe(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
}

/** A line typed at the terminal with echo off. */
function readHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    let value = "";
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off("data", onData);
      process.stderr.write("\n");
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (buf: Buffer) => {
      for (const ch of buf.toString("utf8")) {
        if (ch === "\r" || ch === "\n") return done();
        if (ch === "\u0003") return done(new UsageError("Cancelled."));
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on("data", onData);
  });
}

export async function readSecretInput(opts: { fromFile?: string; prompt: string; what: string }): Promise<string> {
  let value: string;
  if (opts.fromFile !== undefined) {
    try {
      value = readFileSync(opts.fromFile, "utf8").replace(/\r?\n$/, "");
    } catch (err) {
      throw new UsageError(`Cannot read ${opts.what} from '${opts.fromFile}': ${(err as Error).message}`);
    }
  } else if (process.stdin.isTTY) {
    value = await readHidden(opts.prompt);
  } else {
    value = await readPipe();
  }
  if (value === "") throw new UsageError(`No ${opts.what} given: pipe it on stdin, type it at the prompt, or pass --from-file.`);
  return value;
}
