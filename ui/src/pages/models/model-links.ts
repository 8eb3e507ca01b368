/**
 * Links to registry pages. A model name may hold a dot, and the server hands
 * a path whose last segment has a dot to the static files, not the app
 * (`/models/fraud.v2` would 404 on reload): dots are percent-encoded, which
 * the router decodes back.
 */
const segment = (s: string) => encodeURIComponent(s).replace(/\./g, "%2E");

export const modelPath = (name: string) => `/models/${segment(name)}`;
export const versionPath = (name: string, version: string) => `/models/${segment(name)}/versions/${segment(version)}`;
export const runPath = (runId: string) => `/runs/${encodeURIComponent(runId)}`;
export const loggedModelPath = (modelId: string) => `/logged-models/${segment(modelId)}`;
