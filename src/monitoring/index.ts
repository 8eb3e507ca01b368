/**
 * The monitoring capability's public entry for other capabilities' domain
 * code: the special functions its drift tests are built on (deployments' A/B
 * significance tests use them too). Modules reach monitoring's services
 * through `ctx.find("monitoring")`.
 * @module
 */
export { erfc, logGamma, normalCdf } from "./drift/special-functions.js";
export type { LabelledRows, LabelledRowsQuery } from "./monitoring-service.js";
