/**
 * Every relative link in README.md, ARCHITECTURE.md and docs/ points at a file of the repository, and a
 * `#fragment` at a heading of its page (GitHub's anchors: lower case, punctuation dropped, spaces → -).
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

function markdownPages(): string[] {
  const pages = ["README.md", "ARCHITECTURE.md", "packages/sdk/README.md"].map((p) => join(ROOT, p));
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (e.name.endsWith(".md")) pages.push(join(dir, e.name));
    }
  };
  walk(join(ROOT, "docs"));
  return pages.filter((p) => existsSync(p));
}

/** Text outside fenced code blocks and inline code spans (links there are examples, not links). */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "").replace(/`[^`\n]*`/g, "");
}

/** GitHub's anchor for a heading. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, "")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

function anchors(page: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const text = readFileSync(page, "utf8").replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "");
  for (const m of text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  for (const m of text.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) out.add(m[1]!);
  return out;
}

/** Relative link targets of a page: `[text](target)` and `[ref]: target`, images included. */
function links(markdown: string): string[] {
  const text = prose(markdown);
  const out: string[] = [];
  for (const m of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push(m[1]!);
  for (const m of text.matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/gm)) out.push(m[1]!);
  return out.filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t));
}

test("no dangling relative link in README.md and docs/", () => {
  const broken: string[] = [];
  let checked = 0;
  for (const page of markdownPages()) {
    for (const target of links(readFileSync(page, "utf8"))) {
      checked++;
      const [path, fragment] = target.split("#", 2) as [string, string | undefined];
      const file = path ? join(dirname(page), decodeURIComponent(path)) : page;
      const where = `${relative(ROOT, page)} → ${target}`;
      if (!existsSync(file)) {
        broken.push(`${where} (no such file)`);
        continue;
      }
      if (fragment && file.endsWith(".md") && statSync(file).isFile() && !anchors(file).has(fragment)) broken.push(`${where} (no such heading)`);
    }
  }
  assert.deepEqual(broken, []);
  assert.ok(checked > 50, `only ${checked} links found: the checker is broken`);
});

test("the link checker sees links, skips code and knows GitHub's anchors", () => {
  assert.deepEqual(links("see [a](a.md), [b](docs/b.md#x \"t\") and ![img](ui/p.png)\n`[no](c.md)`\n```\n[no](d.md)\n```\n[r]: ref.md\n[w](https://x.y)"), [
    "a.md",
    "docs/b.md#x",
    "ui/p.png",
    "ref.md",
  ]);
  assert.equal(slug("Offline mode and `ciclo sync`"), "offline-mode-and-ciclo-sync");
  assert.equal(slug("URIs: `runs:/`, `models:/`"), "uris-runs-models");
  assert.equal(slug("Export and import"), "export-and-import");
});
