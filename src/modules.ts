/**
 * The capabilities `ciclo server` runs, in dependency order: a module may use
 * the services of the modules above it. Adding a capability is its folder
 * plus one line here (see ARCHITECTURE.md).
 * @module
 */
import { artifactsModule } from "./artifacts/http/artifacts-module.js";
import { gcModule } from "./gc/http/gc-module.js";
import { loggedModelsModule } from "./logged-models/http/logged-models-module.js";
import { registryModule } from "./registry/http/registry-module.js";
import type { CicloModule } from "./server/module.js";
import { uiModule } from "./server/ui-module.js";
import { trackingModule } from "./tracking/http/tracking-module.js";

export function serverModules(): CicloModule[] {
  return [
    trackingModule(),
    uiModule(),
    artifactsModule(),
    loggedModelsModule(),
    registryModule(),
    gcModule(),
  ];
}
