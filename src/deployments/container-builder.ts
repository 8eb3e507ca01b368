/**
 * Finds a working image builder — `docker` with a reachable daemon, else
 * `podman` (build with `--isolation chroot`, which works where containers
 * cannot run) — and runs the build, streaming its output to stderr.
 * `CICLO_CONTAINER_BUILDER=docker|podman|none` overrides the probe.
 * @module
 */
import { spawn } from "node:child_process";

export type Builder = "docker" | "podman";

function run(cmd: string, args: string[], inherit = false): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    let out = "";
    const p = spawn(cmd, args, { stdio: ["ignore", inherit ? process.stderr : "pipe", inherit ? process.stderr : "pipe"] });
    p.stdout?.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr?.on("data", (d: Buffer) => (out += d.toString()));
    p.on("error", (err) => resolve({ code: 127, out: err.message }));
    p.on("close", (code) => resolve({ code: code ?? 1, out }));
  });
}

/** The first builder that answers, with why the others did not. */
export async function findBuilder(env: NodeJS.ProcessEnv = process.env): Promise<{ builder?: Builder; notes: string[] }> {
  const forced = env.CICLO_CONTAINER_BUILDER;
  if (forced === "none") return { notes: ["CICLO_CONTAINER_BUILDER=none"] };
  const notes: string[] = [];
  if (!forced || forced === "docker") {
    const d = await run("docker", ["version", "--format", "{{.Server.Version}}"]);
    if (d.code === 0) return { builder: "docker", notes };
    notes.push(`docker: ${d.out.trim().split("\n").at(-1) || `exit ${d.code}`}`);
  }
  if (!forced || forced === "podman") {
    const p = await run("podman", ["--version"]);
    if (p.code === 0) return { builder: "podman", notes };
    notes.push(`podman: ${p.out.trim().split("\n").at(-1) || `exit ${p.code}`}`);
  }
  return { notes };
}

export function buildCommand(builder: Builder, image: string, dir: string): string[] {
  return builder === "podman" ? ["podman", "build", "--isolation", "chroot", "-t", image, dir] : ["docker", "build", "-t", image, dir];
}

export async function buildImage(builder: Builder, image: string, dir: string): Promise<number> {
  const [cmd, ...args] = buildCommand(builder, image, dir);
  return (await run(cmd, args, true)).code;
}
