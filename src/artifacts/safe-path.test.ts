import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MlflowError } from "../shared/errors.js";
import { artifactBasename, decodeToFixedPoint, joinArtifactPath, safeArtifactFilePath, safeArtifactPath } from "./safe-path.js";

function refused(raw: string): void {
  assert.throws(
    () => safeArtifactPath(raw),
    (err: unknown) => err instanceof MlflowError && err.errorCode === "INVALID_PARAMETER_VALUE" && err.message === "Invalid path",
    `expected ${JSON.stringify(raw)} to be refused`,
  );
}

/**
 * The path part of every request shape in security-anchors §1.1–1.2, as it
 * reaches the server after the URL layer decoded it once. Each must be refused.
 */
export const HOSTILE_PATHS: Array<[cve: string, path: string]> = [
  ["CVE-2023-30172 `..` in /get-artifact path", "../../../../../../etc/passwd"],
  ["CVE-2023-30172 `..` after a real folder", "1/run/artifacts/../../../../etc/passwd"],
  ["CVE-2023-2356 `..` once URL-encoded", "..%2f..%2f..%2fetc%2fpasswd"],
  ["CVE-2023-2356 `%2e%2e%2f`", "%2e%2e%2f%2e%2e%2fetc%2fpasswd"],
  ["CVE-2024-1558/-1560 double-encoded `..`", "%252e%252e%252f%252e%252e%252ftmp%252fvictim"],
  ["triple-encoded `..`", "%25252e%25252e%25252fetc"],
  ["CVE-2023-2780 backslash `\\..\\`", "\\..\\..\\etc\\passwd"],
  ["CVE-2023-6831 `..%5c` in delete", "..%5c..%5cetc%5cpasswd"],
  ["encoded backslash twice", "..%255c..%255cetc"],
  ["CVE-2023-3765 absolute path", "/etc/passwd"],
  ["absolute path, encoded slash", "%2fetc%2fpasswd"],
  ["UNC-style double slash", "//etc/passwd"],
  ["CVE-2023-6977 //proc/self/root", "//proc/self/root/etc/passwd"],
  ["CVE-2024-3573 file: URI", "file:///etc/passwd"],
  ["CVE-2024-3573 file://localhost", "file://localhost/etc/passwd"],
  ["CVE-2024-3573 file:/etc", "file:/etc/passwd"],
  ["file: URI, encoded", "file%3a%2f%2f%2fetc%2fpasswd"],
  ["Windows drive letter", "C:\\Windows\\win.ini"],
  ["drive letter with slash", "c:/Windows/win.ini"],
  ["NUL byte", "model.pkl\u0000.txt"],
  ["NUL byte, encoded", "model.pkl%00.txt"],
  ["NUL byte, double-encoded", "model.pkl%2500.txt"],
  ["CR LF (header injection)", "a%0d%0aSet-Cookie:%20x"],
  ["DEL control character", "a\u007fb"],
  ["CVE-2024-1594 fragment `#`", "#/../../../../etc/"],
  ["fragment, encoded", "x%23%2f..%2f..%2fetc"],
  ["CVE-2023-6909 query `?`", "x?a=../../../../etc"],
  ["query, encoded", "x%3fa%3d..%2f..%2fetc"],
  ["CVE-2024-1593 params `;`", "p;/../../../../etc"],
  ["params, encoded", "p%3b%2f..%2fetc"],
  ["overlong UTF-8 dot (`%c0%ae`)", "%c0%ae%c0%ae/etc/passwd"],
  ["invalid UTF-8 byte", "%ff%fe"],
  ["a lone `..`", ".."],
  ["`..` at the end", "a/b/.."],
  ["decodes for more than 10 rounds", `${"%25".repeat(1)}${"25".repeat(11)}2e`],
];

describe("safeArtifactPath", () => {
  for (const [name, path] of HOSTILE_PATHS) {
    test(`refuses ${name}: ${JSON.stringify(path)}`, () => refused(path));
  }

  test("normalises empty and `.` segments and trailing slashes, as MLflow's normpath does", () => {
    assert.equal(safeArtifactPath(""), "");
    assert.equal(safeArtifactPath("."), "");
    assert.equal(safeArtifactPath("./"), "");
    assert.equal(safeArtifactPath("1/abc/artifacts/"), "1/abc/artifacts");
    assert.equal(safeArtifactPath("a//b/./c"), "a/b/c");
    assert.equal(safeArtifactPath("./model/MLmodel"), "model/MLmodel");
  });

  test("keeps names MLflow accepts: dots, spaces, unicode, colons after the first character, literal %", () => {
    assert.equal(safeArtifactPath("...txt"), "...txt");
    assert.equal(safeArtifactPath("a..b/c"), "a..b/c");
    assert.equal(safeArtifactPath("my model/weights v2.bin"), "my model/weights v2.bin");
    assert.equal(safeArtifactPath("caf%C3%A9/r%C3%A9sum%C3%A9.txt"), "café/résumé.txt");
    assert.equal(safeArtifactPath("ünïcødé/日本語.txt"), "ünïcødé/日本語.txt");
    assert.equal(safeArtifactPath("time 12:30.log"), "time 12:30.log");
    assert.equal(safeArtifactPath("100%.txt"), "100%.txt");
  });

  test("decodes to a fixed point like MLflow's _decode (a `%2541` name becomes `A`)", () => {
    assert.equal(decodeToFixedPoint("%2541"), "A");
    assert.equal(safeArtifactPath("dir%2Ffile.txt"), "dir/file.txt");
    assert.equal(decodeToFixedPoint("plain"), "plain");
  });

  test("a file path may not be the root", () => {
    assert.throws(() => safeArtifactFilePath(""), /Invalid path/);
    assert.throws(() => safeArtifactFilePath("./"), /Invalid path/);
    assert.equal(safeArtifactFilePath("a/b.txt"), "a/b.txt");
  });

  test("join and basename work on safe paths", () => {
    assert.equal(joinArtifactPath("", "a", "", "b/c"), "a/b/c");
    assert.equal(artifactBasename("a/b/c.txt"), "c.txt");
    assert.equal(artifactBasename("c.txt"), "c.txt");
  });
});
