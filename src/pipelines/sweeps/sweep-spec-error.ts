/**
 * The error a sweep definition that cannot be used throws (a space file, the
 * `sweep:` block of ciclo.yaml), with its file, line and column; and the
 * YAML reader that throws it (the one located-YAML helper, definition/).
 * @module
 */
import { LocatedYamlError, parseLocated, type LocatedDoc } from "../definition/located-yaml.js";

export class SweepSpecError extends LocatedYamlError {
  override name = "SweepSpecError";
}

/** Sweep YAML (or JSON) with positions; every error is a {@link SweepSpecError}. */
export function parseSweepYaml(text: string, file: string): LocatedDoc {
  return parseLocated(text, file, SweepSpecError);
}
