/**
 * The logged-models capability's public entry: what other capabilities may use.
 * Other capabilities import from here, never from the files behind it
 * (the boundary test in src/architecture.test.ts enforces it).
 * @module
 */

export type { LoggedModelStore } from "./logged-model-store.js";
