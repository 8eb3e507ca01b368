/**
 * Builds the web UI into dist/ui/ (shipped in the package, served by
 * `ciclo server` at `/`). Hashed file names let the server cache assets for a
 * year; no inline scripts, so the server's CSP can forbid them.
 */
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root,
  base: "/",
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL("../dist/ui", import.meta.url)),
    emptyOutDir: true,
    assetsDir: "assets",
    // The modulepreload polyfill would be an inline script; every supported browser has modulepreload.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  server: {
    // `npx vite --config ui/vite.config.ts` during development: the API comes from a running `ciclo server`.
    proxy: { "/api": "http://127.0.0.1:5000", "/ajax-api": "http://127.0.0.1:5000", "/get-artifact": "http://127.0.0.1:5000" },
  },
});
