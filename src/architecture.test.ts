/**
 * The boundary test (ARCHITECTURE.md): dependency-cruiser reads every import
 * of src/ (type-only ones too) and checks the rules in .dependency-cruiser.cjs;
 * on its graph this test also finds folder-level import cycles, a folder being
 * the files directly in it (so `src/tracking` and `src/tracking/http` are two).
 * Tests, test fixtures and the store contract suites are left out: they may
 * import anything.
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { cruise, type ICruiseOptions, type ICruiseResult, type IForbiddenRuleType } from "dependency-cruiser";
import extractTSConfig from "dependency-cruiser/config-utl/extract-ts-config";
import { tempDir } from "./testing/temp-dir.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const config = createRequire(import.meta.url)(join(ROOT, ".dependency-cruiser.cjs")) as {
  forbidden: IForbiddenRuleType[];
  options: ICruiseOptions;
};

async function cruiseFolder(cwd: string, forbidden: IForbiddenRuleType[]): Promise<ICruiseResult> {
  const previous = process.cwd();
  process.chdir(cwd); // dependency-cruiser reports paths relative to the working directory
  try {
    const tsConfig = extractTSConfig(join(cwd, "tsconfig.json"));
    const options: ICruiseOptions = { ...config.options, validate: true, ruleSet: { forbidden }, outputType: "json" };
    const reported = await cruise(["src"], options, {}, { tsConfig });
    return (typeof reported.output === "string" ? JSON.parse(reported.output) : reported.output) as ICruiseResult;
  } finally {
    process.chdir(previous);
  }
}

/** Folders (the files directly in each) that import each other, directly or around a loop. */
export function folderCycles(result: ICruiseResult): string[][] {
  const edges = new Map<string, Set<string>>();
  for (const m of result.modules) {
    if (!m.source.startsWith("src/")) continue;
    const from = dirname(m.source);
    if (!edges.has(from)) edges.set(from, new Set());
    for (const d of m.dependencies) {
      if (!d.resolved.startsWith("src/")) continue;
      const to = dirname(d.resolved);
      if (to !== from) edges.get(from)!.add(to);
    }
  }
  // Tarjan's strongly connected components; each component of more than one folder is a cycle.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

function describeViolations(result: ICruiseResult): string[] {
  return result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}${v.cycle ? ` (${v.cycle.map((c) => c.name).join(" → ")})` : ""}`);
}

describe("architecture boundaries", () => {
  let result: ICruiseResult;

  test("every import follows the rules of .dependency-cruiser.cjs", async () => {
    result = await cruiseFolder(ROOT, config.forbidden);
    assert.ok(result.modules.length > 200, `only ${result.modules.length} modules cruised: is the resolver configured?`);
    assert.deepEqual(describeViolations(result), []);
  });

  test("no folder-level import cycle", async () => {
    result ??= await cruiseFolder(ROOT, config.forbidden);
    assert.deepEqual(folderCycles(result), []);
  });

  test("the checks catch a folder cycle and a domain file importing the server", async () => {
    const dir = tempDir("ciclo-arch-");
    try {
      const write = (path: string, text: string) => {
        mkdirSync(dirname(join(dir.path, path)), { recursive: true });
        writeFileSync(join(dir.path, path), text);
      };
      write("src/tracking/a.ts", 'import { b } from "../registry/b.js";\nexport const a = () => b;\n');
      write("src/registry/b.ts", 'import { c } from "./c.js";\nexport const b = c;\n');
      write("src/registry/c.ts", 'import { a } from "../tracking/a.js";\nimport { app } from "../server/app.js";\nexport const c = () => [a, app];\n');
      write("src/server/app.ts", "export const app = 1;\n");
      write("tsconfig.json", JSON.stringify({ extends: join(ROOT, "tsconfig.json"), include: ["src/**/*.ts"] }));
      const probe = await cruiseFolder(dir.path, config.forbidden);
      assert.deepEqual(folderCycles(probe), [["src/registry", "src/tracking"]]);
      const rules = new Set(probe.summary.violations.map((v) => v.rule.name));
      assert.ok(rules.has("domain-knows-no-http"), [...rules].join(", "));
      assert.ok(rules.has("capability-public-entry"), [...rules].join(", "));
    } finally {
      dir.remove();
    }
  });
});
