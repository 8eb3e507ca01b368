/**
 * CPU time of a process and its descendants, from /proc (Linux): what a
 * benchmark divides by the requests served to get CPU per request — a
 * steadier figure than latency on a shared, loaded machine.
 * @module
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";

let ticks: number | undefined;

/** Clock ticks per second (`getconf CLK_TCK`, 100 on Linux almost everywhere). */
function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** The children of `pid` (every thread's). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").trim().split(/\s+/)) if (c) out.push(Number(c));
    } catch {
      // the thread ended
    }
  }
  return out;
}

/** User + system CPU seconds of one process (0 once it is gone). */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start at state (field 3); utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / clockTicks();
  } catch {
    return 0;
  }
}

export interface TreeCpu {
  /** The process itself. */
  self: number;
  /** Its descendants (e.g. the Python runtime's workers), summed. */
  children: number;
}

/** CPU seconds of `pid` and of its descendants now; undefined where /proc is absent. */
export function treeCpuSeconds(pid: number): TreeCpu | undefined {
  if (!existsSync(`/proc/${pid}/stat`)) return undefined;
  let children = 0;
  const stack = childrenOf(pid);
  while (stack.length > 0) {
    const c = stack.pop()!;
    children += processCpuSeconds(c);
    stack.push(...childrenOf(c));
  }
  return { self: processCpuSeconds(pid), children };
}
