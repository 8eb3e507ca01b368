/**
 * A Python package index for tests: PEP 503's "simple" layout served on
 * loopback, holding a small pure-Python wheel (`ciclo-tiny`, one module
 * whose VERSION says which wheel it came from) in the versions asked,
 * written by Python's zipfile with a RECORD of hashes as installers expect.
 * It records the paths it was asked for, so a test can tell which file pip
 * downloaded.
 * @module
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

const MAKE_WHEEL = `
import base64, hashlib, sys, zipfile
out, version = sys.argv[1], sys.argv[2]
info = f"ciclo_tiny-{version}.dist-info"
files = {
    "ciclo_tiny/__init__.py": f"VERSION = {version!r}\\n",
    f"{info}/METADATA": f"Metadata-Version: 2.1\\nName: ciclo-tiny\\nVersion: {version}\\nSummary: a test wheel\\n",
    f"{info}/WHEEL": "Wheel-Version: 1.0\\nGenerator: ciclo-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
record = []
for name, text in files.items():
    data = text.encode()
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    record.append(f"{name},sha256={digest},{len(data)}")
record.append(f"{info}/RECORD,,")
files[f"{info}/RECORD"] = "\\n".join(record) + "\\n"
with zipfile.ZipFile(f"{out}/ciclo_tiny-{version}-py3-none-any.whl", "w") as z:
    for name, text in files.items():
        z.writestr(name, text)
`;

export interface PipIndex {
  /** The index URL (`http://127.0.0.1:<port>/simple/`). */
  url: string;
  /** Paths requested so far. */
  asked: string[];
  close(): Promise<void>;
}

/** /usr/bin/python3's pip can install, or why not. */
export function pipUnavailable(python = "/usr/bin/python3"): string | undefined {
  const r = spawnSync(python, ["-m", "pip", "--version"], { encoding: "utf8" });
  return r.status === 0 ? undefined : `${python} with pip is needed (apt-get install python3-pip)`;
}

/** Writes the wheels with `python` into `dir/files` and serves the index. */
export async function startPipIndex(dir: string, versions: string[], python = "/usr/bin/python3"): Promise<PipIndex> {
  const files = join(dir, "files");
  mkdirSync(files, { recursive: true });
  for (const v of versions) {
    const r = spawnSync(python, ["-c", MAKE_WHEEL, files, v], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`writing the test wheel ${v} failed: ${r.stderr}`);
  }
  const wheels = readdirSync(files).sort();
  const asked: string[] = [];
  const server = createServer((req, res) => {
    const url = req.url ?? "/";
    asked.push(url);
    if (url === "/simple/") return res.end('<!DOCTYPE html><html><body><a href="ciclo-tiny/">ciclo-tiny</a></body></html>');
    if (url === "/simple/ciclo-tiny/") {
      const links = wheels.map((w) => `<a href="/files/${w}#sha256=${createHash("sha256").update(readFileSync(join(files, w))).digest("hex")}">${w}</a>`);
      res.setHeader("content-type", "text/html");
      return res.end(`<!DOCTYPE html><html><body>${links.join("<br>")}</body></html>`);
    }
    const file = /^\/files\/([\w.-]+\.whl)$/.exec(url)?.[1];
    if (file && wheels.includes(file)) return res.end(readFileSync(join(files, file)));
    res.statusCode = 404;
    res.end("not found");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/simple/`,
    asked,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
