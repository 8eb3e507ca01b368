#!/usr/bin/env node
// `npm start` runs this first: it rebuilds only the parts of dist/ whose sources changed since their last
// build — the server (tsc), its bundle (esbuild, scripts/bundle-cli.mjs) and the web UI (vite) — so a second start
// does not pay for a build.
// A part is current when the fingerprint of its inputs (every input file's path, size and mtime) equals the
// one recorded in dist/ by its last successful build; an edited, added or deleted file changes it.
//   node scripts/build-if-stale.mjs           rebuild what is stale
//   node scripts/build-if-stale.mjs --check   print what is stale, build nothing (exit 1 when something is)
//   node scripts/build-if-stale.mjs --force   rebuild everything
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(ROOT, "node_modules", ".bin", name);

const PYFUNC_WORKER = "src/serving/python/pyfunc_worker.py";

const PARTS = [
  {
    name: "server",
    inputs: ["src", "tsconfig.json", "tsconfig.build.json", "tsconfig.sdk-types.json", "package-lock.json"],
    // tsc reads the .ts files (tests are not built); the Python runtime's worker is copied beside its build.
    skip: (path) => path.startsWith("src/") && path !== PYFUNC_WORKER && (!path.endsWith(".ts") || path.endsWith(".test.ts")),
    output: "dist/cli/main.js",
    stamp: "dist/.build-server",
    build: [
      [bin("tsc"), "-p", "tsconfig.build.json"],
      [bin("tsc"), "-p", "tsconfig.sdk-types.json"],
      () => copyFileSync(join(ROOT, PYFUNC_WORKER), join(ROOT, "dist", relative("src", PYFUNC_WORKER))),
    ],
  },
  {
    // esbuild's bundle of the server build (scripts/bundle-cli.mjs), what bin/ciclo.js and `npm start` run: current
    // when newer than tsc's last emit and than the script that makes it (bin/cli-entry.js makes the same test).
    name: "bundle",
    current: () => {
      const made = mtime("dist/bundle/main.js");
      return made !== undefined && made >= (mtime("dist/.tsbuildinfo") ?? 0) && made >= (mtime("scripts/bundle-cli.mjs") ?? 0);
    },
    output: "dist/bundle/main.js",
    build: [[process.execPath, join(ROOT, "scripts", "bundle-cli.mjs")]],
  },
  {
    name: "ui",
    inputs: ["ui", "src/shared", "package-lock.json"],
    skip: (path) => /(^|\/)node_modules\/|\.test\.tsx?$/.test(path),
    output: "dist/ui/index.html",
    // vite empties dist/ui/, so the stamp sits beside it.
    stamp: "dist/.build-ui",
    build: [[bin("vite"), "build", "--config", "ui/vite.config.ts", "--logLevel", "warn"]],
  },
];

function files(path, skip, out) {
  const abs = join(ROOT, path);
  if (!existsSync(abs)) return out;
  const st = statSync(abs);
  if (st.isDirectory()) {
    for (const e of readdirSync(abs)) files(join(path, e), skip, out);
  } else if (!skip(path)) {
    out.push(`${path}\t${st.size}\t${Math.trunc(st.mtimeMs)}`);
  }
  return out;
}

function mtime(path) {
  try {
    return statSync(join(ROOT, path)).mtimeMs;
  } catch {
    return undefined;
  }
}

function fingerprint(part) {
  const list = part.inputs.flatMap((p) => files(p, part.skip, [])).sort();
  return createHash("sha256").update(list.join("\n")).digest("hex");
}

/** Rebuilds the stale parts (all with `force`); with `check`, only counts them. Returns how many were stale. */
export function buildIfStale({ check = false, force = false } = {}) {
  let stale = 0;
  for (const part of PARTS) {
    const stampPath = part.stamp && join(ROOT, part.stamp);
    const before = part.stamp && fingerprint(part);
    const current =
      !force && (part.current ? part.current() : existsSync(join(ROOT, part.output)) && existsSync(stampPath) && readFileSync(stampPath, "utf8").trim() === before);
    if (current) continue;
    stale++;
    if (check) {
      console.log(`${part.name}: stale`);
      continue;
    }
    const t0 = performance.now();
    process.stderr.write(`ciclo: building the ${part.name} (${force ? "--force" : `${relative(ROOT, join(ROOT, part.output))} is older than its sources`})…\n`);
    for (const step of part.build) {
      if (typeof step === "function") step();
      else execFileSync(step[0], step.slice(1), { cwd: ROOT, stdio: "inherit" });
    }
    if (stampPath) {
      mkdirSync(dirname(stampPath), { recursive: true });
      // The fingerprint taken before the build: a file edited during it makes the next start build again.
      writeFileSync(stampPath, `${before}\n`);
    }
    process.stderr.write(`ciclo: ${part.name} built in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  return stale;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const check = process.argv.includes("--check");
  const stale = buildIfStale({ check, force: process.argv.includes("--force") });
  if (check) process.exitCode = stale ? 1 : 0;
}
