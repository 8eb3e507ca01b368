/**
 * The built web UI (`dist/ui`), served at `/` with its own paths falling back
 * to index.html. Absent when the UI was not built: the API is served as usual.
 * @module
 */
import type { CicloModule } from "./module.js";
import { locateUiAssets, registerUi, uiFallback } from "./ui-assets.js";

export interface UiModuleOptions {
  /** The folder holding index.html and assets/; default: `dist/ui` next to the running code. */
  assetsDir?: string;
}

export function uiModule(opts: UiModuleOptions = {}): CicloModule {
  return {
    id: "web-ui",
    init(ctx) {
      const assetsDir = opts.assetsDir ?? locateUiAssets();
      if (!assetsDir) {
        ctx.logger.warn("web UI not built (dist/ui is missing): run `npm run build:ui`; the API is served as usual");
        return;
      }
      ctx.http.raw((app) => registerUi(app, { assetsDir }));
      ctx.http.notFound((req, reply) => uiFallback(req, reply) !== undefined);
    },
  };
}
