/**
 * Which credentials this `ciclo` process sent, so a 401's hint fits the case:
 * none at all (say how to sign in) or some that the server refused (say which,
 * and how to get new ones). One command per process: the CLI's transport
 * records it when it is built, the error printer reads it.
 * @module
 */

/** Where the credentials came from. */
export type CredentialSource =
  | { kind: "none" }
  | { kind: "stored"; server: string }
  | { kind: "env-token"; variable: "CICLO_TRACKING_TOKEN" | "MLFLOW_TRACKING_TOKEN" }
  | { kind: "password"; from: "uri" | "env" };

let sent: CredentialSource | undefined;

export function recordSentCredentials(source: CredentialSource): void {
  sent = source;
}

/** What the transport recorded; undefined when no request went through it. */
export function sentCredentials(): CredentialSource | undefined {
  return sent;
}

/**
 * The credentials an HttpClient built from `trackingUri` and `env` sends, in its
 * order: a token from the environment, else user info in the URI, else
 * MLFLOW_TRACKING_USERNAME; `storedFor` names the server whose kept token is
 * passed when the environment names none.
 */
export function credentialSource(trackingUri: string, env: NodeJS.ProcessEnv, storedFor?: string): CredentialSource {
  if (env.CICLO_TRACKING_TOKEN) return { kind: "env-token", variable: "CICLO_TRACKING_TOKEN" };
  if (env.MLFLOW_TRACKING_TOKEN) return { kind: "env-token", variable: "MLFLOW_TRACKING_TOKEN" };
  if (storedFor) return { kind: "stored", server: storedFor };
  let uriUser = false;
  try {
    uriUser = new URL(trackingUri).username !== "";
  } catch {
    // the client refuses the URI with its own message
  }
  if (uriUser) return { kind: "password", from: "uri" };
  if (env.MLFLOW_TRACKING_USERNAME) return { kind: "password", from: "env" };
  return { kind: "none" };
}

/** The line printed under a 401 UNAUTHENTICATED. */
export function unauthenticatedHint(source: CredentialSource | undefined): string {
  switch (source?.kind) {
    case "stored":
      return (
        `The token 'ciclo auth login' kept for ${source.server} was refused: it has expired or was revoked. ` +
        "Sign in again with 'ciclo auth login -u <user>' (docs/auth.md, \"The command line\")."
      );
    case "env-token":
      return (
        `The token in ${source.variable} was refused: it has expired, was revoked, or belongs to another server. ` +
        "Get a new one with 'ciclo auth login -u <user>' then 'ciclo tokens create <name>', or ask an admin for one " +
        `(docs/auth.md, "Tokens for CI and pipelines"); unset ${source.variable} to use a sign-in kept by 'ciclo auth login'.`
      );
    case "password":
      return source.from === "uri"
        ? "The user name and password in the tracking URI were refused. Check them, or sign in with 'ciclo auth login -u <user>' and drop them from the URI."
        : "The user name and password in MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD were refused. Check them, or unset them and sign in with 'ciclo auth login -u <user>'.";
    default:
      return "Sign in from this machine with 'ciclo auth login -u <user>' (it keeps a token), or set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, or CICLO_TRACKING_TOKEN.";
  }
}
