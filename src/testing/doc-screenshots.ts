/**
 * Where a browser test writes a screenshot that a docs page shows: into
 * docs/images/ only when `CICLO_UPDATE_SCREENSHOTS=1` (so `npm test` leaves the
 * checkout clean), else into a temporary folder (the screenshot is still taken,
 * so the test still proves the page renders to an image).
 * @module
 */
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const DOC_IMAGES = fileURLToPath(new URL("../../docs/images/", import.meta.url));
let scratch: string | undefined;

/** The path to write `name` (e.g. "auth-login.png") to. */
export function docScreenshotPath(name: string): string {
  if (process.env.CICLO_UPDATE_SCREENSHOTS === "1") {
    mkdirSync(DOC_IMAGES, { recursive: true });
    return join(DOC_IMAGES, name);
  }
  scratch ??= mkdtempSync(join(tmpdir(), "ciclo-screenshots-"));
  return join(scratch, name);
}
