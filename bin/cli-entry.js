// Which built CLI to run: dist/bundle/main.js (esbuild's bundle of dist/, made by scripts/bundle-cli.mjs: the
// same code in ~80 files, so a start reads and compiles those instead of ~1,500) when it is at least as new as
// the last tsc build, else dist/cli/main.js; undefined without a build. Three stats, no reads.
// CICLO_BUNDLE=0 runs dist/cli/main.js even so (to compare, or to rule the bundle out when something misbehaves).
import { statSync } from "node:fs";

const mtime = (url) => {
  try {
    return statSync(url).mtimeMs;
  } catch {
    return undefined;
  }
};

/**
 * @param {URL} root the package's folder (the one holding dist/)
 * @returns {URL | undefined}
 */
export function builtCliEntry(root = new URL("..", import.meta.url), env = process.env) {
  const built = new URL("dist/cli/main.js", root);
  if (mtime(built) === undefined) return undefined;
  if (env.CICLO_BUNDLE === "0") return built;
  const bundle = new URL("dist/bundle/main.js", root);
  const bundled = mtime(bundle);
  // tsc rewrites .tsbuildinfo on every build that emits; an installed package has none (and no tsc runs there).
  const compiled = mtime(new URL("dist/.tsbuildinfo", root)) ?? 0;
  return bundled !== undefined && bundled >= compiled ? bundle : built;
}
