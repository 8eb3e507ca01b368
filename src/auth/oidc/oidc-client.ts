/**
 * ciclo as an OpenID Connect relying party, through `openid-client`: the
 * authorization code flow with PKCE (S256), state and nonce, ID token
 * validation, and the userinfo endpoint for the claims the ID token leaves
 * out. The provider's metadata is discovered on the first sign-in (the
 * server starts even when the provider is down) and kept.
 * @module
 */
import type * as OidcLib from "openid-client";
import { identityFromClaims, type OidcSettings, type SsoIdentity } from "./oidc-settings.js";

/** What the browser keeps (in a short-lived HttpOnly cookie) between leaving for the provider and coming back. */
export interface PendingLogin {
  state: string;
  nonce: string;
  verifier: string;
  /** The UI path to return to. */
  returnTo: string;
}

const isLoopbackHost = (host: string) => host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);

// openid-client loads with the first sign-in: a server without single sign-on never loads it.
let lib: Promise<typeof OidcLib> | undefined;
const loadOidc = () => (lib ??= import("openid-client"));

export class OidcClient {
  private config: Promise<OidcLib.Configuration> | undefined;

  constructor(
    readonly settings: OidcSettings,
    /** Reads the client secret (from the secrets store when configured by name). */
    private readonly clientSecret: () => Promise<string | undefined>,
  ) {}

  private configuration(): Promise<OidcLib.Configuration> {
    this.config ??= (async () => {
      const oidc = await loadOidc();
      const issuer = new URL(this.settings.issuer);
      // Plain http only for a provider on this machine (development, tests); anything else must be https.
      const insecure = issuer.protocol === "http:" && isLoopbackHost(issuer.hostname);
      const secret = await this.clientSecret();
      const auth = secret ? oidc.ClientSecretBasic(secret) : oidc.None();
      return oidc.discovery(issuer, this.settings.clientId, secret ? { client_secret: secret } : undefined, auth, insecure ? { execute: [oidc.allowInsecureRequests] } : undefined);
    })().catch((err: unknown) => {
      this.config = undefined; // try again on the next sign-in
      throw new Error(`Cannot reach the OpenID provider ${this.settings.issuer}: ${(err as Error).message}`);
    });
    return this.config;
  }

  /** The provider URL to send the browser to, and what to remember until it comes back. */
  async begin(redirectUrl: string, returnTo: string): Promise<{ url: string; pending: PendingLogin }> {
    const config = await this.configuration();
    const oidc = await loadOidc();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUrl,
      scope: this.settings.scopes.join(" "),
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      state,
      nonce,
    });
    return { url: url.href, pending: { state, nonce, verifier, returnTo } };
  }

  /** Exchanges the code (checking state, nonce and PKCE), then reads the claims: the ID token's and userinfo's. */
  async finish(callbackUrl: URL, pending: PendingLogin): Promise<SsoIdentity | { refused: string }> {
    const config = await this.configuration();
    const oidc = await loadOidc();
    const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: pending.verifier,
      expectedState: pending.state,
      expectedNonce: pending.nonce,
      idTokenExpected: true,
    });
    const idClaims = tokens.claims();
    if (!idClaims) return { refused: "The provider sent no ID token." };
    let claims: Record<string, unknown> = { ...idClaims };
    if (config.serverMetadata().userinfo_endpoint && tokens.access_token) {
      const info = await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub);
      claims = { ...info, ...claims, ...(info[this.settings.groupsClaim] !== undefined ? { [this.settings.groupsClaim]: info[this.settings.groupsClaim] } : {}) };
    }
    return identityFromClaims(this.settings, claims);
  }
}
