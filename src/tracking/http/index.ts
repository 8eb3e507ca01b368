/**
 * The tracking capability's public entry: route helpers other capabilities' routes reuse.
 * Other capabilities import from here, never from the files behind it
 * (the boundary test in src/architecture.test.ts enforces it).
 * @module
 */
export { presentMetric, presentRunInfo } from "./tracking-presenter.js";
