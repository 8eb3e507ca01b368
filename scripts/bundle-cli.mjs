#!/usr/bin/env node
// Bundles the built CLI (dist/cli/main.js and every command it loads on demand) into dist/bundle/ with esbuild:
// a few files instead of ~1,500 (ciclo's ~260 plus typebox's ~370, kysely's ~260, fastify's, …). Node spends most
// of a `ciclo server` start resolving, reading and compiling modules one by one; bundled, the same code starts in
// about a third of the CPU time and ~30 MB less memory. Each command stays its own chunk (code splitting), so
// `ciclo --version` still loads none of them. bin/ciclo.js and `npm start` run the bundle when it is at least as
// new as the tsc build; build-if-stale.mjs runs this after tsc.
//   node scripts/bundle-cli.mjs
//
// The bundle must behave as dist/ does:
// - `import.meta.url` in each of ciclo's files is rewritten to that file's URL in dist/ (computed from the chunk's
//   own URL, so the tree may move), so paths next to the code (package.json, the UI, worker scripts, the Python
//   worker) resolve as before and workers start from dist/.
// - Packages with native code, optional packages (the AWS and Azure SDKs, onnxruntime-node, …) and those that
//   locate files beside themselves stay outside, loaded from node_modules as before.
import { readFileSync } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const DIST = join(ROOT, "dist");
export const BUNDLE_DIR = join(DIST, "bundle");

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
const EXTERNAL = [
  ...Object.keys(pkg.optionalDependencies ?? {}),
  ...Object.keys(pkg.peerDependencies ?? {}),
  // native addons, and what loads one
  "better-sqlite3",
  "pg-native",
  "esbuild",
  // resolved at run time (import.meta.resolve) by the worker and profiler spawners
  "tsx",
  // pino starts transports and its thread-stream worker from files beside them
  "pino",
  "thread-stream",
];

/**
 * Rewrites `import.meta.url` in ciclo's own files to the file's URL in dist/, relative to the chunk: esbuild's
 * `define` replaces the expression (not its text inside strings) with a module-level constant declared first.
 */
const distUrls = (transform) => ({
  name: "ciclo-dist-urls",
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, async (args) => {
      if (!args.path.startsWith(DIST + sep) || args.path.startsWith(`${BUNDLE_DIR}`)) return undefined;
      const text = readFileSync(args.path, "utf8");
      if (!text.includes("import.meta.url")) return { contents: text, loader: "js" };
      const rel = relative(BUNDLE_DIR, args.path).split(sep).join("/");
      const { code } = await transform(text, { loader: "js", format: "esm", define: { "import.meta.url": "__cicloFileUrl" } });
      return { contents: `const __cicloFileUrl = new URL(${JSON.stringify(rel)}, import.meta.url).href;\n${code}`, loader: "js" };
    });
  },
});

export async function bundleCli() {
  const { build, transform } = await import("esbuild");
  // Built beside dist/bundle/ (the same depth, so the relative URLs hold), then swapped in: a process starting
  // from the bundle meanwhile reads the old one whole.
  const staging = `${BUNDLE_DIR}.tmp-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  try {
    return await bundleInto(build, transform, staging);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
}

async function bundleInto(build, transform, staging) {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { main: join(DIST, "cli", "main.js") },
    bundle: true,
    splitting: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outdir: staging,
    chunkNames: "chunk-[hash]",
    external: EXTERNAL,
    // CommonJS packages (fastify, ajv, prom-client, …) call require() for Node built-ins and each other.
    banner: { js: "import { createRequire as __cicloRequire } from 'node:module'; const require = __cicloRequire(import.meta.url);" },
    // Whitespace and syntax only: function names stay, so stack traces still name ciclo's functions.
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: "none",
    metafile: true,
    logLevel: "error",
    plugins: [distUrls(transform)],
  });
  // A bundled CommonJS package reading __dirname/__filename would fail (ESM has none): refuse, naming the package.
  for (const [file, out] of Object.entries(result.metafile.outputs)) {
    if (!file.endsWith(".js")) continue;
    // Guarded uses (`typeof __filename<"u"?__filename:void 0`, as undici has) are fine.
    const text = readFileSync(join(ROOT, file), "utf8").replace(/typeof (__dirname|__filename)(<"u"\?\1)?/g, "");
    const use = /\b__(dirname|filename)\b/.exec(text);
    if (use) {
      const from = Object.keys(out.inputs).filter((i) => i.includes("node_modules/")).join(", ");
      throw new Error(`bundle-cli: ${file} uses ${use[0]} (from one of: ${from}); add its package to EXTERNAL in scripts/bundle-cli.mjs`);
    }
  }
  await rm(BUNDLE_DIR, { recursive: true, force: true });
  await rename(staging, BUNDLE_DIR);
  return result;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const t0 = performance.now();
  await bundleCli();
  process.stderr.write(`ciclo: CLI bundled into ${relative(ROOT, BUNDLE_DIR)}/ in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}
