/**
 * The registry capability's public entry: what other capabilities may use.
 * Other capabilities import from here, never from the files behind it
 * (the boundary test in src/architecture.test.ts enforces it).
 * @module
 */

export type { ModelVersion } from "../shared/registry-types.js";
export type { LoggedModelLookup, LoggedModelRef } from "./logged-model-lookup.js";
export type { RegistryStore } from "./registry-store.js";
export { parseModelUri } from "./model-uri.js";
