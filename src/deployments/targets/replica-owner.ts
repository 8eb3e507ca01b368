/**
 * Which ciclo server runs a model server. Several servers may share one
 * database — PostgreSQL replicas, or two `ciclo server`s started on one
 * data folder — and each supervises its own model servers, recorded in the
 * same table. A server starting up stops only what a server that is gone
 * left behind: the record's owner names its host, pid and the pid's start
 * time (Linux's /proc/<pid>/stat), so a live owner — or a new process that
 * reused the pid — is told apart at once, with no heartbeat to wait out.
 *
 * An owner on another host cannot be checked from here (and its pid means
 * nothing on this machine): its records are left to it.
 * @module
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";

/** The start time of `pid` in clock ticks since boot (field 22 of /proc/<pid>/stat), or undefined where there is no /proc. */
function startTimeOf(stat: string): string | undefined {
  // The command name (field 2) may hold spaces and parentheses: fields are counted after its closing one.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return rest[19];
}

let self: string | undefined;
function selfStartTime(): string {
  if (self === undefined) {
    try {
      self = startTimeOf(readFileSync(`/proc/${process.pid}/stat`, "utf8")) ?? "";
    } catch {
      self = "";
    }
  }
  return self;
}

/** `host:pid:start:random`: one per server (a process may run several, in tests). */
export function newReplicaOwner(): string {
  return `${hostname().slice(0, 120)}:${process.pid}:${selfStartTime()}:${randomBytes(3).toString("hex")}`;
}

/**
 * `alive`: the owner runs (or this host cannot tell); `gone`: its process has ended (pid unused, or reused by a
 * process started later); `elsewhere`: it ran on another host. A record from before owners were kept (`""`) is `gone`.
 */
export async function replicaOwnerState(owner: string): Promise<"alive" | "gone" | "elsewhere"> {
  if (owner === "") return "gone";
  const parts = owner.split(":");
  if (parts.length < 4) return "alive"; // not ours to judge
  const [start, pidText] = [parts[parts.length - 2], parts[parts.length - 3]];
  const host = parts.slice(0, -3).join(":");
  if (host !== hostname().slice(0, 120)) return "elsewhere";
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return "alive";
  if (start === "") {
    // No /proc here: whether the pid lives is all that can be known.
    try {
      process.kill(pid, 0);
      return "alive";
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === "ESRCH" ? "gone" : "alive";
    }
  }
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // A zombie (state Z: killed, not yet reaped by its parent) is gone too.
    return startTimeOf(stat) === start && stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z" ? "alive" : "gone";
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ENOENT" ? "gone" : "alive";
  }
}
