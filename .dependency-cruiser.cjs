/**
 * ciclo's import rules (ARCHITECTURE.md, "Which folder may import which").
 * `src/architecture.test.ts` runs them in `npm test` and adds the folder-level
 * cycle check (a folder is the files directly in it: `src/tracking` and
 * `src/tracking/http` are two); `npx depcruise src` prints the rule violations by hand.
 */
// Capabilities: domain folders. Their http/ subfolder (routes, module entry) is their outer ring.
const CAPS = "tracking|registry|logged-models|artifacts|models|gc|projects|serving|deployments|jobs|monitoring|pipelines|auth";
const HTTP_LIBS = "(^|/)node_modules/(fastify|@fastify/|light-my-request|fast-json-stringify|find-my-way)";

module.exports = {
  forbidden: [
    {
      name: "domain-knows-no-http",
      comment: "Domain code (a capability outside its http/ folders) never imports server/ or the web framework.",
      severity: "error",
      from: { path: `^src/(${CAPS})/`, pathNot: "/http/" },
      to: { path: [`^src/server/`, HTTP_LIBS] },
    },
    {
      name: "capability-public-entry",
      comment: "A capability reaches another only through its public entry: index.ts (domain) or http/index.ts (route helpers).",
      severity: "error",
      from: { path: `^src/(${CAPS})/` },
      to: { path: `^src/(${CAPS})/`, pathNot: ["^src/$1/", `^src/(${CAPS})/(http/)?index\\.ts$`] },
    },
    {
      name: "serving-knows-no-server",
      comment: "The scoring server is its own process: nothing in serving/ imports the ciclo server.",
      severity: "error",
      from: { path: "^src/serving/" },
      to: { path: "^src/server/" },
    },
    {
      name: "shared-is-browser-safe",
      comment: "shared/ is imported by the UI: it imports only itself and typebox (no node: modules); shared/node/ holds the few Node-only helpers.",
      severity: "error",
      from: { path: "^src/shared/", pathNot: "^src/shared/node/" },
      to: { pathNot: ["^src/shared/", "(^|/)node_modules/typebox/"] },
    },
    {
      name: "store-knows-no-http",
      comment: "SQL implementations serve capabilities' store interfaces; they know neither HTTP nor the server.",
      severity: "error",
      from: { path: "^src/store/" },
      to: { path: ["^src/server/", HTTP_LIBS, "/http/"] },
    },
    {
      name: "server-knows-no-capability",
      comment: "server/ builds the app from a list of modules: it imports no capability (src/modules.ts does).",
      severity: "error",
      from: { path: "^src/server/", pathNot: "\\.test\\.ts$|^src/server/ui-e2e/" },
      to: { path: `^src/(${CAPS})/` },
    },
    {
      name: "client-knows-no-server-internals",
      comment: "The SDK is a client of the HTTP API: it never imports the server, the store or a capability's routes.",
      severity: "error",
      from: { path: "^src/sdk/" },
      to: { path: ["^src/server/", "^src/store/", "/http/"] },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "\\.test\\.ts$|^src/testing/|^src/store/contract/|^src/server/ui-e2e/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"] },
  },
};
