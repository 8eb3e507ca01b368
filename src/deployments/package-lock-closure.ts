/**
 * The packages npm installs for some roots, read from a package-lock.json (v3): what the Docker context of a
 * model and the server image copy.
 * @module
 */
import { InvalidParameterValueError } from "../shared/errors.js";

export type LockEntry = { version?: string; dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; [k: string]: unknown };

/** The lock entries of `name` and everything it depends on, as npm resolves them (nested first). */
export function lockClosure(lock: { packages: Record<string, LockEntry> }, roots: string[]): Record<string, LockEntry> {
  const out: Record<string, LockEntry> = {};
  const visit = (name: string, from: string) => {
    // npm's resolution: node_modules/<a>/node_modules/<name>, then up the tree.
    let base = from;
    for (;;) {
      const key = `${base ? `${base}/` : ""}node_modules/${name}`;
      if (lock.packages[key]) {
        if (out[key]) return;
        const { dev: _d, devOptional: _o, peer: _p, ...entry } = lock.packages[key] as LockEntry & { dev?: boolean; devOptional?: boolean; peer?: boolean };
        out[key] = entry;
        for (const dep of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) visit(dep, key);
        return;
      }
      if (!base) throw new InvalidParameterValueError(`ciclo's package-lock.json has no entry for '${name}'.`);
      const at = base.lastIndexOf("/node_modules/");
      base = at < 0 ? "" : base.slice(0, at);
    }
  };
  for (const r of roots) visit(r, "");
  return out;
}
