/**
 * The lines `ciclo server` prints for a person at a terminal once it listens: where to open it, where its data
 * lives, how to point the `mlflow` client at it, how to stop it. The JSON log on stdout stays as it is (the
 * "ciclo server listening" line carries the same address for tools); this goes to stderr, and only to a terminal.
 */
export interface BannerFacts {
  url: string;
  version: string;
  /** The metadata store's URI, credentials already redacted. */
  backendStore: string;
  /** Where artifacts go (absent with --no-serve-artifacts). */
  artifacts?: string;
  /** Sign-in required. */
  auth: boolean;
}

export function serverBanner(f: BannerFacts): string {
  const lines = [
    "",
    `  ciclo ${f.version} is running at ${f.url}  (web UI and API)`,
    `  metadata:  ${f.backendStore}`,
    ...(f.artifacts ? [`  artifacts: ${f.artifacts}`] : []),
    `  mlflow:    export MLFLOW_TRACKING_URI=${f.url}`,
    ...(f.auth ? ["  sign-in:   required (MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD, or `ciclo auth login`)"] : []),
    "  Ctrl+C stops it (in-flight requests finish first).",
    "",
  ];
  return lines.join("\n") + "\n";
}
