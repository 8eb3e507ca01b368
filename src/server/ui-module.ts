/**
 * The built web UI (`dist/ui`), served at `/` with its own paths falling back
 * to index.html. When the UI was not built, the API is served as usual and `/`
 * says how to build it (a browser pointed at a fresh checkout's server would
 * otherwise see MLflow's JSON "No API endpoint for GET /").
 * @module
 */
import { access } from "./http/route-access.js";
import type { CicloModule } from "./module.js";
import { locateUiAssets, registerUi, uiFallback } from "./ui-assets.js";

export interface UiModuleOptions {
  /** The folder holding index.html and assets/; default: `dist/ui` next to the running code; null: not built. */
  assetsDir?: string | null;
}

export function uiModule(opts: UiModuleOptions = {}): CicloModule {
  return {
    id: "web-ui",
    init(ctx) {
      const assetsDir = opts.assetsDir === null ? undefined : (opts.assetsDir ?? locateUiAssets());
      if (!assetsDir) {
        ctx.logger.warn("web UI not built (dist/ui is missing): run `npm run build:ui`; the API is served as usual");
        ctx.http.raw((app) => {
          app.get("/", { config: access("server", "public") }, async (_req, reply) =>
            reply.code(404).type("text/plain; charset=utf-8").send(UI_NOT_BUILT));
        });
        return;
      }
      ctx.http.raw((app) => registerUi(app, { assetsDir }));
      ctx.http.notFound((req, reply) => uiFallback(req, reply) !== undefined);
    },
  };
}

export const UI_NOT_BUILT =
  "ciclo's web UI is not built in this installation (dist/ui is missing).\n" +
  "From a checkout, run `npm run build:ui` and restart the server, or start it with `npm start`, which builds what changed.\n" +
  "The API is served as usual: /api/2.0/mlflow/ (MLflow's REST API), /health, /version.\n";
