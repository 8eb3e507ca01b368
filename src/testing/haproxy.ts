/**
 * Test and benchmark helper: Debian's HAProxy in front of ciclo replicas, with
 * the configuration docs/server.md gives ("Running several replicas").
 * @module
 */
import { execFile, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { waitFor } from "./wait-for.js";

const run = promisify(execFile);
/** Debian installs it in /usr/sbin, which a non-root PATH may lack. */
const HAPROXY = process.env.CICLO_HAPROXY ?? "haproxy";
const PATH = `${process.env.PATH ?? ""}:/usr/sbin`;

/** The HAProxy configuration of docs/server.md, listening on loopback port `listen`. */
export function haproxyConfig(listen: number, replicas: number[]): string {
  return [
    "global",
    "  maxconn 4096",
    "defaults",
    "  mode http",
    "  timeout connect 2s",
    "  timeout client 60s",
    "  timeout server 60s",
    "  option http-keep-alive",
    "  # A request that never reached a replica (refused: it is down) goes to another one.",
    "  retries 3",
    "  option redispatch 1",
    "  retry-on conn-failure",
    "frontend ciclo",
    `  bind 127.0.0.1:${listen}`,
    "  default_backend ciclo_replicas",
    "backend ciclo_replicas",
    "  balance leastconn",
    "  option httpchk GET /health",
    "  http-check expect status 200",
    "  default-server inter 500ms fall 2 rise 2",
    ...replicas.map((p, i) => `  server replica${i + 1} 127.0.0.1:${p} check`),
    "",
  ].join("\n");
}

/** Why HAProxy cannot run here, or undefined when it can. */
export async function haproxyUnavailable(): Promise<string | undefined> {
  try {
    await run(HAPROXY, ["-v"], { env: { ...process.env, PATH } });
    return undefined;
  } catch (err) {
    return `haproxy cannot run here (${(err as Error).message.split("\n")[0]}; apt-get install haproxy)`;
  }
}

export interface Balancer {
  url: string;
  stop(): Promise<void>;
}

/** Starts HAProxy in the foreground on `listen` and resolves once it answers /health (a replica is up). */
export async function startHaproxy(dir: string, listen: number, replicas: number[]): Promise<Balancer> {
  const cfg = join(dir, `haproxy-${listen}.cfg`);
  writeFileSync(cfg, haproxyConfig(listen, replicas));
  const proc = spawn(HAPROXY, ["-f", cfg, "-db"], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, PATH } });
  let log = "";
  proc.stderr!.on("data", (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${listen}`;
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
    await exited;
  };
  try {
    await waitFor(
      () => {
        if (proc.exitCode !== null) throw new Error(`haproxy exited: ${log}`);
        return fetch(`${url}/health`).then((r) => r.status, () => 0);
      },
      (s) => s === 200,
      { what: "HAProxy to answer /health" },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, stop };
}
