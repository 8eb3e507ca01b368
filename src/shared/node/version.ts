/** ciclo's version, read once from package.json (works from src/ and dist/). */
import { readFileSync } from "node:fs";

export const CICLO_VERSION: string = (
  JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string }
).version;
