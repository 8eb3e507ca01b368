/**
 * The projects capability's public entry: what other capabilities may use.
 * Other capabilities import from here, never from the files behind it
 * (the boundary test in src/architecture.test.ts enforces it).
 * @module
 */

export { runCommand } from "./command-process.js";
export { resolveCommand } from "./project-parameters.js";
export { shellQuote } from "./shell-quote.js";
export { projectRunEnv, projectTags } from "./project-runner.js";
export { ProjectError, loadProject, resolveEntryPoint } from "./project-spec.js";
export type { EntryPoint, ProjectSpec } from "./project-spec.js";
